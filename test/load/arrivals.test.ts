import { describe, expect, it } from 'vitest';
import { splitmix32 } from '../../lib/stats/prng.ts';
import { gammaOffsets, gammaSample, poissonOffsets } from '../../lib/load/arrivals.ts';
import { createSchedule } from '../../lib/load/registry.ts';
import { LoadSchema } from '../../lib/config/schema/load.ts';

function take(it: Iterator<number>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(it.next().value as number);
  return out;
}

function gapStats(offsets: number[]): { mean: number; cv: number } {
  const gaps = offsets.slice(1).map((t, i) => t - offsets[i]!);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  return { mean, cv: sd / mean };
}

const N = 40_000;

describe('arrival processes', () => {
  it('Poisson: first send at 0, non-decreasing, mean gap 1000/rate ms and CV 1', () => {
    const offs = take(poissonOffsets(50, 7), N);
    expect(offs[0]).toBe(0);
    for (let i = 1; i < offs.length; i++) expect(offs[i]!).toBeGreaterThanOrEqual(offs[i - 1]!);
    const { mean, cv } = gapStats(offs);
    // Standard error of the mean gap is 20 ms / sqrt(40,000) = 0.1 ms: 0.5 ms is five of them.
    expect(Math.abs(mean - 20)).toBeLessThan(0.5);
    expect(Math.abs(cv - 1)).toBeLessThan(0.03);
    // Exponential: P(gap > mean) = e^-1.
    const gaps = offs.slice(1).map((t, i) => t - offs[i]!);
    expect(Math.abs(gaps.filter((g) => g > 20).length / gaps.length - Math.exp(-1))).toBeLessThan(0.01);
  });

  it('gamma keeps the mean rate and has CV 1/sqrt(burstiness), for shapes below, at and above 1', () => {
    for (const b of [0.25, 1, 4]) {
      const { mean, cv } = gapStats(take(gammaOffsets(10, b, 11), N));
      expect(Math.abs(mean - 100) / 100, `burstiness ${b} mean`).toBeLessThan(0.03);
      expect(Math.abs(cv - 1 / Math.sqrt(b)), `burstiness ${b} cv`).toBeLessThan(0.05 / Math.sqrt(b));
    }
  });

  it('Gamma(shape, 1) samples have mean shape and variance shape', () => {
    const prng = splitmix32(3);
    for (const shape of [0.5, 2.5]) {
      const xs = Array.from({ length: N }, () => gammaSample(prng, shape));
      const mean = xs.reduce((a, b) => a + b, 0) / N;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / N;
      expect(Math.abs(mean - shape) / shape).toBeLessThan(0.03);
      expect(Math.abs(variance - shape) / shape).toBeLessThan(0.06);
    }
  });

  it('the same seed gives the same schedule; another seed another one', () => {
    expect(take(poissonOffsets(5, 42), 100)).toEqual(take(poissonOffsets(5, 42), 100));
    expect(take(poissonOffsets(5, 42), 100)).not.toEqual(take(poissonOffsets(5, 43), 100));
    expect(take(gammaOffsets(5, 0.5, 42), 100)).toEqual(take(gammaOffsets(5, 0.5, 42), 100));
  });
});

describe('poisson and gamma load configs', () => {
  it('validate, default max_in_flight, and reject a missing burstiness or an unknown key', () => {
    expect(LoadSchema.parse({ type: 'poisson', rate: 4 })).toEqual({ type: 'poisson', rate: 4, max_in_flight: 1000, drain_timeout: 30 });
    expect(LoadSchema.safeParse({ type: 'gamma', rate: 4 }).success).toBe(false);
    expect(LoadSchema.safeParse({ type: 'poisson', rate: 4, burstiness: 1 }).success).toBe(false);
    expect(LoadSchema.safeParse({ type: 'gamma', rate: 4, burstiness: 0 }).success).toBe(false);
  });

  it('become open-loop schedules seeded by the config, else by the run', () => {
    const fromRun = createSchedule({ type: 'poisson', rate: 8, max_in_flight: 10 }, { seed: 99 });
    expect(fromRun.kind).toBe('open');
    if (fromRun.kind !== 'open') return;
    expect(fromRun.seed).toBe(99);
    expect(fromRun.offeredRate).toBe(8);
    expect(fromRun.description).toBe('8 requests/s, Poisson arrivals, seed 99 (open loop)');
    expect(take(fromRun.offsets(), 50)).toEqual(take(poissonOffsets(8, 99), 50));
    const pinned = createSchedule({ type: 'gamma', rate: 8, burstiness: 0.5, max_in_flight: 10, seed: 5 }, { seed: 99 });
    expect(pinned.kind === 'open' && pinned.seed).toBe(5);
    expect(pinned.kind === 'open' && take(pinned.offsets(), 50)).toEqual(take(gammaOffsets(8, 0.5, 5), 50));
  });
});
