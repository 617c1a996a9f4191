/**
 * The comparison behind the regression gate across releases (`BENCH_BASELINE=<run folder or
 * summary.json>`): take the raw samples of a baseline run and of the current run, and compare
 * them metric by metric with a bootstrap confidence interval of the change
 * (`lib/stats/bootstrap.ts`). A metric regresses only when its change is in the bad direction
 * beyond its tolerance AND the interval excludes zero on the bad side; noise and small changes
 * never fail a release.
 */
import { deriveSeed } from '../stats/prng.ts';
import { BaselineError } from '../errors/baseline-error.ts';
import {
  BOOTSTRAP_DEFAULTS,
  type BootstrapOptions,
  bootstrapChange,
  bootstrapProportionChange,
  bootstrapRateChange,
  type ChangeInterval,
} from '../stats/bootstrap.ts';
import { type PreparedSamples, prepareSamples } from '../stats/resample-statistic.ts';
import { parsePercentileKey } from '../stats/summary.ts';
import type { MetricSamples, RunSamples } from '../run-folder/run-samples.ts';
import {
  COMPARISON_SCHEMA,
  type CompareOptions,
  type Comparison,
  DEFAULT_COMPARED,
  DEFAULT_TOLERANCE,
  LATENCY,
  type LatencyName,
  type MetricComparison,
  parseMetricKey,
  type RunRef,
  type ScenarioComparison,
} from './comparison.ts';
import { toleranceOf } from './tolerance.ts';

export { BaselineError };
export { loadRunSamples, type MetricSamples, type RunSamples, type ScenarioSamples, SUMMARY_SCHEMA, samplesOfFolder } from '../run-folder/run-samples.ts';

const METRIC_NAMES: Record<string, string> = {
  ttft: 'TTFT',
  tpot: 'TPOT',
  itl: 'ITL',
  e2e: 'E2E latency',
  throughput: 'output throughput',
  success_rate: 'success rate',
};

/** FNV-1a of a string: the stream of each compared metric, so one metric's CI does not depend on which others are compared. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Verdict of a change with its CI, direction and tolerance (see `Verdict` in `comparison.ts`). */
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

/** One metric × statistic, or null when neither run has it (nothing to say). */
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
