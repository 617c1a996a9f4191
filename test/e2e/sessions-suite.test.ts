import { describe, expect, test } from 'vitest';
import { runSuitesOnceValid, workspace } from './run-suite.ts';

/*
 * suites/sessions as a new user runs it, against the embedded simulator the suite configures (a
 * prefill cost per uncached token that makes the prefix cache visible): every session's turns
 * carry the conversation so far, and TTFT by turn falls once the conversation is cached.
 */
describe('suites/sessions as a new user runs it', () => {
  test('npx vitest run suites/sessions: chat sessions meet the SLO and TTFT falls after the first turn', async () => {
    const run = await runSuitesOnceValid(['suites/sessions'], workspace(), { BENCH_MAX_STALLED_SHARE: '1', BENCH_TARGETS_FILE: '' });
    expect(run.code, run.output).toBe(0);
    const turns = [...run.output.matchAll(/turn (\d): TTFT p50 ([\d.]+) ms, cached (\d+)%/g)].map((m) => ({ turn: Number(m[1]), ttft: Number(m[2]), cached: Number(m[3]) }));
    expect(turns.map((t) => t.turn)).toEqual([1, 2, 3, 4]);
    expect(turns[0]!.cached).toBeLessThan(turns[1]!.cached);
  }, 180_000);
});
