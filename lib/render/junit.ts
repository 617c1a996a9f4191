/**
 * junit.xml of a run: one `<testsuite>` per suite, one `<testcase>` per benchmark test, its
 * metrics and SLO limits as `<property>` elements, SLO breaches and invalid runs of failed tests as
 * `<failure>` (the message lists each broken limit: `TPOT p95 150 ms > 100 ms`), tests that
 * produced no report as `<error>`, skipped tests as `<skipped>`. A pure render of the collected
 * reports; junit-report-builder does the XML (and its escaping). The verdict of each test case
 * is Vitest's: a stress test that passes because its stop rule fired is green here too, with the
 * breached whole-run SLO visible in its properties.
 */
import junit from 'junit-report-builder';
import type { SloCheck as ActuationCheck } from '../report/actuation.ts';
import type { RunStats } from '../report/model.ts';
import { failedChecks, type SloCheck, type SloEvaluation, unjudgedText, verdictWord } from '../report/slo.ts';
import type { Summary } from '../stats/summary.ts';
import type { ServerMetricsReport } from '../report/server-metrics.ts';
import type { DistributedReport, TestReport } from '../report/model.ts';
import { formatChange, type MetricComparison } from '../report/baseline.ts';
import type { BaselineOutcome } from '../report/baseline.ts';
import { type RunReport, targetKinds } from '../report/run-report.ts';
import { hookLine, runDescriptionOf, testLabels } from './run-labels.ts';
import { stallText, withoutStalledText } from './stalls.ts';
import { propertyNumber, sessionProperties } from './session-figures.ts';

type TestCase = ReturnType<ReturnType<typeof junit.newBuilder>['testCase']>;
type TestSuite = ReturnType<ReturnType<typeof junit.newBuilder>['testSuite']>;

/** A number for a property: at most `d` decimals, `n/a` when unknown. */
const num = propertyNumber;
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : `${Number((x * 100).toFixed(2))}%`);
const p = (s: Summary | null | undefined, k: string): number | null => s?.percentiles[k] ?? null;
const firstLine = (s: string): string => s.split('\n')[0] ?? s;

/** `150 ms`, `95.0%` (success rate, unit ''), `n/a`. */
function valueOf(v: number | null, unit: string): string {
  if (v === null) return 'n/a';
  if (unit === '') return pct(v);
  return `${num(v)} ${unit}`;
}

