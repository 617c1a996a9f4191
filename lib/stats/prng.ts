/**
 * Seeded pseudo-random numbers for prompts (`lib/data`), arrival schedules (`lib/load`) and the
 * bootstrap. Prompts must be reproducible across runs, processes and machines (prompt `i` of
 * seed `s` is always the same text), so nothing here touches `Math.random`. The embedded
 * simulator has its own generator on purpose: it shares no code with the client side.
 *
 * The generator is splitmix32, the 32-bit variant of Steele, Lea and Flood's SplitMix: a Weyl
 * sequence (add the golden ratio `0x9e3779b9` per step) passed through a 32-bit avalanche hash
 * (xor-shifts 16/15/15, multipliers `0x21f0aaad` and `0x735a2d97`, from Wellons's
 * hash-prospector). Period 2^32, far more than a run draws, and because the output is a strong
 * hash of a counter, seeds that differ in one bit give unrelated streams, which is what makes
 * seeding by `(seed, index)` safe.
 */

/** A stream of uniformly distributed unsigned 32-bit integers. */
export interface Prng {
  /** The next value in `0 .. 2^32 - 1`. */
  next(): number;
  /** A uniform integer in `0 .. n - 1` for `1 <= n <= 2^21` (bias below `n / 2^32`). */
  below(n: number): number;
}

const GOLDEN = 0x9e3779b9;
const TWO_32 = 4294967296;

/** The avalanche hash: every input bit flips each output bit with probability about 1/2. */
export function mix32(x: number): number {
  let t = x >>> 0;
  t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
  t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
  return (t ^ (t >>> 15)) >>> 0;
}

/** A splitmix32 generator whose state starts at `seed` (taken modulo 2^32). */
export function splitmix32(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + GOLDEN) >>> 0;
    return mix32(state);
  };
  return {
    next,
    // Multiply-shift instead of `%`: exact in doubles (n * 2^32 < 2^53) and no modulo bias worth
    // naming at the sizes used here (a pool of some 24,000 word pieces).
    below: (n) => Math.floor((next() * n) / TWO_32),
  };
}

/**
 * The 32-bit seed of item `index` of a run seeded with `seed`. Both arguments may be any safe
 * integer (negative seeds and seeds above 2^32 keep all their bits); neighbouring indices and
 * neighbouring seeds give unrelated streams.
 */
export function deriveSeed(seed: number, index: number): number {
  const seedLo = seed >>> 0;
  const seedHi = Math.floor(seed / TWO_32) >>> 0;
  const indexLo = index >>> 0;
  const indexHi = Math.floor(index / TWO_32) >>> 0;
  const s = mix32(seedLo ^ mix32(seedHi + GOLDEN));
  const i = mix32(indexLo ^ mix32(indexHi + 2 * GOLDEN));
  return mix32(s + Math.imul(i, 0x85ebca6b));
}

/** A generator for item `index` of a run seeded with `seed`: see {@link deriveSeed}. */
export function prngFor(seed: number, index: number): Prng {
  return splitmix32(deriveSeed(seed, index));
}
