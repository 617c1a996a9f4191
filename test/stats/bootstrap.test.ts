import { describe, expect, test } from 'vitest';
import { splitmix32 } from '../../lib/stats/prng.ts';
import {
  bootstrapChange,
  bootstrapChanges,
  bootstrapDistribution,
  bootstrapProportionChange,
  bootstrapRateChange,
} from '../../lib/stats/bootstrap.ts';
import { prepareSamples } from '../../lib/stats/resample-statistic.ts';
import { percentile } from '../../lib/stats/summary.ts';

/** Lognormal samples exp(mu + sigma Z) from a seeded stream, times `scale`. */
function lognormal(n: number, seed: number, mu = Math.log(100), sigma = 0.5, scale = 1): Float64Array {
  const r = splitmix32(seed);
  const u = (): number => (r.next() + 0.5) / 4294967296;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
  return out;
}

const contains = (ci: [number, number] | null, x: number): boolean => ci !== null && ci[0] <= x && x <= ci[1];

describe('bootstrap distribution without building resamples', () => {
  test('percentiles and the mean match naive resample-and-sort bootstrapping', () => {
    const x = lognormal(150, 11);
    const sorted = Float64Array.from(x).sort();
    const R = 6000;
    const r = splitmix32(99);
    for (const stat of ['p50', 'p90', 'p99', 'mean']) {
      const fast = bootstrapDistribution(x, stat, { resamples: R, seed: 5 }).sort();
      const naive = new Float64Array(R);
      const s = new Float64Array(x.length);
      for (let i = 0; i < R; i++) {
        for (let j = 0; j < s.length; j++) s[j] = sorted[r.below(s.length)]!;
        s.sort();
        naive[i] = stat === 'mean' ? s.reduce((a, b) => a + b, 0) / s.length : percentile(s, Number(stat.slice(1)))!;
      }
      naive.sort();
      // Same distribution: its quantiles agree within Monte Carlo error (a few % of the spread).
      const spread = percentile(naive, 97.5)! - percentile(naive, 2.5)!;
      for (const q of [2.5, 25, 50, 75, 97.5]) {
        expect(Math.abs(percentile(fast, q)! - percentile(naive, q)!), `${stat} q${q}`).toBeLessThan(0.06 * spread);
      }
    }
  });

  test('the Cornish-Fisher mean (large n) agrees with exact index resampling', () => {
    const x = lognormal(20_000, 3, Math.log(100), 1);
    // 20,000 x 300 = 6e6 draws: exact; 20,000 x 1,000 = 2e7: Cornish-Fisher.
    const exact = bootstrapDistribution(x, 'mean', { resamples: 300, seed: 1 }).sort();
    const cf = bootstrapDistribution(x, 'mean', { resamples: 1000, seed: 1 }).sort();
    const width = (d: Float64Array): number => percentile(d, 97.5)! - percentile(d, 2.5)!;
    expect(width(cf) / width(exact)).toBeGreaterThan(0.85);
    expect(width(cf) / width(exact)).toBeLessThan(1.15);
    expect(Math.abs(percentile(cf, 50)! - percentile(exact, 50)!)).toBeLessThan(0.1 * width(exact));
  });
});