/** A measured value for a message, to the digits that matter (as the terminal prints it): `150 ms`, `12.3 ms`, `95.0%`. */
function readable(v: number, unit: string): string {
  if (unit === '') return `${(v * 100).toFixed(1)}%`;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${unit}`;
}

/** A change as the comparison table prints it: `+26.2% (95% CI +18.0%..+34.5%)`, absolute points for the success rate. */
function changeText(m: MetricComparison, confidence: number): string {
  if (m.change === null) return 'n/a';
  const ci = m.ci ? ` (${Math.round(confidence * 100)}% CI ${formatChange(m.ci[0], m.changeKind)}..${formatChange(m.ci[1], m.changeKind)})` : '';
  return `${formatChange(m.change, m.changeKind)}${ci}`;
}

/**
 * Server metrics as properties: `metrics` (source, endpoint, window), then one `metrics.<name>`
 * per metric, `min/mean/max/last unit` over the test's window, or `absent: reason` / `error: reason`.
 */
function serverMetricsProperties(tc: TestCase, m: ServerMetricsReport): void {
  tc.property('metrics', `${m.source} ${m.endpoint}, ${m.window.start} to ${m.window.end}, step ${m.window.stepS} s`);
  for (const x of m.metrics) {
    const s = x.summary;
    const n = (v: number | null): string => num(v, 4);
    tc.property(`metrics.${x.name}`, x.status === 'ok' ? `${n(s.min)}/${n(s.mean)}/${n(s.max)}/${n(s.last)} ${x.unit}` : `${x.status}: ${x.reason ?? 'no data'}`);
  }
  for (const note of m.notes) tc.property('metrics.note', note);
}

/**
 * The controller's metrics per actuation path (series labelled `path`, e.g. from
 * `fma_actuation_seconds`): `metrics.<name>.<path>` = the series' last value, which covers the
 * whole window for the `controller` set's queries.
 */
function controllerPathProperties(tc: TestCase, m: ServerMetricsReport): void {
  for (const x of m.metrics) {
    if (x.status !== 'ok') continue;
    for (const s of x.series) {
      const path = s.labels.path;
      const last = [...s.points].reverse().find((pt) => typeof pt[1] === 'number' && Number.isFinite(pt[1]));
      if (path !== undefined && last) tc.property(`metrics.${x.name}.${path}`, `${num(last[1], 4)} ${x.unit}`);
    }
  }
}

/** The regression gate as properties: its source and counts, and one property per compared metric (`baseline.ttft.p95`, `baseline.<stage>.ttft.p95`). */
function baselineProperties(tc: TestCase, b: BaselineOutcome): void {
  tc.property('baseline', b.source);
  if (b.error || !b.comparison) {
    tc.property('baseline.verdict', `NOT USABLE: ${b.error ?? 'no comparison'}`);
    return;
  }
  const c = b.comparison;
  tc.property('baseline.verdict', `${c.regressions ? 'REGRESSION' : 'no regression'}: ${c.regressions} regressions, ${c.improvements} improvements, ${c.notComparable} not comparable`);
  tc.property('baseline.run', `${c.baseline.stamp} (${c.baseline.targetKind ?? 'unknown target'}${c.baseline.model ? `, ${c.baseline.model}` : ''})`);
  for (const w of c.warnings) tc.property('baseline.warning', w);
  for (const s of c.scenarios) {
    const at = s.stage ? `${s.stage}.` : '';
    if (s.status === 'no baseline') {
      tc.property(`baseline.${at}status`, 'no baseline');
      continue;
    }
    for (const m of s.metrics) {
      const unit = m.unit === 'fraction' ? '' : m.unit;
      const v = (x: number | null): string => (x === null ? 'n/a' : unit === '' ? pct(x) : `${num(x)} ${unit}`);
      const tol = m.changeKind === 'absolute' ? `${(m.tolerance * 100).toFixed(2)} pp` : `${(m.tolerance * 100).toFixed(0)}%`;
      tc.property(`baseline.${at}${m.metric}.${m.stat}`, `${v(m.baseline)} -> ${v(m.current)}, ${changeText(m, c.confidence)}, tolerance ${tol}: ${m.verdict}${m.reason ? ` (${m.reason})` : ''}`);
    }
  }
}

/** A broken limit as CI shows it: `TPOT p95 150 ms > 100 ms` (the measured value, the negated operator, the limit as configured). */
export function formatBreach(c: Pick<SloCheck, 'name' | 'value' | 'op' | 'limit' | 'note'> & { unit?: string }): string {
  const unit = c.unit ?? '';
  if (c.value === null) return `${c.name} n/a (limit ${c.op} ${valueOf(c.limit, unit)}${c.note ? `; ${c.note}` : ''})`;
  return `${c.name} ${readable(c.value, unit)} ${c.op === '<=' ? '>' : '<'} ${valueOf(c.limit, unit)}`;
}

/** One check as a property value: `150 ms <= 100 ms: FAIL`; `n/a <= 2000 ms: not judged (not measurable: non-streaming)`. */
const checkValue = (c: { value: number | null; op: string; limit: number; pass: boolean | null; note?: string }, unit: string): string =>
  `${valueOf(c.value, unit)} ${c.op} ${valueOf(c.limit, unit)}: ${c.pass === null ? 'not judged' : c.pass ? 'pass' : 'FAIL'}${c.note ? ` (${c.note})` : ''}`;

/** Key latency metrics (ms) and rates of a set of requests, as properties under `prefix`. */
function statsProperties(tc: TestCase, stats: RunStats): void {
  const l = stats.latency;
  tc.property('requests', `${stats.requests.total} measured, ${stats.requests.successful} successful, ${stats.requests.failed} failed`);
  tc.property('success_rate', num(stats.requests.successRate, 6));
  for (const [key, m] of [['ttft', 'ttft'], ['tpot', 'tpot'], ['itl', 'itl'], ['e2e', 'e2e']] as const) {
    for (const q of ['p50', 'p95', 'p99']) tc.property(`${key}_ms.${q}`, num(p(l[m], q)));
  }
  tc.property('throughput.output_tokens_per_s', num(stats.throughput.outputTokensPerS));
  tc.property('throughput.requests_per_s', num(stats.throughput.requestsPerS, 4));
  tc.property('schedule_lag_ms.p99', num(p(l.schedule_lag, 'p99')));
}

/** A distributed test's pods (`distributed.pod.<index>`) and missing shares, as properties. */
function distributedProperties(tc: TestCase, d: DistributedReport): void {
  const how = d.source === 'records' ? 'every record (exact)' : `records and histograms (percentiles within ${num(d.relativeError! * 100, 3)}%)`;
  const what = d.role === 'merged' ? `merged from ${d.pods.length} of ${d.parallelism} pods${d.launched !== d.parallelism ? ` (${d.launched} launched)` : ''}, ${how}` : `one pod's share of ${d.parallelism}`;
  tc.property('distributed', `${what}${d.partial ? '; PARTIAL' : ''}`);
  for (const p of d.pods) {
    const clock = p.clockOffsetMs === null ? 'clock offset not measured' : `clock offset ${num(p.clockOffsetMs, 3)} ms ± ${num(p.clockBoundMs, 3)} ms`;
    const validity = p.validity.valid ? 'valid' : `INVALID: ${p.validity.reasons.join('; ')}`;
    tc.property(`distributed.pod.${p.index}`, `${p.pod ?? '?'} on ${p.node ?? '?'}: ${p.share}; ${p.requests} requests; schedule lag p99 ${num(p.validity.scheduleLagP99Ms, 2)} ms; ${clock}; ${validity}${p.incomplete ? `; incomplete: ${p.incomplete}` : ''}${p.source === 'histograms' ? `; from its histograms: ${p.lost}` : ''}`);
  }
  for (const m of d.missing) tc.property(`distributed.missing.${m.index}`, `share ${m.index} of ${d.parallelism} missing: ${m.reason}`);
  if (d.stageStartSpreadMs.length > 0) tc.property('distributed.stage_start_spread_ms', d.stageStartSpreadMs.map((x) => num(x, 3)).join(', '));
}

