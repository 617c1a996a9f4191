/**
 * inference-perf's `Distribution` (kubernetes-sigs/inference-perf `inference_perf/config/common.py`)
 * as a well-lit-path workload writes it, and its translation to a scenario's length distribution.
 * Used by `random` and `shared_prefix` data and by `conversation_replay`'s per-conversation and
 * per-turn distributions.
 */
import { z } from 'zod';
import type { LengthSampler } from '../../data/length-shapes.ts';
import { choice, tokens } from './schema-helpers.ts';

/** Records how the translation read a key, for the report: its path in the workload, the value, and why. */
export type Note = (path: string, value: unknown, why: string) => void;

/** Fields the standard deviation defaults to when a distribution gives none (inference-perf's). */
const DEFAULT_STD = 200;

/**
 * An inference-perf distribution whose `min` and `max` are read by `bound` (token counts by
 * default; seconds for a latency).
 */
export function ipDistribution(bound: () => z.ZodNumber = () => tokens(), unit = 'length') {
  return z
    .strictObject({
      type: choice(['normal', 'skew_normal', 'lognormal', 'uniform', 'poisson', 'fixed'] as const)
        .default('normal')
        .describe("normal (default), skew_normal, lognormal, uniform, poisson or fixed, drawn as inference-perf draws them and clipped to min..max (random data draws normal, lognormal, uniform and fixed; shared_prefix and conversation_replay all six)."),
      min: bound().default(10).describe(`Smallest ${unit} (default 10).`),
      max: bound().default(1024).describe(`Largest ${unit} (default 1024).`),
      mean: z.number().default(512).describe(`Mean ${unit} (default 512).`),
      std_dev: z.number().min(0).optional().describe('Standard deviation (default 200).'),
      std: z.number().min(0).optional().describe('Read as std_dev (some llm-d configs write std; inference-perf\'s strict config model refuses it).'),
      variance: z.number().min(0).optional().describe('Variance, instead of std_dev.'),
      total_count: tokens('prompts').optional().describe('Distinct prompts (input_distribution); the output one must be the same or left out.'),
      skew: z.number().optional().describe('Skewness of a skew_normal distribution (default 0).'),
    })
    .superRefine((d, ctx) => {
      const given = [d.std_dev, d.std, d.variance === undefined ? undefined : Math.sqrt(d.variance)].filter((v) => v !== undefined);
      if (new Set(given).size > 1) ctx.addIssue({ code: 'custom', path: ['std_dev'], message: 'std_dev, std and variance disagree: give one' });
      // mean within min..max is checked where it matters, for random data (a dataset's filter reads only min and max).
      if (d.min > d.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${d.min} is above max ${d.max}` });
    })
    .describe(`A ${unit} distribution.`);
}

/** inference-perf `Distribution` of token counts, with its defaults (min 10, max 1024, mean 512, std_dev 200). */
export const IpDistributionSchema = ipDistribution();

/** A parsed length distribution. */
export type IpDistribution = z.output<typeof IpDistributionSchema>;

/**
 * An inference-perf distribution as a scenario's: its `type` kept, so it is drawn as inference-perf
 * draws it (`lib/data/length-shapes.ts`; `sampler` says which of its two samplers the data uses).
 * `key` is its path under `data`, for the notes.
 */
export function nativeDistribution(d: IpDistribution, key: string, note: Note, sampler: LengthSampler = 'generate'): Record<string, unknown> {
  let std = d.std_dev ?? d.std ?? (d.variance === undefined ? undefined : Math.sqrt(d.variance));
  if (d.std !== undefined && d.std_dev === undefined) {
    note(`data.${key}.std`, d.std, "read as std_dev, which the file meant (inference-perf's Distribution has no std field: its strict config model refuses the key)");
  }
  if (std === undefined && !['fixed', 'uniform', 'poisson'].includes(d.type)) note(`data.${key}.std_dev`, DEFAULT_STD, "not given: inference-perf's default");
  std ??= DEFAULT_STD;
  if (d.skew !== undefined && d.type !== 'skew_normal') note(`data.${key}.skew`, d.skew, `no effect: skew is only used by skew_normal distributions, and this one is ${d.type}`);
  const skew = d.type === 'skew_normal' && sampler === 'sample' ? { skew: d.skew ?? 0 } : {};
  return { type: d.type, min: d.min, max: d.max, mean: d.mean, std, ...skew };
}
