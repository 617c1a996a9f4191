/**
 * The regression gate across releases (`BENCH_BASELINE=<run folder or summary.json>`): load the
 * raw samples of a baseline run and of the current run, and compare them metric by metric with a
 * bootstrap confidence interval of the change (`lib/stats/bootstrap.ts`). A metric regresses only
 * when its change is in the bad direction beyond its tolerance AND the interval excludes zero on
 * the bad side; noise and small changes never fail a release.
 */
import { deriveSeed } from '../stats/prng.ts';
import { ConfigError } from '../errors/config-error.ts';
import { BaselineError } from '../errors/baseline-error.ts';
import {
  BOOTSTRAP_DEFAULTS,
  type BootstrapOptions,
  bootstrapChange,
  bootstrapProportionChange,
  bootstrapRateChange,
  type ChangeInterval,
  type PreparedSamples,
  prepareSamples,
} from '../stats/bootstrap.ts';
import { parsePercentileKey } from '../stats/summary.ts';
import type { MetricSamples, RunSamples } from '../run-folder/run-samples.ts';

export { BaselineError };
export { loadRunSamples, type MetricSamples, type RunSamples, type ScenarioSamples, SUMMARY_SCHEMA, samplesOfFolder } from '../run-folder/run-samples.ts';

/** `schema` of a {@link Comparison}. */
export const COMPARISON_SCHEMA = 'vitest-llm-d/comparison@1';

const LATENCY = ['ttft', 'tpot', 'itl', 'e2e'] as const;
type LatencyName = (typeof LATENCY)[number];
/** Every metric a comparison can cover. */
export const COMPARABLE_METRICS = [...LATENCY, 'throughput', 'success_rate'] as const;

/** Metric × statistic compared by default. */
export const DEFAULT_COMPARED: readonly string[] = [
  'ttft.p50',
  'ttft.p95',
  'ttft.p99',
  'tpot.p50',
  'tpot.p95',
  'tpot.p99',
  'itl.p50',
  'itl.p95',
  'e2e.p50',
  'e2e.p95',
  'e2e.p99',
  'throughput',
  'success_rate',
];

/**
 * Tolerances: how large a change may be before it counts as a regression (or improvement).
 * `default` applies to the relative metrics (latencies, throughput: 0.1 = 10%). `perMetric` keys
 * are `<metric>.<stat>` (`ttft.p95`), `<metric>` (all its statistics: `ttft`, `throughput`) or
 * `success_rate`; the most specific key wins. The success rate is in absolute points (0.01 = one
 * percentage point) and never takes `default`: without its own key it uses
 * {@link SUCCESS_RATE_TOLERANCE}.
 */
export interface ToleranceOptions {
  default: number;
  perMetric: Record<string, number>;
}

/** Relative tolerance of latencies and throughput unless configured: 10%. */
export const DEFAULT_RELATIVE_TOLERANCE = 0.1;
/** Success-rate tolerance unless configured: 1 percentage point. */
export const SUCCESS_RATE_TOLERANCE = 0.01;
/** Tolerances when nothing is configured. */
export const DEFAULT_TOLERANCE: ToleranceOptions = { default: DEFAULT_RELATIVE_TOLERANCE, perMetric: {} };

/** Options of {@link compareRuns}; bootstrap defaults: 95%, 1000 resamples, seed 1. */
export interface CompareOptions extends BootstrapOptions {
  tolerance?: ToleranceOptions;
  /** Metric × statistic keys (`ttft.p95`, `e2e.mean`, `throughput`, `success_rate`); default {@link DEFAULT_COMPARED}. */
  metrics?: readonly string[];
  /** Also compare stage by stage (stages matched by label). Default true. */
  stages?: boolean;
}

