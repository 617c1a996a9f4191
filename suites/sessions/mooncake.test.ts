import { describe } from 'vitest';
import { expect, loadScenarios } from 'vitest-llm-d';

const mooncake = loadScenarios(import.meta.url);
const { test } = mooncake;

/**
 * Share of the prefix-cache hit rate the trace's block reuse predicts that the server must reach.
 * On the simulator (512-token blocks, the trace's) the two agree exactly unless two requests the
 * trace sent in the same millisecond reach the server in the other order, which moves a shared
 * block's hit from one to the other; 0.9 leaves room for that on a real server too.
 */
const MIN_SHARE_OF_PREDICTED = 0.9;

describe('sessions: Mooncake trace replay', () => {
  test('mooncake_replay', async ({ bench }) => {
    const ref = mooncake.scenario('mooncake_replay');
    const result = await bench.run(ref);
    expect(result).toMeetSLO();
    const trace = result.report.trace!;
    console.log(
      `${trace.format} ${trace.file}: ${trace.requests} requests over ${trace.replaySpanS.toFixed(1)} s (${trace.speedup}x); ` +
        `arrival lag p99 ${trace.arrivalLagMs.p99?.toFixed(2)} ms; cached tokens ${trace.reportedCachedTokens} reported, ${trace.expectedCachedTokens} predicted, of ${trace.promptTokens}`,
    );
    // Arrival times kept to the trace: each send's lag behind its trace timestamp, within the run's validity bound.
    const bound = ref.config!.slo!.max_schedule_lag_p99_ms!;
    expect(trace.arrivalLagMs.count).toBe(trace.requests);
    expect(trace.arrivalLagMs.p99!).toBeLessThanOrEqual(bound);
    // The server's prefix-cache hit rate against the one the trace's block reuse predicts.
    expect(trace.expectedCachedTokens).toBeGreaterThan(0);
    expect(trace.reportedCachedTokens, 'the server reported no cached_tokens (usage.prompt_tokens_details)').not.toBeNull();
    const hitRate = trace.reportedCachedTokens! / trace.promptTokens;
    const predicted = trace.expectedCachedTokens! / trace.promptTokens;
    expect(hitRate).toBeGreaterThanOrEqual(MIN_SHARE_OF_PREDICTED * predicted);
  });
});
