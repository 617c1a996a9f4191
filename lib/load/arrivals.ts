/**
 * Random arrival processes for open-loop schedules, as pure, seeded generators of the gaps
 * between intended send times (ms). The same seed gives the same schedule on any machine, so a
 * run can be repeated exactly and two runs can be compared request by request.
 *
 * - Poisson: exponential gaps with mean `1000 / rate` ms (inverse-CDF sampling).
 * - Gamma with a burstiness knob (vLLM's `benchmark_serving --burstiness`): gaps are
 *   Gamma(shape = burstiness, scale = 1000 / (rate * burstiness)) ms, so the mean rate stays
 *   `rate` while the coefficient of variation is `1 / sqrt(burstiness)`: burstiness 1 is Poisson,
 *   below 1 burstier, above 1 more regular. Sampled with Marsaglia and Tsang's method
 *   (ACM TOMS 26(3), 2000), with the `U^(1/shape)` boost for shape < 1.
 */
import { splitmix32, type Prng } from '../stats/prng.ts';
import { standardNormal, uniform } from '../data/samplers.ts';


/** A Gamma(shape, 1) sample. */
export function gammaSample(prng: Prng, shape: number): number {
  if (shape < 1) return gammaSample(prng, shape + 1) * uniform(prng) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(prng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniform(prng);
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Intended send offsets (ms) of a Poisson process at `rate` requests/s; the first request is due at 0. */
export function* poissonOffsets(rate: number, seed: number): Generator<number> {
  const prng = splitmix32(seed);
  const mean = 1000 / rate;
  let t = 0;
  for (;;) {
    yield t;
    t += -Math.log(uniform(prng)) * mean;
  }
}

/** Intended send offsets (ms) of a gamma renewal process at `rate` requests/s with `burstiness`; the first request is due at 0. */
export function* gammaOffsets(rate: number, burstiness: number, seed: number): Generator<number> {
  const prng = splitmix32(seed);
  const scale = 1000 / (rate * burstiness);
  let t = 0;
  for (;;) {
    yield t;
    t += gammaSample(prng, burstiness) * scale;
  }
}