/**
 * Verdict of one metric:
 * - `regression`: the change is in the bad direction, beyond the tolerance, and the CI excludes 0
 *   on the bad side (both conditions; either alone is noise or an acceptable drift).
 * - `improvement`: the same in the good direction.
 * - `unchanged`: anything else (`significant` says whether the CI still excludes 0).
 * - `not comparable`: no change or no CI can be computed (`reason` says why): the metric exists in
 *   only one run, fewer than 2 samples on a side, a zero baseline, an empty window. Never a
 *   regression; the count is in `Comparison.notComparable` so a gate can decide.
 * - `too few samples`: a percentile with fewer than {@link MIN_TAIL_SAMPLES} samples beyond it in
 *   either run (p95 needs 200 requests, p99 1,000): the bootstrap cannot judge it. Never a regression.
 */
export type Verdict = 'regression' | 'improvement' | 'unchanged' | 'not comparable' | 'too few samples';

/** One metric × statistic of one scenario (or stage). */
export interface MetricComparison {
  /** `ttft`, `tpot`, `itl`, `e2e`, `throughput`, `success_rate`. */
  metric: string;
  /** `p50`, `p95`, `mean`, ...; `output` for throughput (output tokens/s), `rate` for the success rate. */
  stat: string;
  /** `ms`, `tok/s`, or `fraction` (success rate, 0..1). */
  unit: string;
  baseline: number | null;
  current: number | null;
  /** Relative change (current - baseline) / baseline; for the success rate, absolute (current - baseline). */
  change: number | null;
  changeKind: 'relative' | 'absolute';
  ci: [number, number] | null;
  /** Tolerance applied, in the unit of `change`. */
  tolerance: number;
  direction: 'lower_is_better' | 'higher_is_better';
  /** The CI excludes 0. */
  significant: boolean;
  verdict: Verdict;
  /** Why the verdict is `not comparable`; null otherwise. */
  reason: string | null;
  nBaseline: number;
  nCurrent: number;
}

/** Comparison of one scenario, or of one stage of it (`stage` set). */
export interface ScenarioComparison {
  scenario: string;
  stage: string | null;
  /** `no baseline`: the baseline has no such scenario (or stage); `metrics` is then empty. */
  status: 'compared' | 'no baseline';
  metrics: MetricComparison[];
}

/** Identity of a compared run. */
export interface RunRef {
  source: string;
  suite: string;
  stamp: string;
  targetKind: string | null;
  model: string | null;
}

/** The serialisable result of {@link compareRuns}. */
export interface Comparison {
  schema: typeof COMPARISON_SCHEMA;
  baseline: RunRef;
  current: RunRef;
  confidence: number;
  resamples: number;
  seed: number;
  tolerances: ToleranceOptions;
  scenarios: ScenarioComparison[];
  /** Scenarios in the baseline but not in the current run (not compared). */
  baselineOnly: string[];
  /** Things that make the comparison less meaningful (target kind or model changed). */
  warnings: string[];
  regressions: number;
  improvements: number;
  notComparable: number;
}

const METRIC_NAMES: Record<string, string> = {
  ttft: 'TTFT',
  tpot: 'TPOT',
  itl: 'ITL',
  e2e: 'E2E latency',
  throughput: 'output throughput',
  success_rate: 'success rate',
};

/** A compared key split into metric and statistic; throws RangeError for unknown keys. */
export function parseMetricKey(key: string): { metric: string; stat: string } {
  const [metric, stat, extra] = key.split('.');
  if (extra === undefined && metric !== undefined) {
    if (metric === 'throughput' && stat === undefined) return { metric, stat: 'output' };
    if (metric === 'success_rate' && stat === undefined) return { metric, stat: 'rate' };
    if ((LATENCY as readonly string[]).includes(metric) && stat !== undefined && (stat === 'mean' || parsePercentileKey(stat) !== null))
      return { metric, stat };
  }
  throw new RangeError(`unknown metric "${key}": expected ttft|tpot|itl|e2e with .p50/.p95/.p99/.mean, throughput or success_rate`);
}

/** Tolerance of a metric × statistic under `t` (see {@link ToleranceOptions}). */
export function toleranceOf(t: ToleranceOptions, metric: string, stat: string): number {
  const specific = t.perMetric[`${metric}.${stat}`] ?? t.perMetric[metric];
  if (specific !== undefined) return specific;
  return metric === 'success_rate' ? SUCCESS_RATE_TOLERANCE : t.default;
}

