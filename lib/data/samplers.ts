/**
 * Random variates drawn from the project's seeded PRNG (`prng.ts`), shared by the arrival
 * processes (`lib/load`) and the length distributions (`length-shapes.ts`, `random.ts`), so a
 * seed gives the same stream of draws wherever it is used. The Poisson sampler follows numpy's
 * (numpy `random/src/distributions/distributions.c` `random_poisson`: multiplication of uniforms
 * below 10, Hörmann's transformed rejection PTRS from 10, W. Hörmann, Insurance: Mathematics and
 * Economics 12(1), 1993), as inference-perf draws its counts and lengths with numpy.
 */
import type { Prng } from '../stats/prng.ts';

const TWO_32 = 4294967296;

/** A uniform double in the open interval (0, 1): never 0, so `log` is finite. */
export function uniform(prng: Prng): number {
  return (prng.next() + 0.5) / TWO_32;
}

/** A standard normal sample (Box-Muller; one of the pair is used, keeping the stream simple). */
export function standardNormal(prng: Prng): number {
  return Math.sqrt(-2 * Math.log(uniform(prng))) * Math.cos(2 * Math.PI * uniform(prng));
}

/** A standard exponential sample (inverse CDF). */
export function exponential(prng: Prng): number {
  return -Math.log(uniform(prng));
}

/** A Poisson(`lambda`) sample, as numpy's `random_poisson`. */
export function poissonSample(prng: Prng, lambda: number): number {
  if (lambda >= 10) return poissonPtrs(prng, lambda);
  if (lambda === 0) return 0;
  const limit = Math.exp(-lambda);
  let x = 0;
  let prod = 1;
  for (;;) {
    prod *= uniform(prng);
    if (prod > limit) x++;
    else return x;
  }
}

/** Hörmann's PTRS (numpy `random_poisson_ptrs`), for `lambda >= 10`. */
function poissonPtrs(prng: Prng, lambda: number): number {
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = uniform(prng) - 0.5;
    const v = uniform(prng);
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logGamma(k + 1)) return k;
  }
}

const LOGGAM = [
  8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4, 8.417508417508418e-4,
  -1.917526917526918e-3, 6.41025641025641e-3, -2.955065359477124e-2, 1.796443723688307e-1, -1.3924322169059,
];

/** log Γ(x) for x >= 1 (numpy `random_loggam`: Stirling's series, shifted up to 7 for small x). */
export function logGamma(x: number): number {
  if (x === 1 || x === 2) return 0;
  const n = x < 7 ? Math.trunc(7 - x) : 0;
  let x0 = x + n;
  const x2 = (1 / x0) * (1 / x0);
  let gl0 = LOGGAM[9]!;
  for (let k = 8; k >= 0; k--) gl0 = gl0 * x2 + LOGGAM[k]!;
  // 1.8378770664093453 is log(2 pi).
  let gl = gl0 / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * Math.log(x0) - x0;
  for (let k = 1; k <= n; k++) {
    gl -= Math.log(x0 - 1);
    x0 -= 1;
  }
  return gl;
}
