import { describe, expect, test } from 'vitest';
import { scenarioTolerances } from '../../lib/baseline/gate.ts';

describe('scenarioTolerances', () => {
  test('the scenario\u2019s regression: block, else 10%; BENCH_BASELINE_TOLERANCE wins per key and for the default', () => {
    expect(scenarioTolerances(undefined, {})).toEqual({ default: 0.1, perMetric: {} });
    const regression = { tolerance: 0.2, metrics: { 'ttft.p95': 0.3, e2e: 0.15 } };
    expect(scenarioTolerances(regression, {})).toEqual({ default: 0.2, perMetric: { 'ttft.p95': 0.3, e2e: 0.15 } });
    expect(scenarioTolerances(regression, { BENCH_BASELINE_TOLERANCE: 'ttft.p95=0.05' })).toEqual({ default: 0.2, perMetric: { 'ttft.p95': 0.05, e2e: 0.15 } });
    expect(scenarioTolerances(regression, { BENCH_BASELINE_TOLERANCE: '0.12' })).toEqual({ default: 0.12, perMetric: { 'ttft.p95': 0.3, e2e: 0.15 } });
  });
});