/** FNV-1a of a string: the stream of each compared metric, so one metric's CI does not depend on which others are compared. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Verdict of a change with its CI, direction and tolerance (see {@link Verdict}). */
function judge(c: ChangeInterval, lowerIsBetter: boolean, tolerance: number): Pick<MetricComparison, 'significant' | 'verdict' | 'reason'> {
  if (c.change === null || c.ci === null) return { significant: false, verdict: 'not comparable', reason: c.note ?? 'no confidence interval' };
  const [lo, hi] = c.ci;
  const significant = lo > 0 || hi < 0;
  // Badness: positive when worse.
  const bad = lowerIsBetter ? c.change : -c.change;
  const badLo = lowerIsBetter ? lo : -hi;
  const badHi = lowerIsBetter ? hi : -lo;
  if (bad > tolerance && badLo > 0) return { significant, verdict: 'regression', reason: null };
  if (bad < -tolerance && badHi < 0) return { significant, verdict: 'improvement', reason: null };
  return { significant, verdict: 'unchanged', reason: null };
}

const prepared = new WeakMap<Float64Array, PreparedSamples>();
const prep = (x: Float64Array): PreparedSamples => {
  let p = prepared.get(x);
  if (!p) prepared.set(x, (p = prepareSamples(x)));
  return p;
};

/** One metric × statistic, or null when neither run has it (nothing to say). */
/** Samples a run needs beyond a percentile (on its far side) for the bootstrap to judge it. */
export const MIN_TAIL_SAMPLES = 10;

/**
 * Why a percentile cannot be judged on `n` samples, or null when it can. The bootstrap of a tail
 * percentile is only trustworthy with several samples beyond it: with 60 requests, p99 is the
 * largest sample, and its resamples mostly repeat the few largest values, so one late chunk on a
 * busy client would read as a "significant" regression. A percentile q needs
 * n * min(q, 1 - q) >= {@link MIN_TAIL_SAMPLES} in both runs (p50: 20, p95: 200, p99: 1,000).
 */
function tooFewForTail(stat: string, n: number, noun = 'samples'): string | null {
  const q = stat === 'mean' ? null : parsePercentileKey(stat);
  if (q === null) return null;
  const tail = Math.min(q, 100 - q) / 100;
  const need = Math.ceil(MIN_TAIL_SAMPLES / tail - 1e-9);
  return n >= need ? null : `${stat} needs >= ${need} ${noun} per run (${MIN_TAIL_SAMPLES} beyond it); ${n} here`;
}

function compareMetric(
  key: { metric: string; stat: string },
  a: MetricSamples,
  b: MetricSamples,
  tolerance: number,
  opts: Required<BootstrapOptions>,
): MetricComparison | null {
  const { metric, stat } = key;
  let c: ChangeInterval;
  let unit: string;
  let missing: string | null = null;
  if ((LATENCY as readonly string[]).includes(metric)) {
    unit = 'ms';
    const sa = a[metric as LatencyName];
    const sb = b[metric as LatencyName];
    if (sa.length === 0 && sb.length === 0) return null;
    const hint = metric === 'e2e' ? '' : ' (not streamed, or no successful request)';
    if (sa.length === 0) missing = `the baseline has no ${METRIC_NAMES[metric]} samples${hint}`;
    else if (sb.length === 0) missing = `the current run has no ${METRIC_NAMES[metric]} samples${hint}`;
    c = bootstrapChange(prep(sa), prep(sb), stat, opts);
  } else if (metric === 'throughput') {
    unit = 'tok/s';
    if (a.requests === 0 && b.requests === 0) return null;
    if (!(a.windowS > 0)) missing = 'the baseline has no measurement window (no measured request)';
    else if (!(b.windowS > 0)) missing = 'the current run has no measurement window (no measured request)';
    c = missing
      ? emptyChange(a.requests, b.requests, opts)
      : bootstrapRateChange({ values: prep(a.outputTokens), window: a.windowS }, { values: prep(b.outputTokens), window: b.windowS }, opts);
  } else {
    unit = 'fraction';
    if (a.requests === 0 && b.requests === 0) return null;
    c = bootstrapProportionChange({ successes: a.successful, total: a.requests }, { successes: b.successful, total: b.requests }, opts);
  }
  const lowerIsBetter = unit === 'ms';
  // ITL gaps cluster by request (one slow request contributes hundreds of slow gaps), so the
  // samples that count for the tail rule are the requests that produced gaps, not the gaps.
  const effective = metric === 'itl' ? Math.min(a.tpot.length, b.tpot.length) : Math.min(c.nBaseline, c.nCurrent);
  const few = !missing && unit === 'ms' ? tooFewForTail(stat, effective, metric === 'itl' ? 'streamed requests' : 'samples') : null;
  const j = missing
    ? { significant: false, verdict: 'not comparable' as const, reason: missing }
    : few
      ? { significant: false, verdict: 'too few samples' as const, reason: few }
      : judge(c, lowerIsBetter, tolerance);
  return {
    metric,
    stat,
    unit,
    baseline: c.baseline,
    current: c.current,
    change: c.change,
    changeKind: c.kind,
    ci: c.ci,
    tolerance,
    direction: lowerIsBetter ? 'lower_is_better' : 'higher_is_better',
    ...j,
    nBaseline: c.nBaseline,
    nCurrent: c.nCurrent,
  };
}