/** One line of key metrics for a stage or a model. */
function statsLine(stats: RunStats): string {
  const l = stats.latency;
  const pair = (m: keyof RunStats['latency']) => `${num(p(l[m], 'p50'), 1)}/${num(p(l[m], 'p95'), 1)}/${num(p(l[m], 'p99'), 1)}`;
  return [
    `${stats.requests.total} requests, success ${pct(stats.requests.successRate)}`,
    `TTFT p50/p95/p99 ${pair('ttft')} ms`,
    `TPOT ${pair('tpot')} ms`,
    `ITL ${pair('itl')} ms`,
    `E2E ${pair('e2e')} ms`,
    `${num(stats.throughput.outputTokensPerS, 1)} tok/s`,
    `${num(stats.throughput.requestsPerS, 3)} req/s`,
    `schedule lag p99 ${num(p(l.schedule_lag, 'p99'), 2)} ms`,
  ].join(', ');
}

/** The kind of target, prominently: simulated numbers are never mistaken for measured ones. */
function targetKind(kind: 'simulator' | 'endpoint' | 'cluster'): string {
  return kind === 'simulator' ? 'SIMULATOR' : kind;
}

/** Why a benchmark test failed: each broken limit of each failing SLO verdict, and the invalidity. */
function breaches(r: TestReport): string[] {
  const out: string[] = [];
  for (const e of r.slo.filter((x: SloEvaluation) => !x.pass)) {
    out.push(`${e.profile}: ${failedChecks(e).map(formatBreach).join(', ')}`);
  }
  if (!r.validity.valid) out.push(`invalid run: ${r.validity.reasons.join('; ') || 'the client could not measure truthfully'}`);
  return out;
}

