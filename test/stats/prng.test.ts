import { describe, expect, it } from 'vitest';
import { deriveSeed, mix32, prngFor, splitmix32 } from '../../lib/stats/prng.ts';

/** splitmix32 in BigInt arithmetic, written from the algorithm, to check the Math.imul version. */
function referenceSplitmix32(seed: number, count: number): number[] {
  const M = 0xffffffffn;
  let state = BigInt(seed >>> 0);
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    state = (state + 0x9e3779b9n) & M;
    let t = state;
    t = ((t ^ (t >> 16n)) * 0x21f0aaadn) & M;
    t = ((t ^ (t >> 15n)) * 0x735a2d97n) & M;
    out.push(Number(t ^ (t >> 15n)));
  }
  return out;
}

describe('splitmix32', () => {
  it('matches a BigInt reference implementation', () => {
    for (const seed of [0, 1, 42, 0x7fffffff, 0xffffffff, -5]) {
      const g = splitmix32(seed);
      const got = Array.from({ length: 500 }, () => g.next());
      expect(got).toEqual(referenceSplitmix32(seed, 500));
    }
  });

  it('keeps the pinned first outputs, so prompts stay the same across versions', () => {
    const g = splitmix32(0);
    expect([g.next(), g.next(), g.next()]).toEqual([1684164658, 3653269916, 2939563536]);
  });

  it('draws indices below n roughly uniformly', () => {
    const g = splitmix32(7);
    const n = 10;
    const counts = new Array<number>(n).fill(0);
    let outside = 0;
    for (let k = 0; k < 100_000; k++) {
      const v = g.below(n);
      if (v >= 0 && v < n && Number.isInteger(v)) counts[v]!++;
      else outside++;
    }
    expect(outside).toBe(0);
    // Expected 10,000 each; a standard deviation is about 95.
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(600);
  });
});

describe('deriveSeed', () => {
  it('keeps the pinned values, including seeds and indices beyond 32 bits', () => {
    expect([deriveSeed(0, 0), deriveSeed(42, 7), deriveSeed(-1, 0), deriveSeed(2 ** 32, 0), deriveSeed(0, 2 ** 32)]).toEqual([
      1826766699, 1830515844, 147863898, 1115574694, 557775246,
    ]);
  });

  it('gives distinct seeds to neighbouring indices and seeds, and to seeds equal modulo 2^32', () => {
    const seen = new Set<number>();
    for (const seed of [0, 1, 2, 2 ** 32, 2 ** 32 + 1, -1]) {
      for (let i = 0; i < 2000; i++) seen.add(deriveSeed(seed, i));
    }
    // 12,000 draws from 2^32: a collision has probability about 1.7%, none is expected.
    expect(seen.size).toBe(12_000);
  });

  it('starts unrelated streams for neighbouring indices', () => {
    const a = prngFor(3, 10);
    const b = prngFor(3, 11);
    const same = Array.from({ length: 100 }, () => a.next() === b.next()).filter(Boolean).length;
    expect(same).toBe(0);
  });
});

describe('mix32', () => {
  it('flips about half the output bits for a one-bit input change', () => {
    let flipped = 0;
    let trials = 0;
    for (let x = 0; x < 1000; x++) {
      for (let bit = 0; bit < 32; bit++) {
        const d = (mix32(x) ^ mix32(x ^ (1 << bit))) >>> 0;
        flipped += d.toString(2).replace(/0/g, '').length;
        trials++;
      }
    }
    expect(flipped / trials).toBeGreaterThan(15);
    expect(flipped / trials).toBeLessThan(17);
  });
});
