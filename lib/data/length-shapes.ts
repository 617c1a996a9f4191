/**
 * Token-length distributions as inference-perf samples them, by the `type` of its `Distribution`
 * (kubernetes-sigs/inference-perf `inference_perf/config/common.py`). It has two samplers, and
 * which one applies depends on the data:
 *
 * - `generate`: `inference_perf/utils/numeric/distribution/utils.py` `generate_distribution`,
 *   used by `random` (and `synthetic`) data. `normal` (mean within min..max), `lognormal` shifted
 *   so that `min` maps to 0 (moments of `mean - min`, 1 when that is <= 0), `uniform` on
 *   `[min, max]`, `fixed` (`int(mean)`, not clipped). `skew_normal` and `poisson` are errors there.
 * - `sample`: `sample_from_distribution` of the same file, used by `shared_prefix` data for its
 *   system prompt, question and output lengths. `normal`, `skew_normal` (Azzalini's two-normal
 *   method), `lognormal` unshifted (mean > 0; std 0 is the constant mean), `uniform` on
 *   `[min, max + 1)`, `poisson` (lambda = mean, 1 when mean <= 0), `fixed` (`int(mean)`).
 *
 * Both then clip every draw to `min..max`, round half to even (numpy's `round`) and clip
 * again: out-of-range draws pile up at the bounds, unlike a truncated normal. The shapes are
 * drawn from this project's seeded PRNG (`samplers.ts`; Poisson by numpy's algorithm), so the
 * lengths follow inference-perf's distributions, not its numpy streams.
 */
import type { Prng } from '../stats/prng.ts';
import { poissonSample, standardNormal, uniform } from './samplers.ts';

/** A distribution type of inference-perf's `Distribution`. */
export type LengthShape = 'normal' | 'skew_normal' | 'lognormal' | 'uniform' | 'poisson' | 'fixed';

/** Which of inference-perf's two samplers. */
export type LengthSampler = 'generate' | 'sample';

/** A length distribution in inference-perf's terms, in tokens. */
export interface ShapedLength {
  type: LengthShape;
  min: number;
  max: number;
  mean: number;
  /** Standard deviation (inference-perf's `std_dev`, or the square root of its `variance`). */
  std: number;
  /** Skewness of `skew_normal`. */
  skew?: number;
}

/** Types `generate_distribution` draws (random data). */
export const GENERATE_SHAPES = ['normal', 'lognormal', 'uniform', 'fixed'] as const;
/** Types `sample_from_distribution` draws (shared_prefix data). */
export const SAMPLE_SHAPES = ['normal', 'skew_normal', 'lognormal', 'uniform', 'poisson', 'fixed'] as const;

/** Types each sampler draws; any other is an error in inference-perf. */
export const SAMPLER_SHAPES: Readonly<Record<LengthSampler, readonly LengthShape[]>> = Object.freeze({ generate: GENERATE_SHAPES, sample: SAMPLE_SHAPES });


/** Underlying normal of a lognormal with this mean and standard deviation (moment matching). */
function lognormal(mean: number, std: number, prng: Prng): number {
  const sigma2 = Math.log(1 + (std / mean) ** 2);
  return Math.exp(Math.log(mean) - sigma2 / 2 + Math.sqrt(sigma2) * standardNormal(prng));
}

type Draw = (d: ShapedLength, prng: Prng) => number;

/** One raw draw (before clipping) of each type, per sampler. */
const DRAWS: Readonly<Record<LengthSampler, Partial<Record<LengthShape, Draw>>>> = {
  generate: {
    normal: (d, prng) => d.mean + d.std * standardNormal(prng),
    lognormal: (d, prng) => {
      const shifted = d.mean - d.min > 0 ? d.mean - d.min : 1;
      return lognormal(shifted, d.std, prng) + d.min;
    },
    uniform: (d, prng) => d.min + (d.max - d.min) * uniform(prng),
  },
  sample: {
    normal: (d, prng) => d.mean + d.std * standardNormal(prng),
    skew_normal: (d, prng) => {
      const skew = d.skew ?? 0;
      const delta = skew / Math.sqrt(1 + skew * skew);
      const u0 = standardNormal(prng);
      const u1 = delta * u0 + Math.sqrt(1 - delta * delta) * standardNormal(prng);
      return d.mean + d.std * (u0 >= 0 ? u1 : -u1);
    },
    lognormal: (d, prng) => (d.std <= 0 ? d.mean : lognormal(d.mean, d.std, prng)),
    uniform: (d, prng) => d.min + (d.max + 1 - d.min) * uniform(prng),
    poisson: (d, prng) => poissonSample(prng, d.mean > 0 ? d.mean : 1),
  },
};

/** numpy's `round`: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Why `d` cannot be drawn by `sampler` (inference-perf raises for it), or undefined.
 * `generate` needs a normal's mean within min..max; `sample`, a lognormal's mean above 0.
 */
export function shapeProblem(d: ShapedLength, sampler: LengthSampler): string | undefined {
  if (!SAMPLER_SHAPES[sampler].includes(d.type)) {
    return `type ${d.type} is not drawn here (inference-perf draws ${SAMPLER_SHAPES[sampler].join(', ')} for this data)`;
  }
  if (d.min > d.max) return `min ${d.min} is above max ${d.max}`;
  if (sampler === 'generate' && d.type === 'normal' && (d.mean < d.min || d.mean > d.max)) return `mean ${d.mean} is outside min..max (${d.min}..${d.max})`;
  if (sampler === 'sample' && d.type === 'lognormal' && d.mean <= 0) return 'a lognormal distribution needs mean > 0';
  return undefined;
}

/** One length from `d` as inference-perf's `sampler` draws it; `d` must pass {@link shapeProblem}. */
export function drawShaped(d: ShapedLength, sampler: LengthSampler, prng: Prng): number {
  if (d.type === 'fixed') return Math.trunc(d.mean);
  const draw = DRAWS[sampler][d.type];
  if (!draw) throw new TypeError(`drawShaped: ${sampler} does not draw ${d.type}`);
  const clipped = Math.min(d.max, Math.max(d.min, draw(d, prng)));
  return Math.min(d.max, Math.max(d.min, roundHalfEven(clipped)));
}