function renderBenchCase(ts: TestSuite, t: RunReport['tests'][number]): void {
  const r = t.report;
  const tc = ts.testCase().className(r.suite).name(r.scenario).time(Number(r.run.durationS.toFixed(3)));
  if (r.interrupted) tc.property('interrupted', `${r.interrupted.kind}: ${r.interrupted.reason} (results of the requests that finished)`);
  tc.property('target_kind', targetKind(r.target.kind));
  tc.property('target', r.target.name);
  tc.property('target.origin', r.target.origin);
  tc.property('model', r.target.model);
  tc.property('base_url', r.target.baseUrl);
  tc.property('backend', r.target.backend);
  if (r.target.serverVersion) tc.property('server_version', r.target.serverVersion);
  if (r.target.accelerator) tc.property('accelerator', r.target.accelerator);
  if (r.target.simulator) tc.property('simulator', JSON.stringify(r.target.simulator));
  if (r.target.provisioned) {
    const pv = r.target.provisioned;
    tc.property('provisioned', `${pv.template} on ${pv.cluster === 'simulator' ? 'the SIMULATED cluster' : pv.server} (${pv.namespace}, ${pv.access}: ${pv.accessDetail})`);
  }
  if (r.description) tc.property('description', r.description);
  const { runDescription, hooks } = testLabels(t);
  if (runDescription?.text) tc.property('run_description', runDescription.text);
  if (runDescription?.keywords.length) tc.property('run_keywords', runDescription.keywords.join(', '));
  for (const h of hooks ?? []) tc.property(`hook.${h.hook}`, hookLine(h));
  tc.property('timestamp', r.timestamp);
  tc.property('load', r.workload.load);
  tc.property('workload', `${r.workload.api}${r.workload.stream ? ' (streamed)' : ''}, ${r.workload.data.type} data, tokenizer ${r.workload.data.tokenizer.name}${r.workload.data.tokenizer.exact ? ' (exact)' : ' (stand-in)'}, ${r.workload.warmupRequests} warm-up`);
  // Where TTFT, TPOT, ITL and E2E start and stop (README "Metric dictionary").
  tc.property('definitions', r.definitions ?? 'vitest-llm-d');
  statsProperties(tc, r.stats);
  if (r.goodput) {
    tc.property('goodput.requests_per_s', num(r.goodput.requestsPerS, 4));
    tc.property('goodput.fraction', num(r.goodput.fraction, 4));
    tc.property('goodput.conditions', `${r.goodput.profile}: ${r.goodput.conditions.join(', ')}`);
  }
  tc.property('validity', r.validity.valid ? 'valid' : `INVALID: ${r.validity.reasons.join('; ')}`);
  const stalls = stallText(r);
  if (stalls) tc.property('client_stalls', stalls);
  const without = withoutStalledText(r);
  if (without) tc.property('without_stalled', without);
  for (const e of r.slo) {
    const unjudged = unjudgedText(e);
    tc.property(`slo.${e.profile}`, `${verdictWord(e)}${unjudged ? `; ${unjudged}` : ''}`);
    for (const c of e.checks) tc.property(`slo.${e.profile}.${c.name}`, checkValue(c, c.unit));
  }
  if (r.stages.length > 1) {
    for (const st of r.stages) {
      const verdict = st.validity.valid ? 'valid' : `INVALID: ${st.validity.reasons.join('; ')}`;
      const extras = [`goodput ${num(st.goodput.requestsPerS, 3)} req/s`, verdict, ...(st.stopRule ? [`stop rule ${st.stopRule.rule}: ${st.stopRule.detail}`] : [])];
      tc.property(`stage.${st.index + 1} ${st.label}`, `${statsLine(st.stats)}, ${extras.join(', ')}`);
    }
  }
  for (const m of r.models ?? []) tc.property(`model.${m.model}`, statsLine(m.stats));
  if (r.stop) {
    tc.property('stop_rule', `${r.stop.rule} at ${r.stop.stage}: ${r.stop.detail}; last good stage: ${r.stop.lastGood ?? 'none'}${r.stop.skipped ? `; ${r.stop.skipped} planned stages not run` : ''}`);
  }
  if (r.knee) {
    tc.property('knee', r.knee.conclusion);
    tc.property('knee.concurrency', num(r.knee.concurrency));
    tc.property(`knee.throughput (${r.knee.unit})`, num(r.knee.throughput));
  }
  if (r.capacity) {
    tc.property('capacity', r.capacity.conclusion);
    tc.property(`capacity.${r.capacity.over}`, num(r.capacity.value));
  }
  if (r.prefixCache) tc.property('prefix_cache', JSON.stringify(r.prefixCache));
  if (r.baseline) baselineProperties(tc, r.baseline);
  if (r.serverMetrics) serverMetricsProperties(tc, r.serverMetrics);
  if (r.distributed) distributedProperties(tc, r.distributed);
  // Sessions (counts, then per turn index `sessions.turn.<k>.*`) and a replayed trace (`trace.*`).
  for (const [name, value] of sessionProperties(r)) tc.property(name, value);

  const out: string[] = [];
  if (r.target.kind === 'simulator') out.push('SIMULATOR: these numbers come from the embedded vLLM simulator (modeled, not measured on hardware).');
  for (const n of r.workload.notes) out.push(`note: ${n}`);
  if (out.length) tc.standardOutput(out.join('\n'));

  // A test ended from outside never passes, whatever Vitest called it (a cancelled test is "skipped").
  if (r.interrupted) tc.error(`${r.interrupted.kind}: ${r.interrupted.reason}; results of the requests that finished`, r.interrupted.kind === 'timed out' ? 'timeout' : 'interrupted');
  else if (t.state === 'skipped') tc.skipped();
  else if (t.state === 'failed') {
    const broken = breaches(r);
    const error = t.error ?? 'failed';
    // The message names what broke: the limits when the test failed on its SLO, else the assertion itself.
    const regressed = r.baseline?.message ? [`regression against ${r.baseline.source}: ${r.baseline.message.split('\n').join('; ')}`] : [];
    const baselineError = r.baseline?.error ? [`baseline not usable: ${r.baseline.error}`] : [];
    broken.push(...regressed, ...baselineError);
    const message = broken.length && (!t.error || /\bSLO\b|invalid|regress|baseline/i.test(t.error)) ? broken.join('; ') : firstLine(error);
    tc.failure(message, broken.length ? 'slo' : 'assertion');
    tc.stacktrace([error, ...broken].join('\n'));
  }
}