function emptyChange(nA: number, nB: number, o: Required<BootstrapOptions>): ChangeInterval {
  return { statistic: 'rate', kind: 'relative', baseline: null, current: null, change: null, ci: null, nBaseline: nA, nCurrent: nB, confidence: o.confidence, resamples: o.resamples, note: null };
}

/**
 * Compares the current run with a baseline, scenario by scenario (and stage by stage, matched by
 * label), metric by metric (default {@link DEFAULT_COMPARED}): change, bootstrap CI, verdict.
 *
 * Compatibility: a different suite is a {@link BaselineError} naming both; a scenario of the
 * current run that the baseline lacks is reported as `no baseline` (an error only when no scenario
 * matches at all); a metric that exists in one run only (e.g. TTFT with a non-streaming baseline)
 * is `not comparable` with the reason, rather than an error, so the rest of the gate still runs
 * and a release manager sees the workload change in the table and in `notComparable`. Target kind
 * or model changes, and a scenario measured with other `definitions`, are `warnings`. Deterministic for a seed.
 */
export function compareRuns(baseline: RunSamples, current: RunSamples, options: CompareOptions = {}): Comparison {
  if (baseline.suite !== current.suite)
    throw new BaselineError(
      baseline.source,
      `baseline is suite "${baseline.suite}" but the current run is suite "${current.suite}" (${current.source}); compare runs of the same suite`,
    );
  const matched = [...current.scenarios.keys()].filter((s) => baseline.scenarios.has(s));
  if (current.scenarios.size > 0 && matched.length === 0)
    throw new BaselineError(
      baseline.source,
      `no scenario of the current run (${[...current.scenarios.keys()].join(', ')}) is in the baseline (${[...baseline.scenarios.keys()].join(', ') || 'none'}); nothing to compare`,
    );
  const opts: Required<BootstrapOptions> = {
    confidence: options.confidence ?? BOOTSTRAP_DEFAULTS.confidence,
    resamples: options.resamples ?? BOOTSTRAP_DEFAULTS.resamples,
    seed: options.seed ?? BOOTSTRAP_DEFAULTS.seed,
  };
  const tolerances = options.tolerance ?? DEFAULT_TOLERANCE;
  const keys = (options.metrics ?? DEFAULT_COMPARED).map(parseMetricKey);

  const compareSet = (scenario: string, stage: string | null, a: MetricSamples, b: MetricSamples): ScenarioComparison => {
    const metrics: MetricComparison[] = [];
    for (const k of keys) {
      const seed = deriveSeed(opts.seed, hash32(`${scenario}\u0000${stage ?? ''}\u0000${k.metric}.${k.stat}`));
      const m = compareMetric(k, a, b, toleranceOf(tolerances, k.metric, k.stat), { ...opts, seed });
      if (m) metrics.push(m);
    }
    return { scenario, stage, status: 'compared', metrics };
  };

  const scenarios: ScenarioComparison[] = [];
  for (const [name, cur] of current.scenarios) {
    const base = baseline.scenarios.get(name);
    if (!base) {
      scenarios.push({ scenario: name, stage: null, status: 'no baseline', metrics: [] });
      continue;
    }
    scenarios.push(compareSet(name, null, base, cur));
    if (options.stages === false) continue;
    for (const [label, st] of cur.stages) {
      const bs = base.stages.get(label);
      scenarios.push(bs ? compareSet(name, label, bs, st) : { scenario: name, stage: label, status: 'no baseline', metrics: [] });
    }
  }

  const warnings: string[] = [];
  if (baseline.targetKind !== current.targetKind)
    warnings.push(`target kind differs: baseline ${baseline.targetKind ?? 'unknown'}, current ${current.targetKind ?? 'unknown'}`);
  if (baseline.model !== current.model) warnings.push(`model differs: baseline ${baseline.model ?? 'unknown'}, current ${current.model ?? 'unknown'}`);
  for (const name of matched) {
    const b = baseline.scenarios.get(name)!.definitions;
    const c = current.scenarios.get(name)!.definitions;
    if (b !== c)
      warnings.push(
        `${name}: definitions differ: baseline ${b}, current ${c}; TTFT, TPOT, ITL and E2E are not measured between the same points (README "Metric dictionary"), so part of any change is the definitions'`,
      );
  }
  const all = scenarios.flatMap((s) => s.metrics);
  const ref = (r: RunSamples): RunRef => ({ source: r.source, suite: r.suite, stamp: r.stamp, targetKind: r.targetKind, model: r.model });
  return {
    schema: COMPARISON_SCHEMA,
    baseline: ref(baseline),
    current: ref(current),
    confidence: opts.confidence,
    resamples: opts.resamples,
    seed: opts.seed,
    tolerances: { default: tolerances.default, perMetric: { ...tolerances.perMetric } },
    scenarios,
    baselineOnly: [...baseline.scenarios.keys()].filter((s) => !current.scenarios.has(s)),
    warnings,
    regressions: all.filter((m) => m.verdict === 'regression').length,
    improvements: all.filter((m) => m.verdict === 'improvement').length,
    notComparable: all.filter((m) => m.verdict === 'not comparable').length,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

const label = (m: MetricComparison): string =>
  m.metric === 'throughput' ? 'throughput' : m.metric === 'success_rate' ? 'success rate' : `${m.metric} ${m.stat}`;

function value(v: number | null, unit: string): string {
  if (v === null) return '-';
  if (unit === 'fraction') return `${(v * 100).toFixed(2)}%`;
  const a = Math.abs(v);
  return `${a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
}

/** A change as every view of a comparison prints it: `+26.2%` (relative), `-1.00 pp` (absolute: the success rate), `-` for none. */
export function formatChange(c: number | null, kind: MetricComparison['changeKind']): string {
  if (c === null) return '-';
  if (!Number.isFinite(c)) return c > 0 ? '+inf%' : '-inf%';
  const sign = c > 0 ? '+' : c < 0 ? '-' : '';
  const p = Math.abs(c * 100);
  return kind === 'absolute' ? `${sign}${p.toFixed(2)} pp` : `${sign}${p >= 1000 ? p.toFixed(0) : p.toFixed(1)}%`;
}

const ci = (m: MetricComparison): string => (m.ci ? `${formatChange(m.ci[0], m.changeKind)}..${formatChange(m.ci[1], m.changeKind)}` : '-');
const tol = (m: MetricComparison): string => `${Number((m.tolerance * 100).toFixed(3))}${m.changeKind === 'absolute' ? ' pp' : '%'}`;
const conf = (c: number): string => `${Number((c * 100).toFixed(1))}%`;
const where = (s: ScenarioComparison): string => (s.stage === null ? s.scenario : `${s.scenario} [${s.stage}]`);

function verdictCell(m: MetricComparison): string {
  if (m.verdict === 'regression') return 'REGRESSION';
  if (m.verdict === 'not comparable') return 'n/c';
  if (m.verdict === 'too few samples') return 'few n';
  if (m.verdict === 'unchanged' && m.significant) return 'within tol';
  return m.verdict;
}

/** Cuts a line to `width` columns (ending in `~` when cut). */
function fit(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}~`;
}

const COLS = [13, 11, 11, 8, 18] as const;

/**
 * The comparison as a terminal table, every line at most `width` columns (80 by default): per
 * scenario (and stage), metric, baseline, current, change, CI, verdict. `within tol` marks a
 * significant change inside the tolerance; `n/c` (not comparable) is followed by its reason.
 */
export function formatComparison(c: Comparison, width = 80): string {
  const out: string[] = [];
  const run = (r: RunRef): string => `${r.stamp} (${r.targetKind ?? 'unknown target'}${r.model ? `, ${r.model}` : ''})`;
  out.push(`Baseline ${c.baseline.suite} ${run(c.baseline)}`);
  out.push(`current  ${c.current.suite} ${run(c.current)}`);
  out.push(`${conf(c.confidence)} bootstrap CI, ${c.resamples} resamples, seed ${c.seed}`);
  for (const w of c.warnings) out.push(`warning: ${w}`);
  const row = (cells: string[]): string =>
    `  ${cells
      .map((x, i) => (i < COLS.length ? (i === 0 ? x.padEnd(COLS[i]!) : x.padStart(COLS[i]!)) : x))
      .join(' ')}`;
  for (const s of c.scenarios) {
    if (s.status === 'no baseline') {
      out.push(`${where(s)}: no baseline (not in ${c.baseline.stamp})`);
      continue;
    }
    out.push(where(s));
    out.push(row(['metric', 'baseline', 'current', 'change', `${conf(c.confidence)} CI`, ' verdict']));
    for (const m of s.metrics) {
      out.push(row([label(m), value(m.baseline, m.unit), value(m.current, m.unit), formatChange(m.change, m.changeKind), ci(m), ` ${verdictCell(m)}`]));
      if (m.reason && m.verdict !== 'too few samples') out.push(`    ${m.reason}`);
    }
  }
  if (c.baselineOnly.length > 0) out.push(`not in the current run: ${c.baselineOnly.join(', ')}`);
  const shown = new Set(c.scenarios.flatMap((s) => s.metrics.map(verdictCell)));
  const legend = [
    shown.has('within tol') ? 'within tol = significant but inside the tolerance' : '',
    shown.has('n/c') ? 'n/c = not comparable' : '',
    shown.has('few n') ? 'few n = too few samples to judge this percentile' : '',
  ].filter(Boolean);
  out.push(...legend);
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  const few = c.scenarios.reduce((a, x) => a + x.metrics.filter((m) => m.verdict === 'too few samples').length, 0);
  out.push(`${plural(c.regressions, 'regression')}, ${plural(c.improvements, 'improvement')}, ${c.notComparable} not comparable${few ? `, ${few} with too few samples` : ''}`);
  return out.map((l) => fit(l, width)).join('\n');
}

/**
 * The failure message of a comparison with regressions, one line per regression:
 * `latency_benchmark: ttft p95: 412 ms -> 520 ms (+26.2%, 95% CI +18.0%..+34.5%; tolerance 10%)`;
 * null when there is none.
 */
export function regressionMessage(c: Comparison): string | null {
  const lines: string[] = [];
  for (const s of c.scenarios)
    for (const m of s.metrics)
      if (m.verdict === 'regression')
        lines.push(
          `  ${where(s)}: ${label(m)}: ${value(m.baseline, m.unit)} -> ${value(m.current, m.unit)} (${formatChange(m.change, m.changeKind)}, ${conf(c.confidence)} CI ${ci(m)}; tolerance ${tol(m)})`,
        );
  if (lines.length === 0) return null;
  const n = lines.length;
  return [`${n} regression${n === 1 ? '' : 's'} against baseline ${c.baseline.stamp} (${c.baseline.source}):`, ...lines].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Configuration

const TOLERANCE_VAR = 'BENCH_BASELINE_TOLERANCE';

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
  const text = env[TOLERANCE_VAR]?.trim();
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
