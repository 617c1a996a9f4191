/**
 * The tolerance of each compared metric: the lookup under {@link ToleranceOptions}, and the
 * tolerances a run sets with `BENCH_BASELINE_TOLERANCE` on top of a scenario's own.
 */
import { ConfigError } from '../errors/config-error.ts';
import { parsePercentileKey } from '../stats/summary.ts';
import { COMPARABLE_METRICS, DEFAULT_TOLERANCE, LATENCY, SUCCESS_RATE_TOLERANCE, type ToleranceOptions } from './comparison.ts';
import { settings } from '../settings/registry.ts';

/** Tolerance of a metric × statistic under `t` (see {@link ToleranceOptions}). */
export function toleranceOf(t: ToleranceOptions, metric: string, stat: string): number {
  const specific = t.perMetric[`${metric}.${stat}`] ?? t.perMetric[metric];
  if (specific !== undefined) return specific;
  return metric === 'success_rate' ? SUCCESS_RATE_TOLERANCE : t.default;
}

/** The variable this file's errors name. */
const TOLERANCE_VAR = 'BENCH_BASELINE_TOLERANCE' as const;

/** A tolerance value: `0.1` or `10%`; finite and >= 0. */
function toleranceValue(text: string, part: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(text.trim());
  if (!m) throw new ConfigError('env', TOLERANCE_VAR, `"${part}": tolerance must be a number >= 0 like 0.1 or 10%`);
  return m[2] ? Number(m[1]) / 100 : Number(m[1]);
}

/**
 * Tolerances from `BENCH_BASELINE_TOLERANCE`: comma-separated, a bare value sets the default
 * (relative metrics), `key=value` one metric (`ttft.p95=0.2`, `e2e=0.15`, `success_rate=0.02`);
 * values as fractions (`0.1`) or percentages (`10%`). Example: `ttft.p95=0.2,e2e=0.15,0.1`.
 * Applied on top of `defaults` (a scenario's `regression:` block; {@link DEFAULT_TOLERANCE}
 * otherwise): unset or empty leaves them as they are. A bad value or unknown key is a ConfigError
 * naming the variable.
 */
export function toleranceFromEnv(env: NodeJS.ProcessEnv = process.env, defaults: ToleranceOptions = DEFAULT_TOLERANCE): ToleranceOptions {
  const text = settings(env).get('BENCH_BASELINE_TOLERANCE');
  const out: ToleranceOptions = { default: defaults.default, perMetric: { ...defaults.perMetric } };
  if (!text) return out;
  let sawDefault = false;
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') throw new ConfigError('env', TOLERANCE_VAR, `empty entry in "${text}"; expected e.g. ttft.p95=0.2,e2e=0.15,0.1`);
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (sawDefault) throw new ConfigError('env', TOLERANCE_VAR, `"${part}": a second default tolerance (give one bare value; metrics as key=value)`);
      out.default = toleranceValue(part, part);
      sawDefault = true;
      continue;
    }
    const key = part.slice(0, eq).trim();
    const [metric, stat] = key.split('.');
    const known = (COMPARABLE_METRICS as readonly string[]).includes(metric ?? '');
    const statOk =
      stat === undefined ||
      (key.split('.').length === 2 && (LATENCY as readonly string[]).includes(metric ?? '') && (stat === 'mean' || parsePercentileKey(stat) !== null));
    if (!known || !statOk)
      throw new ConfigError(
        'env',
        TOLERANCE_VAR,
        `"${part}": unknown metric "${key}" (expected ${COMPARABLE_METRICS.join(', ')}, latencies optionally with .p50/.p95/.p99/.mean)`,
      );
    out.perMetric[key] = toleranceValue(part.slice(eq + 1), part);
  }
  return out;
}
