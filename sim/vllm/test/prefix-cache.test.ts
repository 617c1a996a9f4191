import { describe, expect, it } from 'vitest';
import { maxCacheableBlocks, PrefixCache } from '../prefix-cache.ts';

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('PrefixCache', () => {
  it('hashes full blocks only, chaining each block to its prefix', () => {
    const c = new PrefixCache(4, 100);
    expect(c.blockHashes(range(0, 11))).toHaveLength(2);
    const a = c.blockHashes([1, 2, 3, 4, 9, 9, 9, 9]);
    const b = c.blockHashes([5, 6, 7, 8, 9, 9, 9, 9]);
    expect(a[1]).not.toBe(b[1]);
    expect(c.blockHashes([1, 2, 3, 4, 9, 9, 9, 9])).toEqual(a);
  });

  it('hits the shared leading blocks of a later prompt, up to the first difference', () => {
    const c = new PrefixCache(4, 100);
    const first = c.blockHashes(range(0, 16));
    expect(c.match(first)).toBe(0);
    c.insert(first);
    const shared = c.blockHashes([...range(0, 8), 99, ...range(9, 7)]);
    expect(c.match(shared)).toBe(2);
    expect(c.match(c.blockHashes(range(0, 16)))).toBe(4);
    expect(c.match(c.blockHashes(range(0, 16)), 3)).toBe(3);
    expect(c.match(c.blockHashes(range(1, 16)))).toBe(0);
  });

  it('evicts the least recently used blocks beyond capacity', () => {
    const c = new PrefixCache(2, 4);
    const a = c.blockHashes([1, 1, 2, 2]);
    const b = c.blockHashes([3, 3, 4, 4]);
    c.insert(a);
    c.insert(b);
    expect(c.size).toBe(4);
    expect(c.match(a)).toBe(2);
    const d = c.blockHashes([5, 5, 6, 6]);
    c.insert(d);
    expect(c.size).toBe(4);
    expect(c.match(b)).toBe(0);
    expect(c.match(a)).toBe(2);
    expect(c.match(d)).toBe(2);
  });

  it("keeps a finished request's blocks with its tail first in line for eviction", () => {
    const c = new PrefixCache(2, 3);
    const seq = c.blockHashes([1, 1, 2, 2, 3, 3]);
    c.release(seq);
    expect(c.size).toBe(3);
    c.insert(c.blockHashes([7, 7]));
    // The tail block went first; the head of the sequence still hits.
    expect(c.match(seq)).toBe(2);
    expect(c.size).toBe(3);
  });

  it('never counts the last prompt token as cacheable', () => {
    expect(maxCacheableBlocks(32, 16)).toBe(1);
    expect(maxCacheableBlocks(33, 16)).toBe(2);
    expect(maxCacheableBlocks(1, 16)).toBe(0);
  });
});