const PATH_LABEL: Record<string, string> = { hot: 'hot', warm: 'warm', cold: 'cold', cold_launcher: 'cold_launcher', unknown: 'unknown' };

/** An actuation check's unit, from its name (`hot actuation p95 (s)`). */
const actuationUnit = (c: ActuationCheck): string => (c.name.endsWith('(s)') ? 's' : '');

function renderActuationCase(ts: TestSuite, t: RunReport['actuation'][number]): void {
  const r = t.report;
  const tc = ts.testCase().className(r.suite).name(r.scenario);
  if (t.durationMs !== undefined) tc.time(t.durationMs / 1000);
  const c = r.cluster;
  tc.property('target_kind', targetKind(c.kind));
  if (c.kind === 'simulator') tc.property('time_scale', num(c.timeScale, 6));
  tc.property('cluster', `${c.server} (context ${c.context}, namespace ${c.namespace}, ${c.serverVersion})`);
  tc.property('matrix_row', r.matrixRow);
  tc.property('timestamp', r.timestamp);
  const s = r.summary;
  tc.property('requesters', `${s.n} counted, ${s.ready} Ready`);
  for (const [path, ps] of Object.entries(s.byPath)) {
    if (!ps) continue;
    const label = PATH_LABEL[path] ?? path;
    tc.property(`path.${label}.count`, String(ps.count));
    tc.property(`path.${label}.t_actuation_s.p50`, num(p(ps.actuation, 'p50')));
    tc.property(`path.${label}.t_actuation_s.p95`, num(p(ps.actuation, 'p95')));
    tc.property(`path.${label}.t_total_s.p95`, num(p(ps.total, 'p95')));
    if (ps.firstTokenAfterReady) tc.property(`path.${label}.ready_to_first_token_s.p95`, num(p(ps.firstTokenAfterReady, 'p95')));
  }
  tc.property('t_total_s.p95', num(p(s.total, 'p95')));
  tc.property('t_actuation_s.p95', num(p(s.actuation, 'p95')));
  const h = s.hitRates;
  for (const [k, v] of [['hot', h.hot], ['warm', h.warm], ['cold', h.cold], ['cold_launcher', h.coldLauncher], ['unknown', h.unknown]] as const) {
    tc.property(`hit_rate.${k}`, num(v, 4));
  }
  if (s.disagreements) tc.property('classification_disagreements', String(s.disagreements));
  for (const check of r.slo) tc.property(`slo.${check.name}`, checkValue(check, actuationUnit(check)));
  if (r.serverMetrics) {
    serverMetricsProperties(tc, r.serverMetrics);
    controllerPathProperties(tc, r.serverMetrics);
  }

  const out: string[] = [];
  if (c.kind === 'simulator') out.push(`SIMULATOR: embedded cluster simulator, time scale ${c.timeScale}; seconds are modeled cluster seconds.`);
  for (const n of r.notes) out.push(`note: ${n}`);
  if (out.length) tc.standardOutput(out.join('\n'));

  if (t.state === 'skipped') tc.skipped();
  else if (t.state === 'failed') {
    const broken = r.slo.filter((x) => !x.pass).map((x) => formatBreach({ ...x, unit: actuationUnit(x) }));
    const error = t.error ?? 'failed';
    const message = broken.length && (!t.error || /\bSLO\b/.test(t.error)) ? broken.join('; ') : firstLine(error);
    tc.failure(message, broken.length ? 'slo' : 'assertion');
    tc.stacktrace([error, ...broken].join('\n'));
  }
}

