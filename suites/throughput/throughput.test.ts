import { describe } from 'vitest';
import { expect, loadScenarios } from 'vitest-llm-d';

const throughput = loadScenarios(import.meta.url);
const { test } = throughput;

describe('throughput', () => {
  test('concurrency_sweep', async ({ bench }) => {
    const result = await bench.run(throughput.scenario('concurrency_sweep'));
    const { knee, stages, stop } = result.report;
    expect(stop, stop ? `stopped at ${stop.stage}: ${stop.detail}` : '').toBeNull();
    // The plateau must have been seen, not assumed: a level above the knee added < 10%.
    expect(knee?.plateau, knee?.conclusion).toBe(true);
    // Up to the knee the client measured validly: the throughput curve is the server's.
    for (const st of stages.filter((s) => s.offered.concurrency! <= knee!.concurrency!)) {
      expect(st.validity.reasons, `${st.label} measured validly`).toEqual([]);
    }
    // Up to the knee the stack still meets the SLO: that is the usable concurrency.
    expect(result.stage(`concurrency ${knee!.concurrency}`)).toMeetSLO();
  });

  test('max_rate', async ({ bench }) => {
    const result = await bench.run(throughput.scenario('max_rate'));
    const capacity = result.report.capacity!;
    // A capacity within the range searched, bracketed by a failing rate above it.
    expect(capacity.value, capacity.conclusion).not.toBeNull();
    expect(capacity.bracket.failing, capacity.conclusion).not.toBeNull();
  });
});
