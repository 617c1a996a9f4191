import { describe, expect, test } from 'vitest';
import { StatsAccumulator } from '../../lib/metrics/aggregate.ts';
import { renderResults } from '../../lib/render/summary.ts';
import { makeRecord } from './records.ts';

describe('statistics past the exact-sample cap', () => {
  test('percentiles come from the histogram within its bound, and summary.json says so', () => {
    const exact = new StatsAccumulator();
    const capped = new StatsAccumulator(undefined, { exactCap: 16 });
    for (let i = 0; i < 40; i++) {
      const r = makeRecord({ seq: i, sent: 100, firstChunk: 110 + i * 3.7, chunkTimes: [110 + i * 3.7], end: 200 + i * 3.7 });
      exact.add(r);
      capped.add(r);
    }
    const a = exact.stats().latency.ttft;
    const b = capped.stats().latency.ttft;
    expect(a.exact).toBeUndefined();
    expect(b).toMatchObject({ exact: false, count: 40 });
    expect(b.relativeError).toBeLessThan(0.001);
    expect(b.mean).toBeCloseTo(a.mean!, 9);
    expect(b.max).toBe(a.max);
    for (const k of ['p50', 'p95', 'p99']) expect(Math.abs(b.percentiles[k]! - a.percentiles[k]!) / a.percentiles[k]!).toBeLessThanOrEqual(b.relativeError!);
    const out = renderResults(capped.stats()) as { ttft_ms: Record<string, unknown> };
    expect(out.ttft_ms).toMatchObject({ exact: false, count: 40 });
    expect((renderResults(exact.stats()) as { ttft_ms: Record<string, unknown> }).ttft_ms.exact).toBeUndefined();
  });
});
