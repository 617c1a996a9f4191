import { describe, expect, test } from 'vitest';
import { SampleBuffer } from '../../lib/stats/sample-buffer.ts';
import { parsePercentileKey, percentile, percentileKey, statOf, summarize } from '../../lib/stats/summary.ts';

describe('percentile (numpy linear interpolation)', () => {
  // numpy.percentile([1, 2, 3, 4], q) for q = 0, 25, 50, 90, 95, 99, 100
  test.each([
    [0, 1],
    [25, 1.75],
    [50, 2.5],
    [90, 3.7],
    [95, 3.85],
    [99, 3.97],
    [100, 4],
  ])('of [1,2,3,4] at %d is %d', (q, expected) => {
    expect(percentile([1, 2, 3, 4], q)).toBeCloseTo(expected, 12);
  });

  test('of one sample is that sample, of none is null', () => {
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  test('rejects q outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
  });
});

describe('summarize', () => {
  test('exact mean, population stddev, min, max and percentiles, on unsorted input', () => {
    // Samples 2,4,4,4,5,5,7,9: mean 5, population variance 4, stddev 2.
    const s = summarize([9, 4, 2, 5, 4, 7, 4, 5], [50, 90, 99.9]);
    expect(s).toEqual({
      count: 8,
      mean: 5,
      stddev: 2,
      min: 2,
      max: 9,
      percentiles: { p50: 4.5, p90: 7.6, p99_9: expect.closeTo(8.986, 10) },
    });
  });

  test('of no samples has count 0 and null values', () => {
    const s = summarize([], [50]);
    expect(s).toEqual({ count: 0, mean: null, stddev: null, min: null, max: null, percentiles: { p50: null } });
  });

  test('statOf reads any stat by name', () => {
    const s = summarize([1, 2, 3, 4]);
    expect(statOf(s, 'p95')).toBeCloseTo(3.85, 12);
    expect(statOf(s, 'mean')).toBe(2.5);
    expect(statOf(s, 'p42')).toBeNull();
  });

  test('percentile keys round-trip', () => {
    expect(percentileKey(99.9)).toBe('p99_9');
    expect(parsePercentileKey('p99_9')).toBe(99.9);
    expect(parsePercentileKey('p50')).toBe(50);
    expect(parsePercentileKey('mean')).toBeNull();
  });
});

describe('SampleBuffer', () => {
  test('grows past its capacity and keeps every sample in order', () => {
    const b = new SampleBuffer(2);
    for (let i = 0; i < 1000; i++) b.push(1000 - i);
    expect(b.length).toBe(1000);
    expect(b.view()[0]).toBe(1000);
    expect(b.sorted()[0]).toBe(1);
  });
});
