import { describe, expect, test } from 'vitest';
import { LogHistogram, relativeErrorOf } from '../../lib/stats/log-histogram.ts';
import { SampleBuffer } from '../../lib/stats/sample-buffer.ts';
import { DEFAULT_EXACT_CAP, SampleStore } from '../../lib/stats/sample-store.ts';
import { DEFAULT_PERCENTILES, percentile, percentileKey, summarize } from '../../lib/stats/summary.ts';
import { splitmix32 } from '../../lib/stats/prng.ts';

/** A seeded uniform generator in [0, 1), so every failure can be repeated. */
function rng(seed: number): () => number {
  const p = splitmix32(seed);
  return () => p.next() / 4294967296;
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Sample shapes a benchmark meets (and some it should survive). */
const SHAPES: Record<string, (u: () => number) => number> = {
  // ITL-like: ~4 ms with jitter and a heavy tail.
  'lognormal latency': (u) => 4 * Math.exp(0.3 * normal(u)) + (u() < 0.01 ? 200 * u() : 0),
  'uniform 0..1': (u) => u(),
  'exponential, mean 50': (u) => -50 * Math.log(1 - u()),
  // Nine decades: sub-microsecond to minutes, in ms.
  'log-uniform 1e-4..1e5': (u) => 10 ** (-4 + 9 * u()),
  // Schedule lag: mostly tiny positive, some slightly negative, some exact zeros.
  'lag with zeros and negatives': (u) => (u() < 0.05 ? 0 : (u() - 0.1) * 0.5),
  'integer token counts': (u) => 1 + Math.floor(u() * 1000),
};

const QS = [0, 0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

function draw(shape: string, n: number, seed: number): Float64Array {
  const u = rng(seed);
  const f = SHAPES[shape]!;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(u);
  return out;
}

function storeOf(samples: ArrayLike<number>, exactCap = DEFAULT_EXACT_CAP, precisionBits?: number): SampleStore {
  const s = new SampleStore({ exactCap, precisionBits });
  for (let i = 0; i < samples.length; i++) s.push(samples[i]!);
  return s;
}

/**
 * The bound `Summary.relativeError` promises, checked against exact numpy-linear percentiles:
 * relative to the exact value, or to the larger neighbouring order statistic when the two have
 * opposite signs. A hair of floating-point slack (1e-12 relative) on top.
 */
function expectWithinBound(approx: number | null, sorted: Float64Array, q: number, eps: number): void {
  const exact = percentile(sorted, q)!;
  const h = ((sorted.length - 1) * q) / 100;
  const a = sorted[Math.floor(h)]!;
  const b = sorted[Math.min(sorted.length - 1, Math.floor(h) + 1)]!;
  const scale = a * b >= 0 ? Math.abs(exact) : Math.max(Math.abs(a), Math.abs(b));
  expect(approx).not.toBeNull();
  const err = Math.abs(approx! - exact);
  if (err > eps * scale * (1 + 1e-12) + 1e-300) {
    expect.fail(`p${q}: estimate ${approx} vs exact ${exact}: error ${err} > ${eps} x ${scale}`);
  }
}

describe('SampleStore below its cap is exact', () => {
  test('its summary is summarize() of the samples, with no approximation fields', () => {
    const samples = [9, 4, 2, 5, 4, 7, 4, 5];
    const s = storeOf(samples);
    expect(s.exact).toBe(true);
    expect(s.summarize([50, 90, 99.9])).toEqual(summarize(samples, [50, 90, 99.9]));
    expect(s.summarize([50, 90, 99.9])).toEqual({
      count: 8, mean: 5, stddev: 2, min: 2, max: 9, percentiles: { p50: 4.5, p90: 7.6, p99_9: expect.closeTo(8.986, 10) },
    });
  });

  test('exactly at the cap it is still exact, and matches summarize() bit for bit', () => {
    const samples = draw('lognormal latency', 5000, 1);
    const s = storeOf(samples, 5000);
    expect(s.exact).toBe(true);
    expect(s.length).toBe(5000);
    expect(s.summarize()).toEqual(summarize(samples));
    expect(Array.from(s.exactSamples()!)).toEqual(Array.from(samples));
  });

  test('the default cap is 2^18 samples', () => {
    expect(DEFAULT_EXACT_CAP).toBe(262_144);
    expect(new SampleStore().exactCap).toBe(262_144);
  });
});

describe('SampleStore past its cap: a histogram within its stated error', () => {
  test('one sample past the cap folds everything; count, min, max and mean stay exact', () => {
    const samples = draw('exponential, mean 50', 1001, 2);
    const s = storeOf(samples, 1000);
    expect(s.exact).toBe(false);
    expect(s.length).toBe(1001);
    expect(s.exactSamples()).toBeNull();
    const exact = summarize(samples);
    const got = s.summarize();
    expect(got.exact).toBe(false);
    expect(got.relativeError).toBe(2 ** -10);
    expect(got.count).toBe(1001);
    expect(got.min).toBe(exact.min);
    expect(got.max).toBe(exact.max);
    expect(got.mean).toBeCloseTo(exact.mean!, 9);
    expect(got.stddev! / exact.stddev! - 1).toBeLessThan(1e-9);
  });

  // Property: for every shape, size, seed and percentile, the estimate is within the bound.
  const sizes = [2, 3, 10, 101, 20_000];
  for (const shape of Object.keys(SHAPES)) {
    test(`${shape}: every percentile within relativeError of numpy's, over sizes ${sizes.join(', ')} and 5 seeds`, () => {
      for (const n of sizes) {
        for (let seed = 1; seed <= 5; seed++) {
          const samples = draw(shape, n, seed * 7919 + n);
          const sorted = samples.slice().sort();
          const got = storeOf(samples, 0).summarize(QS);
          expect(got.count).toBe(n);
          for (const q of QS) expectWithinBound(got.percentiles[percentileKey(q)]!, sorted, q, got.relativeError!);
        }
      }
    });
  }

  test('a million latency samples at 0.1% and at a coarse 4 bits (3.1%): within each bound', () => {
    const samples = draw('lognormal latency', 1_000_000, 42);
    const sorted = samples.slice().sort();
    for (const bits of [9, 4]) {
      const got = storeOf(samples, 100_000, bits).summarize(QS);
      expect(got.relativeError).toBe(relativeErrorOf(bits));
      for (const q of QS) expectWithinBound(got.percentiles[percentileKey(q)]!, sorted, q, got.relativeError!);
    }
  });

  test('values on and just below bucket edges (powers of two and their sub-divisions)', () => {
    const edges: number[] = [];
    for (let e = -20; e <= 20; e++) {
      for (const f of [1, 1 + 1 / 512, 1.5, 2 - 1 / 512]) {
        const x = 2 ** e * f;
        edges.push(x, x * (1 - 2 ** -52), x * (1 + 2 ** -52), -x);
      }
    }
    const sorted = Float64Array.from(edges).sort();
    const h = new LogHistogram();
    for (const x of edges) h.record(x);
    for (let q = 0; q <= 100; q += 0.5) expectWithinBound(h.percentile(q), sorted, q, h.relativeError);
  });
});

describe('edge cases', () => {
  test('no samples: count 0 and nulls, exact or folded', () => {
    expect(new SampleStore().summarize([50])).toEqual({ count: 0, mean: null, stddev: null, min: null, max: null, percentiles: { p50: null } });
    // Cap 0 folds at the first push; before it there is nothing to approximate.
    expect(new SampleStore({ exactCap: 0 }).summarize([50]).exact).toBeUndefined();
    expect(new LogHistogram().summarize([50])).toEqual({
      count: 0, mean: null, stddev: null, min: null, max: null, percentiles: { p50: null }, exact: false, relativeError: 2 ** -10,
    });
  });

  test('one sample: every percentile is that sample, exactly, even from the histogram', () => {
    const s = storeOf([3.14159], 0);
    const got = s.summarize();
    expect(got.exact).toBe(false);
    for (const q of DEFAULT_PERCENTILES) expect(got.percentiles[percentileKey(q)]).toBe(3.14159);
    expect(got).toMatchObject({ count: 1, mean: 3.14159, stddev: 0, min: 3.14159, max: 3.14159 });
  });

  test('zero and -0 are one exact bucket; negatives mirror positives', () => {
    const s = storeOf([0, -0, 0, -1.5, 1.5], 0);
    const got = s.summarize([0, 25, 50, 75, 100]);
    expect(got.percentiles).toEqual({ p0: -1.5, p25: 0, p50: 0, p75: 0, p100: 1.5 });
    expect(got.mean).toBe(0);
  });

  test('all samples equal: every percentile is exact (the clamp to min and max)', () => {
    const got = storeOf(new Array(1000).fill(0.123456789), 10).summarize(QS);
    for (const q of QS) expect(got.percentiles[percentileKey(q)]).toBe(0.123456789);
  });

  test('NaN and infinities are rejected, exact or folded, and change nothing', () => {
    for (const cap of [10, 0]) {
      const s = storeOf([1, 2], cap);
      for (const bad of [Number.NaN, Infinity, -Infinity]) expect(() => s.push(bad)).toThrow(/finite number/);
      expect(s.length).toBe(2);
    }
  });

  test('extreme magnitudes: the largest double and the smallest normal one', () => {
    const samples = [Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** -1022, 1];
    const sorted = Float64Array.from(samples).sort();
    const h = new LogHistogram();
    for (const x of samples) h.record(x);
    for (const q of [0, 33, 50, 66, 100]) expectWithinBound(h.percentile(q), sorted, q, h.relativeError);
  });

  test('options are checked', () => {
    expect(() => new SampleStore({ exactCap: -1 })).toThrow(/exactCap/);
    expect(() => new SampleStore({ precisionBits: 0 })).toThrow(/precision/);
    expect(() => new SampleStore({ precisionBits: 17 })).toThrow(/precision/);
  });
});

describe('merging', () => {
  const all = draw('lognormal latency', 30_000, 7);
  const parts = [all.subarray(0, 5000), all.subarray(5000, 17_000), all.subarray(17_000)];

  test('histograms: merged parts have the very buckets, counts and extremes of the whole', () => {
    const whole = new LogHistogram();
    for (const x of all) whole.record(x);
    const merged = parts
      .map((p) => {
        const h = new LogHistogram();
        for (const x of p) h.record(x);
        return h;
      })
      .reduce((a, b) => LogHistogram.merge(a, b));
    const { sum: s1, mean: m1, m2: v1, ...a } = merged.encode();
    const { sum: s2, mean: m2, m2: v2, ...b } = whole.encode();
    expect(a).toEqual(b);
    expect(s1 / s2 - 1).toBeLessThan(1e-12);
    expect(m1 / m2 - 1).toBeLessThan(1e-12);
    expect(Math.abs(v1 / v2 - 1)).toBeLessThan(1e-9);
    expect(merged.summarize(QS).percentiles).toEqual(whole.summarize(QS).percentiles);
  });

  test('two exact stores that fit the cap together stay exact', () => {
    const a = storeOf(parts[0]!, 20_000);
    const b = storeOf(parts[1]!, 20_000);
    const m = SampleStore.merge(a, b);
    expect(m.exact).toBe(true);
    expect(m.summarize()).toEqual(summarize(all.subarray(0, 17_000)));
    // The inputs are unchanged.
    expect(a.length).toBe(5000);
    expect(b.length).toBe(12_000);
  });

  test('two exact stores over the cap together: the histogram of all their samples', () => {
    const m = SampleStore.merge(storeOf(parts[1]!, 20_000), storeOf(parts[2]!, 20_000));
    expect(m.exact).toBe(false);
    expect(m.summarize(QS)).toEqual({ ...storeOf(all.subarray(5000), 0).summarize(QS), mean: expect.any(Number), stddev: expect.any(Number) });
  });

  test('exact into folded, folded into exact, folded into folded: all the same histogram', () => {
    const expected = storeOf(all, 0).summarize(QS).percentiles;
    const exact = (p: Float64Array) => storeOf(p, 1_000_000);
    const folded = (p: Float64Array) => storeOf(p, 0);
    for (const [x, y, z] of [
      [exact, folded, folded],
      [folded, exact, exact],
      [folded, folded, folded],
    ] as const) {
      const m = x(parts[0]!).mergeFrom(y(parts[1]!)).mergeFrom(z(parts[2]!));
      expect(m.length).toBe(all.length);
      if (x === exact && y === exact) continue;
      expect(m.summarize(QS).percentiles).toEqual(expected);
    }
    const m = exact(parts[0]!).mergeFrom(exact(parts[1]!)).mergeFrom(exact(parts[2]!));
    expect(m.exact).toBe(true);
    expect(m.summarize()).toEqual(summarize(all));
  });

  test('different precisions merge at the coarser one, within its bound', () => {
    const m = storeOf(parts[0]!, 0, 12).mergeFrom(storeOf(parts[1]!, 0, 6)).mergeFrom(storeOf(parts[2]!, 0, 9));
    expect(m.precisionBits).toBe(6);
    const got = m.summarize(QS);
    expect(got.relativeError).toBe(2 ** -7);
    const sorted = all.slice().sort();
    for (const q of QS) expectWithinBound(got.percentiles[percentileKey(q)]!, sorted, q, got.relativeError!);
    expect(() => new LogHistogram(9).mergeFrom(new LogHistogram(8))).toThrow(/LogHistogram.merge/);
  });
});

describe('encode / decode', () => {
  test('a folded store survives JSON: same summary, same encoding, still mergeable', () => {
    const samples = draw('lag with zeros and negatives', 50_000, 9);
    const s = storeOf(samples, 100);
    const json = JSON.stringify(s.encode());
    const back = SampleStore.decode(JSON.parse(json));
    expect(back.exact).toBe(false);
    expect(back.summarize(QS)).toEqual(s.summarize(QS));
    expect(back.encode()).toEqual(s.encode());
    back.push(1);
    expect(back.length).toBe(50_001);
    // Compact: a few bytes per non-empty bucket, nothing per sample.
    expect(json.length).toBeLessThan(60_000);
  });

  test('an exact store travels with its samples, bit for bit', () => {
    const samples = draw('log-uniform 1e-4..1e5', 1000, 10);
    const s = storeOf(samples);
    const back = SampleStore.decode(JSON.parse(JSON.stringify(s.encode())));
    expect(back.exact).toBe(true);
    expect(Array.from(back.exactSamples()!)).toEqual(Array.from(samples));
    expect(back.exactCap).toBe(s.exactCap);
  });

  test('empty histograms and stores round-trip', () => {
    const h = LogHistogram.decode(JSON.parse(JSON.stringify(new LogHistogram().encode())));
    expect(h.count).toBe(0);
    expect(SampleStore.decode(new SampleStore({ exactCap: 0 }).encode()).summarize([50]).percentiles).toEqual({ p50: null });
  });

  test('inconsistent or foreign data is refused with the reason', () => {
    const good = storeOf([1, 2, 3], 0).histogram().encode();
    expect(() => LogHistogram.decode({ ...good, format: 'x' })).toThrow(/format/);
    expect(() => LogHistogram.decode({ ...good, count: 4 })).toThrow(/add up/);
    expect(() => LogHistogram.decode({ ...good, buckets: [0, -1] })).toThrow(/bucket pair/);
    expect(() => LogHistogram.decode({ ...good, buckets: [4096 * 512, 3] })).toThrow(/finite doubles/);
    expect(() => LogHistogram.decode({ ...good, min: 5 })).toThrow(/min <= max/);
    expect(() => LogHistogram.decode({ ...good, precisionBits: 30 })).toThrow(/precision/);
    expect(() => SampleStore.decode({ format: 'vitest-llm-d/sample-store@1', exactCap: 1, precisionBits: 9, samples: [1, 2] })).toThrow(/exceed/);
    expect(() => SampleStore.decode({ format: 'vitest-llm-d/sample-store@1', exactCap: 9, precisionBits: 9, samples: [1, null] })).toThrow(/finite/);
    expect(() => SampleStore.decode({ format: 'vitest-llm-d/sample-store@1', exactCap: 9, precisionBits: 9 })).toThrow(/exactly one/);
  });
});

describe('SampleBuffer (the array-like API StatsAccumulator uses)', () => {
  test('while exact: view, sorted and summarize(view) as before', () => {
    const b = new SampleBuffer(2);
    for (let i = 0; i < 1000; i++) b.push(1000 - i);
    expect(b.exact).toBe(true);
    expect(b.view()[0]).toBe(1000);
    expect(b.sorted()[0]).toBe(1);
    expect(summarize(b.view())).toEqual(summarize(Array.from({ length: 1000 }, (_, i) => i + 1)));
  });

  test('past its cap: summarize(view()) is the store summary, marked approximate; sorted() refuses', () => {
    const samples = draw('lognormal latency', 3000, 11);
    const b = new SampleBuffer(16, { exactCap: 1000 });
    for (const x of samples) b.push(x);
    expect(b.exact).toBe(false);
    expect(b.length).toBe(3000);
    const viaView = summarize(b.view(), [50, 99]);
    expect(viaView).toEqual(b.summarize([50, 99]));
    expect(viaView.exact).toBe(false);
    expect(viaView.count).toBe(3000);
    expect(() => b.sorted()).toThrow(/summarize/);
  });
});
