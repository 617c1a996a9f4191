import { describe, expect, it } from 'vitest';
import { decodeStepMs, drawOutputLength, jitter, loadFactor, prefillMs, type LatencyParams } from '../latency.ts';
import { createRng, type Rng } from '../rng.ts';

/** An Rng whose normal() returns `mean + std * z` for a fixed z, to hit the clamps exactly. */
function fixedNormal(z: number): Rng {
  const base = createRng(1);
  return { ...base, normal: (mean, std) => mean + std * z };
}

const P: LatencyParams = {
  prefill_overhead_ms: 10,
  prefill_per_token_ms: 0.5,
  itl_ms: 4,
  ttft_std_ms: 0,
  itl_std_ms: 0,
  load_factor: 3,
  max_num_seqs: 5,
  time_scale: 1,
};

describe('loadFactor', () => {
  it('is 1 alone, load_factor at a full batch, linear in between', () => {
    expect(loadFactor(3, 1, 5)).toBe(1);
    expect(loadFactor(3, 5, 5)).toBe(3);
    expect(loadFactor(3, 3, 5)).toBe(2);
    expect(loadFactor(2, 2, 16)).toBeCloseTo(1 + 1 / 15, 12);
  });

  it('is 1 when max_num_seqs <= 1 and clamps running to [1, max]', () => {
    expect(loadFactor(5, 1, 1)).toBe(1);
    expect(loadFactor(3, 0, 5)).toBe(1);
    expect(loadFactor(3, 9, 5)).toBe(3);
  });
});

describe('jitter', () => {
  it('clamps samples to [0.3, 1.7] x mean, keeping sub-millisecond values', () => {
    expect(jitter(fixedNormal(-100), 0.8, 0.2)).toBeCloseTo(0.24, 12);
    expect(jitter(fixedNormal(100), 0.8, 0.2)).toBeCloseTo(1.36, 12);
    expect(jitter(fixedNormal(1), 0.8, 0.2)).toBeCloseTo(1.0, 12);
    expect(jitter(fixedNormal(5), 0.8, 0)).toBe(0.8);
    expect(jitter(fixedNormal(5), 0, 1)).toBe(0);
  });

  it('has the configured mean and standard deviation away from the clamps', () => {
    const rng = createRng(42);
    const xs = Array.from({ length: 20000 }, () => jitter(rng, 10, 1));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(mean).toBeGreaterThan(9.95);
    expect(mean).toBeLessThan(10.05);
    expect(sd).toBeGreaterThan(0.97);
    expect(sd).toBeLessThan(1.03);
  });
});

describe('prefillMs and decodeStepMs', () => {
  const rng = createRng(0);
  it('charge uncached tokens only, times the load factor and the time scale', () => {
    expect(prefillMs(P, 100, 1, rng)).toBe(60);
    expect(prefillMs(P, 0, 1, rng)).toBe(10);
    expect(prefillMs(P, 100, 3, rng)).toBe(120);
    expect(prefillMs({ ...P, time_scale: 0.1 }, 100, 5, rng)).toBeCloseTo(18, 12);
    expect(decodeStepMs(P, 1, rng)).toBe(4);
    expect(decodeStepMs(P, 5, rng)).toBe(12);
    expect(decodeStepMs({ ...P, time_scale: 0.25 }, 3, rng)).toBe(2);
  });
});

describe('drawOutputLength', () => {
  it('returns max_tokens with finish length when EOS is off', () => {
    expect(drawOutputLength(createRng(1), 50, 0)).toEqual({ tokens: 50, stop: false });
  });

  it('stops early with a geometric length of mean 1/p', () => {
    const rng = createRng(3);
    const draws = Array.from({ length: 5000 }, () => drawOutputLength(rng, 10_000, 0.05));
    expect(draws.every((d) => d.stop && d.tokens >= 1)).toBe(true);
    const mean = draws.reduce((a, d) => a + d.tokens, 0) / draws.length;
    expect(mean).toBeGreaterThan(18.5);
    expect(mean).toBeLessThan(21.5);
    expect(drawOutputLength(createRng(1), 5, 1)).toEqual({ tokens: 1, stop: true });
  });
});
