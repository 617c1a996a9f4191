/**
 * Service-level objectives in config: a scenario's `slo:` and a file's named `slo_profiles`.
 * The numbers of the built-in presets live in `lib/slo`; config only knows their names.
 *
 * A limit is named `<metric>_<stat>_<unit>`, e.g. `ttft_p95_ms`, `tpot_p99_ms`, `e2e_p90_s`,
 * and passes when that statistic of that metric is at most the value.
 */
import { z } from 'zod';
import { LATENCY_METRICS } from '../../metrics/aggregate.ts';
import { closestName } from '../closest-name.ts';

/** Metrics a limit can name: the latency metrics of the dictionary (`lib/metrics`). */
export const LIMIT_METRICS = LATENCY_METRICS;
/** Statistics a limit can name; `p99_9` is the 99.9th percentile. */
export const LIMIT_STATS = ['mean', 'p50', 'p90', 'p95', 'p99', 'p99_9', 'max'] as const;
/** Units a limit can be written in. */
export const LIMIT_UNITS = ['ms', 's'] as const;

/** A metric a limit can name. */
export type LimitMetric = (typeof LIMIT_METRICS)[number];
/** A statistic a limit can name. */
export type LimitStat = (typeof LIMIT_STATS)[number];
/** A unit a limit can be written in. */
export type LimitUnit = (typeof LIMIT_UNITS)[number];
/** A limit name, `<metric>_<stat>_<unit>`. */
export type LimitKey = `${LimitMetric}_${LimitStat}_${LimitUnit}`;
/** Limits by name; each is an upper bound in the key's unit. */
export type Limits = Partial<Record<LimitKey, number>>;

/** Names of the built-in SLO presets (numbers in `lib/slo`). */
export const SLO_PRESET_NAMES = [
  'mlperf-standard',
  'mlperf-interactive',
  'mlperf-llama2-70b',
  'mlperf-llama2-70b-interactive',
  'mlperf-mixtral-8x7b',
  'mlperf-llama3.1-405b',
  'mlperf-llama3.1-405b-interactive',
  'mlperf-llama3.1-8b',
  'mlperf-llama3.1-8b-interactive',
  'mlperf-deepseek-r1',
  'mlperf-deepseek-r1-interactive',
  'mlperf-gpt-oss-120b',
  'mlperf-gpt-oss-120b-interactive',
] as const;

/** Every valid limit key, for suggestions. */
const ALL_LIMIT_KEYS: readonly string[] = LIMIT_METRICS.flatMap((m) =>
  LIMIT_STATS.flatMap((s) => LIMIT_UNITS.map((u) => `${m}_${s}_${u}`)),
);

/**
 * Splits a limit key into metric, statistic and unit; `null` when it does not follow
 * `<metric>_<stat>_<unit>`. `parseLimitKey('ttft_p99_9_ms')` → `{ metric: 'ttft', stat: 'p99_9', unit: 'ms' }`.
 */
export function parseLimitKey(key: string): { metric: LimitMetric; stat: LimitStat; unit: LimitUnit } | null {
  const cut = key.lastIndexOf('_');
  const unit = LIMIT_UNITS.find((u) => u === key.slice(cut + 1));
  if (cut < 0 || unit === undefined) return null;
  const rest = key.slice(0, cut);
  for (const stat of LIMIT_STATS) {
    if (!rest.endsWith(`_${stat}`)) continue;
    const metric = LIMIT_METRICS.find((m) => m === rest.slice(0, -(stat.length + 1)));
    if (metric !== undefined) return { metric, stat, unit };
  }
  return null;
}

/** The reason for an invalid limit key, listing the valid forms and the likeliest fix. */
export function limitKeyError(key: string): string {
  const guess = closestName(key, ALL_LIMIT_KEYS);
  return (
    `unknown limit "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}: limits are named <metric>_<stat>_<unit> ` +
    `with metric ${LIMIT_METRICS.join('|')}, stat ${LIMIT_STATS.join('|')}, unit ${LIMIT_UNITS.join('|')}, e.g. ttft_p95_ms`
  );
}

/** `{ <metric>_<stat>_<unit>: upper bound }`, keys checked against the grammar. */
export const LimitsSchema = z
  .record(z.string(), z.number().positive())
  .superRefine((limits, ctx) => {
    for (const key of Object.keys(limits)) {
      if (parseLimitKey(key) === null) ctx.addIssue({ code: 'custom', path: [key], message: limitKeyError(key) });
    }
  })
  .transform((limits) => limits as Limits)
  .describe(
    'Upper bounds by name <metric>_<stat>_<unit>, e.g. ttft_p95_ms: 2000, tpot_p99_ms: 100, e2e_p90_s: 30. ' +
      `Metrics: ${LIMIT_METRICS.join(', ')}; stats: ${LIMIT_STATS.join(', ')}; units: ms, s.`,
  );

/** A named set of limits under a scenario file's `slo_profiles:`. */
export const SloProfileDefSchema = z
  .strictObject({
    description: z.string().optional().describe('What the profile represents, shown in reports.'),
    limits: LimitsSchema,
  })
  .describe('A named SLO profile: a set of limits.');

/** A custom SLO profile. */
export type SloProfileDef = z.output<typeof SloProfileDefSchema>;

/** Smallest fraction of measured requests that must succeed when the scenario sets none (a testing floor). */
export const DEFAULT_MIN_SUCCESS_RATE = 0.95;

/** Largest schedule-lag p99 (ms) when the scenario sets none: above it the client did not keep up. */
export const DEFAULT_MAX_SCHEDULE_LAG_P99_MS = 10;

/** A scenario's `slo:`: what the run must meet to pass. */
export const SloSpecSchema = z
  .strictObject({
    profile: z
      .string()
      .optional()
      .describe(
        `Limits to start from: a preset (${SLO_PRESET_NAMES.join(', ')}) or a name under this file's slo_profiles.`,
      ),
    limits: LimitsSchema.optional().describe(
      "Limits added to the profile's, or replacing them where the same name appears (<metric>_<stat>_<unit>: bound).",
    ),
    min_success_rate: z
      .number()
      .min(0)
      .max(1)
      .default(DEFAULT_MIN_SUCCESS_RATE)
      .describe('Smallest fraction of measured requests that must succeed, 0 to 1 (default 0.95).'),
    max_schedule_lag_p99_ms: z
      .number()
      .min(0)
      .default(DEFAULT_MAX_SCHEDULE_LAG_P99_MS)
      .describe(
        'Largest p99 of schedule lag (sent - intended) in milliseconds (default 10); above it the client did not keep up and the run is invalid.',
      ),
    max_stalled_share: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Largest share of measured requests, 0 to 1 (default 0.01), that may overlap a stall of the measuring process longer than max_schedule_lag_p99_ms; above it the run is invalid.',
      ),
  })
  .describe('Service-level objectives the scenario must meet.');

/** A scenario's SLO, defaults filled in. */
export type SloSpec = z.output<typeof SloSpecSchema>;
