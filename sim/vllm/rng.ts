/**
 * A small seeded pseudo-random generator (sfc32) with a normal sampler. Every random draw of the
 * simulator comes from one of these, so a given `seed` and request order replay exactly.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Normal sample with the given mean and standard deviation (Box-Muller, spare cached). */
  normal(mean: number, std: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** Creates a generator from a seed and a stream label, so independent uses do not share draws. */
export function createRng(seed: number, stream = 0): Rng {
  // splitmix32 expands the two integers into sfc32's 128-bit state.
  let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();

  let spare: number | undefined;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal(mean, std) {
      if (std <= 0) return mean;
      let z: number;
      if (spare !== undefined) {
        z = spare;
        spare = undefined;
      } else {
        let u = next();
        while (u === 0) u = next();
        const v = next();
        const r = Math.sqrt(-2 * Math.log(u));
        z = r * Math.cos(2 * Math.PI * v);
        spare = r * Math.sin(2 * Math.PI * v);
      }
      return mean + std * z;
    },
  };
}