describe('bootstrapChange', () => {
  test('no change (same distribution, another seed): every CI contains 0', () => {
    const a = lognormal(5000, 1);
    const b = lognormal(5000, 2);
    for (const c of bootstrapChanges(a, b, ['p50', 'p90', 'p95', 'p99', 'mean'])) {
      expect(contains(c.ci, 0), `${c.statistic} ${c.ci}`).toBe(true);
      expect(Math.abs(c.change!)).toBeLessThan(0.1);
    }
  });

  test('a real 20% regression: change near +20%, CIs contain 20% and exclude 0', () => {
    const a = lognormal(5000, 1);
    const b = lognormal(5000, 2, Math.log(100), 0.5, 1.2);
    for (const c of bootstrapChanges(a, b, ['p50', 'p95', 'p99', 'mean'])) {
      expect(contains(c.ci, 0.2), `${c.statistic} ${c.ci}`).toBe(true);
      expect(c.ci![0]).toBeGreaterThan(0);
      expect(c.change!).toBeGreaterThan(0.12);
    }
  });

  test('an improvement (latencies x0.8): CI below 0, containing -20%', () => {
    const c = bootstrapChange(lognormal(3000, 4), lognormal(3000, 5, Math.log(100), 0.5, 0.8), 'p95');
    expect(c.ci![1]).toBeLessThan(0);
    expect(contains(c.ci, -0.2)).toBe(true);
  });

  test('a noisy 5% change on 100 samples is not significant at p99', () => {
    const c = bootstrapChange(lognormal(100, 6), lognormal(100, 7, Math.log(100), 0.5, 1.05), 'p99');
    expect(contains(c.ci, 0)).toBe(true);
  });

  test('coverage: over 200 repetitions the 95% CI of the p50 change covers the truth 90-98% of the time', () => {
    // B is A's lognormal scaled by 1.2, so the true relative change of every percentile is +20%.
    let covered = 0;
    const reps = 200;
    for (let i = 0; i < reps; i++) {
      const a = lognormal(300, 1000 + 2 * i);
      const b = lognormal(300, 1001 + 2 * i, Math.log(100), 0.5, 1.2);
      if (contains(bootstrapChange(a, b, 'p50', { resamples: 400, seed: i }).ci, 0.2)) covered++;
    }
    expect(covered / reps).toBeGreaterThanOrEqual(0.9);
    expect(covered / reps).toBeLessThanOrEqual(0.98);
  });

  test('deterministic for a seed, different across seeds', () => {
    const a = lognormal(1000, 8);
    const b = lognormal(1000, 9);
    expect(bootstrapChange(a, b, 'p95', { seed: 42 })).toEqual(bootstrapChange(a, b, 'p95', { seed: 42 }));
    expect(bootstrapChange(a, b, 'p95', { seed: 42 }).ci).not.toEqual(bootstrapChange(a, b, 'p95', { seed: 43 }).ci);
  });

  test('zero baseline: 0 -> 0 is no change; 0 -> positive has no relative change', () => {
    const zeros = new Float64Array(50);
    const same = bootstrapChange(zeros, zeros, 'p50');
    expect(same.change).toBe(0);
    expect(same.ci).toEqual([0, 0]);
    const up = bootstrapChange(zeros, lognormal(50, 1), 'p50');
    expect(up.change).toBeNull();
    expect(up.ci).toBeNull();
    expect(up.note).toBe('baseline p50 is 0: relative change undefined');
  });

  test('mostly-zero baseline: resamples with a zero statistic give infinite changes, the interval still forms', () => {
    const a = Float64Array.from({ length: 20 }, (_, i) => (i < 9 ? 0 : 1));
    const c = bootstrapChange(a, Float64Array.from({ length: 20 }, () => 1), 'p50');
    expect(c.change).toBe(0);
    expect(c.ci![1]).toBe(Infinity);
    expect(Number.isNaN(c.ci![0])).toBe(false);
  });

  test('fewer than 2 samples: point estimate without CI, and says so', () => {
    const one = bootstrapChange([100], lognormal(100, 1), 'p50');
    expect(one.change).not.toBeNull();
    expect(one.ci).toBeNull();
    expect(one.note).toBe('only 1 sample in the baseline: no confidence interval (needs at least 2)');
    const none = bootstrapChange(lognormal(10, 1), [], 'p50');
    expect(none.change).toBeNull();
    expect(none.note).toBe('no samples in the current run');
  });

  test('rejects unknown statistics and bad options', () => {
    expect(() => bootstrapChange([1, 2], [1, 2], 'median')).toThrow(/unknown statistic "median"/);
    expect(() => bootstrapChange([1, 2], [1, 2], 'p50', { confidence: 1 })).toThrow(/confidence/);
    expect(() => bootstrapChange([1, 2], [1, 2], 'p50', { resamples: 5 })).toThrow(/resamples/);
  });
});