/** The junit.xml text of suites' runs (one `<testsuite>` each; the run's stamp names the document). */
export function renderJunit(runs: ReadonlyArray<RunReport>): string {
  const builder = junit.newBuilder();
  builder.name(`vitest-llm-d ${runs[0]?.stamp ?? ''}`.trim());
  for (const s of runs) {
    const ts = builder.testSuite().name(s.suite);
    const kinds = targetKinds(s);
    ts.property('target_kind', kinds.length ? kinds.map((k) => targetKind(k as 'simulator' | 'endpoint' | 'cluster')).join(', ') : 'unknown');
    ts.property('run', s.stamp);
    if (s.interrupted) ts.property('interrupted', `${s.interrupted.kind}: ${s.interrupted.reason}`);
    ts.property('tool', `${s.tool.name} ${s.tool.version}, node ${s.tool.node}`);
    const described = runDescriptionOf(s);
    if (described?.text) ts.property('run_description', described.text);
    if (described?.keywords.length) ts.property('run_keywords', described.keywords.join(', '));
    const first = [...s.tests.map((t) => t.report.timestamp), ...s.actuation.map((t) => t.report.timestamp)].sort()[0];
    if (first) ts.timestamp(new Date(first));
    const time = s.tests.reduce((a, t) => a + t.report.run.durationS, 0) + s.actuation.reduce((a, t) => a + (t.durationMs ?? 0) / 1000, 0);
    ts.time(Number(time.toFixed(3)));
    for (const t of s.tests) renderBenchCase(ts, t);
    for (const t of s.actuation) renderActuationCase(ts, t);
    for (const f of s.failed) {
      const tc = ts.testCase().className(s.suite).name(f.name);
      for (const h of f.hooks ?? []) tc.property(`hook.${h.hook}`, hookLine(h));
      tc.error(firstLine(f.error), 'no results', f.error);
    }
    for (const k of s.skipped) {
      const tc = ts.testCase().className(s.suite).name(k.name).skipped();
      if (k.note) tc.standardOutput(`skipped: ${k.note}`);
    }
  }
  return builder.build();
}
