import { describe } from 'vitest';
import { expect, loadScenarios } from 'vitest-llm-d';

const latency = loadScenarios(import.meta.url);
const { test } = latency;

describe('latency', () => {
  test('quick_validation', async ({ bench }) => {
    const result = await bench.run(latency.scenario('quick_validation'));
    expect(result).toMeetSLO('mlperf-standard');
  });

  test('latency_benchmark', async ({ bench }) => {
    const result = await bench.run(latency.scenario('latency_benchmark'));
    expect(result).toMeetSLO('mlperf-standard');
  });
});