describe('bootstrapProportionChange (success rate, absolute points)', () => {
  test('a 4-point drop is found, with a CI the width normal theory predicts', () => {
    const c = bootstrapProportionChange({ successes: 990, total: 1000 }, { successes: 950, total: 1000 }, { resamples: 2000 });
    expect(c.kind).toBe('absolute');
    expect(c.change).toBeCloseTo(-0.04, 12);
    expect(contains(c.ci, -0.04)).toBe(true);
    expect(c.ci![1]).toBeLessThan(0);
    const sd = Math.sqrt((0.99 * 0.01) / 1000 + (0.95 * 0.05) / 1000);
    expect((c.ci![1] - c.ci![0]) / (2 * 1.96 * sd)).toBeGreaterThan(0.85);
    expect((c.ci![1] - c.ci![0]) / (2 * 1.96 * sd)).toBeLessThan(1.15);
  });

  test('100% on both sides: change 0, interval [0, 0]; bad counts rejected', () => {
    const c = bootstrapProportionChange({ successes: 500, total: 500 }, { successes: 800, total: 800 });
    expect(c.change).toBe(0);
    expect(c.ci).toEqual([0, 0]);
    expect(() => bootstrapProportionChange({ successes: 5, total: 4 }, { successes: 1, total: 1 })).toThrow(/successes <= total/);
  });
});

describe('bootstrapRateChange (throughput: sum over a fixed window)', () => {
  test('constant tokens per request: the change is exactly the window ratio, with no spread', () => {
    const tokens = new Float64Array(200).fill(100);
    const c = bootstrapRateChange({ values: tokens, window: 10 }, { values: tokens, window: 12 });
    expect(c.baseline).toBeCloseTo(2000, 9);
    expect(c.current).toBeCloseTo(2000 / 1.2, 9);
    expect(c.change).toBeCloseTo(-1 / 6, 12);
    expect(c.ci![0]).toBeCloseTo(-1 / 6, 12);
    expect(c.ci![1]).toBeCloseTo(-1 / 6, 12);
  });

  test('failed requests count as 0 tokens: a 10% token loss at equal windows is found', () => {
    const a = lognormal(2000, 1, Math.log(100), 0.3);
    const b = lognormal(2000, 2, Math.log(100), 0.3).map((x, i) => (i % 10 === 0 ? 0 : x));
    const c = bootstrapRateChange({ values: a, window: 60 }, { values: b, window: 60 });
    expect(contains(c.ci, -0.1)).toBe(true);
    expect(c.ci![1]).toBeLessThan(0);
  });
});

test('speed: two sets of 100k samples, 1000 resamples, 8 statistics in well under 1 s', () => {
  const a = lognormal(100_000, 1);
  const b = lognormal(100_000, 2, Math.log(100), 0.5, 1.02);
  const t0 = performance.now();
  const pa = prepareSamples(a);
  const pb = prepareSamples(b);
  const out = bootstrapChanges(pa, pb, ['p50', 'p90', 'p95', 'p99', 'p99_9', 'mean']);
  out.push(bootstrapRateChange({ values: pa, window: 100 }, { values: pb, window: 100 }));
  out.push(bootstrapProportionChange({ successes: 99_500, total: 100_000 }, { successes: 99_400, total: 100_000 }));
  const ms = performance.now() - t0;
  console.log(`bootstrap 100k x 2, 1000 resamples, 8 statistics: ${ms.toFixed(0)} ms`);
  expect(out.every((c) => c.ci !== null)).toBe(true);
  expect(ms).toBeLessThan(600);
});
