/**
 * inference-perf's length distributions (`generate_distribution` for random data,
 * `sample_from_distribution` for shared_prefix): each type's shape, the clip to min..max that
 * piles out-of-range draws at the bounds, numpy's half-to-even rounding, and what each sampler
 * refuses.
 */
import { describe, expect, test } from 'vitest';
import { splitmix32 } from '../../lib/stats/prng.ts';
import { drawShaped, shapeProblem } from '../../lib/data/length-shapes.ts';
import type { LengthSampler, ShapedLength } from '../../lib/data/length-shapes.ts';

const N = 20000;

function draws(d: ShapedLength, sampler: LengthSampler, seed = 1): number[] {
  const prng = splitmix32(seed);
  return Array.from({ length: N }, () => drawShaped(d, sampler, prng));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const share = (xs: number[], v: number) => xs.filter((x) => x === v).length / xs.length;

describe('normal: clipped, not truncated', () => {
  test('a mean at min puts about half of the draws exactly at min', () => {
    const xs = draws({ type: 'normal', min: 100, max: 1000, mean: 100, std: 50 }, 'generate');
    expect(share(xs, 100)).toBeGreaterThan(0.47);
    expect(share(xs, 100)).toBeLessThan(0.53);
    expect(Math.min(...xs)).toBe(100);
  });

  test('inside the bounds the mean and spread are the configured ones; every length is an integer in min..max', () => {
    const xs = draws({ type: 'normal', min: 1, max: 10000, mean: 512, std: 200 }, 'sample');
    expect(mean(xs)).toBeGreaterThan(505);
    expect(mean(xs)).toBeLessThan(519);
    expect(xs.every((x) => Number.isInteger(x) && x >= 1 && x <= 10000)).toBe(true);
  });
});

describe('the other types', () => {
  test('fixed is int(mean), truncated toward zero', () => {
    expect(draws({ type: 'fixed', min: 1, max: 100, mean: 42.9, std: 7 }, 'generate').every((x) => x === 42)).toBe(true);
  });

  test('uniform: generate covers min..max, sample min..max with max reached as often as the others', () => {
    const g = draws({ type: 'uniform', min: 10, max: 20, mean: 0, std: 0 }, 'generate');
    expect(Math.min(...g)).toBe(10);
    expect(Math.max(...g)).toBe(20);
    // Rounding U(10, 20) gives the bounds half the weight of the inner values.
    expect(share(g, 10)).toBeLessThan(share(g, 15) * 0.7);
    const s = draws({ type: 'uniform', min: 10, max: 20, mean: 0, std: 0 }, 'sample');
    expect(mean(s)).toBeGreaterThan(15.2);
  });

  test('lognormal: generate is shifted so that min maps to 0; sample is not', () => {
    const g = draws({ type: 'lognormal', min: 100, max: 100000, mean: 300, std: 100 }, 'generate');
    expect(mean(g)).toBeGreaterThan(290);
    expect(mean(g)).toBeLessThan(310);
    expect(Math.min(...g)).toBeGreaterThanOrEqual(100);
    const s = draws({ type: 'lognormal', min: 1, max: 100000, mean: 300, std: 100 }, 'sample');
    expect(mean(s)).toBeGreaterThan(290);
    expect(mean(s)).toBeLessThan(310);
    expect(Math.min(...s)).toBeLessThan(150);
  });

  test('poisson has its mean; skew_normal leans to the side of its skew', () => {
    expect(mean(draws({ type: 'poisson', min: 0, max: 1000, mean: 12, std: 0 }, 'sample'))).toBeCloseTo(12, 0);
    expect(mean(draws({ type: 'poisson', min: 0, max: 1000, mean: 80, std: 0 }, 'sample'))).toBeCloseTo(80, 0);
    const right = draws({ type: 'skew_normal', min: 1, max: 10000, mean: 500, std: 100, skew: 5 }, 'sample');
    const left = draws({ type: 'skew_normal', min: 1, max: 10000, mean: 500, std: 100, skew: -5 }, 'sample');
    expect(mean(right)).toBeGreaterThan(570);
    expect(mean(left)).toBeLessThan(430);
  });

  test('numpy rounds half to even', () => {
    const d: ShapedLength = { type: 'uniform', min: 2.5, max: 2.5, mean: 0, std: 0 };
    expect(drawShaped({ ...d, min: 0, max: 100, type: 'normal', mean: 2.5, std: 0 }, 'generate', splitmix32(1))).toBe(2);
    expect(drawShaped({ ...d, min: 0, max: 100, type: 'normal', mean: 3.5, std: 0 }, 'generate', splitmix32(1))).toBe(4);
  });

  test('the same seed gives the same lengths', () => {
    const d: ShapedLength = { type: 'normal', min: 1, max: 100, mean: 50, std: 30 };
    expect(draws(d, 'generate', 9)).toEqual(draws(d, 'generate', 9));
    expect(draws(d, 'generate', 9)).not.toEqual(draws(d, 'generate', 10));
  });
});

describe('what each sampler refuses, as inference-perf raises', () => {
  test.each([
    [{ type: 'skew_normal', min: 1, max: 9, mean: 5, std: 1 }, 'generate', 'type skew_normal is not drawn here (inference-perf draws normal, lognormal, uniform, fixed for this data)'],
    [{ type: 'poisson', min: 1, max: 9, mean: 5, std: 1 }, 'generate', 'type poisson is not drawn here (inference-perf draws normal, lognormal, uniform, fixed for this data)'],
    [{ type: 'normal', min: 10, max: 20, mean: 512, std: 1 }, 'generate', 'mean 512 is outside min..max (10..20)'],
    [{ type: 'lognormal', min: 1, max: 9, mean: 0, std: 1 }, 'sample', 'a lognormal distribution needs mean > 0'],
  ] as const)('%o by %s: %s', (d, sampler, reason) => {
    expect(shapeProblem(d as ShapedLength, sampler)).toBe(reason);
  });

  test('a normal mean outside min..max is fine for shared_prefix (sample_from_distribution does not check it)', () => {
    expect(shapeProblem({ type: 'normal', min: 10, max: 20, mean: 512, std: 1 }, 'sample')).toBeUndefined();
    expect(draws({ type: 'normal', min: 10, max: 20, mean: 512, std: 1 }, 'sample').every((x) => x === 20)).toBe(true);
  });
});
