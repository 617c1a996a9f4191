/**
 * `report.html`: one self-contained page per suite run, a pure render of a `RunReport` and,
 * when the run folder has `requests.jsonl`, the bounded series `loadHtmlSeries` reads from it.
 * The chart library (uPlot) is inlined; a Content-Security-Policy of `default-src 'none'` with
 * the inline scripts' hashes means the page can make no request at all. Tables need no
 * JavaScript; charts do. Every string from a server, a config or a cluster is escaped (`esc`)
 * or travels as JSON data (`jsonScript`).
 */
import type { LatencyMetric, RunStats } from '../report/model.ts';
import { requestIdPrefix } from '../report/model.ts';
import { type SloEvaluation, unjudgedText, verdictWord } from '../report/slo.ts';
import { USAGE_TOLERANCE_TEXT } from '../report/model.ts';
import type { Summary } from '../stats/summary.ts';
import { actuationMatrix, actuationSection } from './html/actuation.ts';
import { CHART_SCRIPT, Charts, distributionChart, quantileChart, sweepCharts, timeCharts, uplotAssets } from './html/charts.ts';
import { extras } from './html/extras.ts';
import { sessionsHtml } from './html/sessions.ts';
import { definitionsHtml, definitionsLine } from './definitions.ts';
import { badge, type Cell, cspHash, esc, jsonScript, num, pct, pre, table } from './html/escape.ts';
import { DIST_METRICS, type HtmlSeries, type TestSeries } from './html/series.ts';
import { lengthLines, lengthReport } from './lengths.ts';
import type { TestReport } from '../report/model.ts';
import { type Outcome, type RunReport, targetKinds } from '../report/run-report.ts';
import { hookLine, labelsHtml, testLabels } from './run-labels.ts';
import { stallText, withoutStalledText } from './stalls.ts';
import { PAGE_CSS, pageHead } from './html/style.ts';

export { loadHtmlSeries, type HtmlSeries } from './html/series.ts';

const LATENCY_ROWS: ReadonlyArray<readonly [LatencyMetric, string, 'ms' | 's']> = [
  ['ttft', 'TTFT', 'ms'],
  ['ttft_from_intended', 'TTFT from intended', 'ms'],
  ['tpot', 'TPOT', 'ms'],
  ['itl', 'ITL per chunk', 'ms'],
  ['e2e', 'E2E latency', 's'],
  ['e2e_from_intended', 'E2E from intended', 's'],
  ['ntpot', 'NTPOT (E2E / N)', 'ms'],
  ['schedule_lag', 'schedule lag', 'ms'],
];
const PCOLS: Array<[string, string]> = [['p0_1', 'p0.1'], ['p1', 'p1'], ['p5', 'p5'], ['p10', 'p10'], ['p25', 'p25'], ['p50', 'p50'], ['p75', 'p75'], ['p90', 'p90'], ['p95', 'p95'], ['p99', 'p99'], ['p99_9', 'p99.9']];

const isMlperf = (e: SloEvaluation) => e.profile.startsWith('mlperf');

/** A verdict's badge: pass, fail, or neutral when it passed without judging every limit (`unjudged`). */
const sloBadge = (e: SloEvaluation, text: string) => badge(!e.pass ? false : e.unjudged?.length ? null : true, text);

/** A verdict in a word or mark: `✔`, `✘`, or `not judged: TTFT p95, TPOT p95` for a pass that left limits unjudged. */
const sloMark = (e: SloEvaluation, pass: string, fail: string): string => (!e.pass ? fail : e.unjudged?.length ? `not judged: ${e.unjudged.join(', ')}` : pass);

/** The percentile table of a run's latency metrics; `~` marks percentiles estimated from a histogram. */
function percentileTable(s: RunStats): string {
  const rows = LATENCY_ROWS.filter(([m]) => s.latency[m]).map(([m, label, unit]) => {
    const x: Summary = s.latency[m];
    const k = unit === 's' ? 0.001 : 1;
    const v = (y: number | null | undefined) => (y === null || y === undefined ? null : y * k);
    const approx = x.exact === false ? '~' : '';
    return [`${label} (${unit})`, x.count, num(v(x.mean)), num(v(x.min)), ...PCOLS.map(([key]) => (x.percentiles[key] === undefined ? '-' : `${approx}${num(v(x.percentiles[key]))}`)), num(v(x.max)), num(v(x.stddev))];
  });
  const inexact = LATENCY_ROWS.some(([m]) => s.latency[m]?.exact === false);
  return table(['metric', 'n', 'mean', 'min', ...PCOLS.map(([, h]) => h), 'max', 'stddev'], rows, 'pct') + (inexact ? '<p class="note">~ percentile estimated from a histogram past the exact-sample cap (bound in summary.json).</p>' : '');
}

function sloBlock(evals: SloEvaluation[]): string {
  if (!evals.length) return '<p class="note">No SLO profile evaluated.</p>';
  return evals
    .map((e) => {
      const rows = e.checks.map((c) => [c.name, c.value === null ? '-' : c.unit === '' ? pct(c.value) : num(c.value, c.unit), `${c.op} ${c.unit === '' ? pct(c.limit) : num(c.limit, c.unit)}`, badge(c.pass, c.pass === null ? 'not judged' : undefined), c.note ?? '']);
      const unjudged = unjudgedText(e);
      return `<div class="slo"><h4>${sloBadge(e, verdictWord(e)).html} ${esc(e.profile)}${isMlperf(e) ? ' <span class="tag">MLPerf</span>' : ''} <span class="dim">${esc(e.description)} (${esc(e.source)})</span></h4>${unjudged ? `<p class="note">${esc(unjudged)}</p>` : ''}${table(['check', 'measured', 'limit', 'verdict', 'note'], rows)}</div>`;
    })
    .join('');
}

function countsTable(r: TestReport): string {
  const s = r.stats;
  const q = s.requests;
  const tp = s.throughput;
  const g = r.goodput;
  const rows: Cell[][] = [
    ['requests measured', q.total],
    ['successful / failed', `${q.successful} / ${q.failed}`],
    ['success rate', pct(q.successRate)],
    ['warm-up (excluded)', q.warmup],
    ['cut at stage end (excluded)', q.cut],
    ['measurement window', num(s.window.durationMs / 1000, 's')],
    ['output throughput', num(tp.outputTokensPerS, 'tokens/s')],
    ['input throughput', num(tp.inputTokensPerS, 'tokens/s')],
    ['request throughput', num(tp.requestsPerS, 'requests/s')],
    ['send rate achieved / offered', `${num(r.run.achievedSendRate, '/s')} / ${num(r.run.offeredRate, '/s')}`],
    ['client event-loop delay p50 / p99 / max', `${num(r.run.eventLoopDelayMs.p50)} / ${num(r.run.eventLoopDelayMs.p99)} / ${num(r.run.eventLoopDelayMs.max)} ms`],
    ...(stallText(r) ? [['client stalls', stallText(r)!] as Cell[]] : []),
    ...(withoutStalledText(r) ? [['latency without stalled requests', withoutStalledText(r)!] as Cell[]] : []),
  ];
  if (g) rows.push(['goodput', `${num(g.requestsPerS, 'requests/s')} (${g.good}/${g.requests} = ${pct(g.fraction)} met ${g.conditions.join(', ') || 'no per-request limit'}; ${g.profile})`]);
  return table(['', 'value'], rows, 'kv');
}

function tokenTable(s: RunStats, r: TestReport): string {
  const t = s.tokens;
  const tok = r.workload.data.tokenizer;
  const lengths = lengthReport(r, s);
  const [inputLine, outputLine, dataset] = lengthLines(lengths);
  return table(['', 'value'], [
    ['input length (configured; realized)', inputLine!.replace(/^input tokens: /, '')],
    ['output length (configured; realized)', outputLine!.replace(/^output tokens: /, '')],
    ...(dataset ? [['dataset', dataset] as Cell[]] : []),
    ['output tokens counted by', `server usage ${t.outputSource.server}, tokenizer ${t.outputSource.tokenizer}${t.usageOverruled ? ` (${t.usageOverruled} instead of server usage that disagreed by more than ${USAGE_TOLERANCE_TEXT})` : ''}, unknown ${t.outputSource.unknown}`],
    ['input tokens counted by', `server usage ${t.inputSource.server}, tokenizer ${t.inputSource.tokenizer}`],
    ['client tokenizer', `${tok.name} (${tok.kind}${tok.exact ? ', exact for this model' : ', not the model\u2019s own'})`],
    ['server vs tokenizer checked / disagreeing', `${t.checked} / ${t.mismatches}`],
    ['chunk token counts from', `server ${t.chunkSource.server}, inferred ${t.chunkSource.inferred}, unknown ${t.chunkSource.unknown}`],
    ['tokens per chunk p50 / max', `${num(t.perChunk.percentiles.p50)} / ${num(t.perChunk.max)}`],
    ['input tokens p50 / output tokens p50', `${num(t.input.percentiles.p50)} / ${num(t.output.percentiles.p50)}`],
  ], 'kv');
}

function errorTable(s: RunStats): string {
  const errors = Object.entries(s.errors).sort(([, a], [, b]) => b.count - a.count);
  const rt = s.retries;
  const retries = rt.requests > 0
    ? `<p>retries: ${rt.retries} of ${rt.requests} requests (${esc(Object.entries(rt.byKey).map(([k, n]) => `${k} ×${n}`).join(', '))}): ${rt.recovered} recovered, ${rt.exhausted} failed anyway, ${num(rt.backoffMs / 1000, 's')} backing off</p>`
    : '';
  if (!errors.length) return `<p>No failed requests.</p>${retries}`;
  return table(['class', 'count', 'share of measured', 'first message'], errors.map(([k, v]) => [k, v.count, pct(s.requests.total ? v.count / s.requests.total : null), v.example])) + retries;
}

function stageTable(r: TestReport): string {
  const rows = r.stages.flatMap((st): Cell[][] => {
    // The idle pause before a stage: a row of its own, with nothing measured in it.
    const pause: Cell[][] = st.pause ? [[{ html: `<em>pause ${esc(String(st.pause.plannedS))} s</em>` }, ...Array<Cell>(15).fill(''), `${st.pause.idleS.toFixed(2)} s idle, nothing sent`]] : [];
    const l = st.stats.latency;
    const offered = st.offered.rate !== null ? `${num(st.offered.rate)}/s` : st.offered.concurrency !== null ? `c=${st.offered.concurrency}` : '-';
    const e2e = l.e2e.percentiles.p95;
    const flags = [st.stopRule ? `STOP ${st.stopRule.rule}: ${st.stopRule.detail}` : '', st.validity.valid ? '' : `INVALID: ${st.validity.reasons.join('; ')}`].filter(Boolean).join(' ');
    return [...pause, [st.label, offered, num(st.achievedSendRate), num(st.durationS), st.sent, st.cut, pct(st.stats.requests.successRate), num(l.ttft.percentiles.p50), num(l.ttft.percentiles.p95), num(l.tpot.percentiles.p95), num(l.itl.percentiles.p95), num(e2e === null || e2e === undefined ? null : e2e / 1000), num(st.stats.throughput.outputTokensPerS), num(st.stats.throughput.requestsPerS), num(st.goodput.requestsPerS), num(l.schedule_lag.percentiles.p99), flags ? { html: `<span class="bad">${esc(flags)}</span>` } : '']];
  });
  return table(['stage', 'offered', 'achieved /s', 'window s', 'sent', 'cut', 'ok', 'TTFT p50 ms', 'TTFT p95 ms', 'TPOT p95 ms', 'ITL p95 ms', 'E2E p95 s', 'output tok/s', 'req/s', 'goodput req/s', 'lag p99 ms', 'flags'], rows, 'stages');
}

function breakdown(title: string, rows: Array<{ name: string; stats: RunStats }>): string {
  if (!rows.length) return '';
  return `<h4>${esc(title)}</h4>${table([title === 'Per model' ? 'model' : 'cell', 'ok / total', 'TTFT p50 ms', 'TTFT p95 ms', 'TPOT p95 ms', 'E2E p95 s', 'output tok/s'], rows.map(({ name, stats: s }) => {
    const e = s.latency.e2e.percentiles.p95;
    return [name, `${s.requests.successful} / ${s.requests.total}`, num(s.latency.ttft.percentiles.p50), num(s.latency.ttft.percentiles.p95), num(s.latency.tpot.percentiles.p95), num(e === null || e === undefined ? null : e / 1000), num(s.throughput.outputTokensPerS)];
  }))}`;
}

function seriesFor(r: TestReport, data: HtmlSeries | null | undefined): TestSeries | null {
  if (!data) return null;
  const prefix = requestIdPrefix(r);
  const exact = data.tests.find((s) => s.idPrefix === prefix);
  if (exact) return exact;
  const same = data.tests.filter((s) => s.scenario === r.scenario);
  return same.length === 1 ? same[0]! : null;
}

function testSection(o: Outcome<TestReport>, id: string, data: HtmlSeries | null | undefined, charts: Charts): string {
  const r = o.report;
  const s = r.stats;
  const sim = r.target.kind === 'simulator';
  const series = seriesFor(r, data);
  const stageLabels = new Map(r.stages.map((st) => [st.index, st.label]));
  const dist = series
    ? DIST_METRICS.map((m) => charts.add(distributionChart(`${id}-d-${m}`, m, series, stageLabels), `Histogram of ${series.hist[m].total.toLocaleString('en-US')} samples from ${data!.file} (log-spaced bins) and cumulative share${series.stages.length > 1 ? ' per stage' : ''}.`)).join('')
    : DIST_METRICS.map((m) => charts.add(quantileChart(`${id}-q-${m}`, m, s.latency[m]), 'From the summary percentiles (requests.jsonl not available).')).join('');
  const over = series ? timeCharts(`${id}-t`, series).map((c) => charts.add(c, `${series.requests.toLocaleString('en-US')} measured requests from ${data!.file}; each point is one ${series.bucketS} s bucket.`)).join('') : '';
  const multi = r.stages.length > 1;
  const sweep = multi ? sweepCharts(`${id}-s`, r).map((c) => charts.add(c, 'One point per stage, from the stage statistics.')).join('') : '';
  const mlperf = r.slo.filter(isMlperf);
  const verdict = o.state === 'passed' ? badge(true, 'passed') : badge(false, o.state);
  const target = sim
    ? `<p class="sim-note">SIMULATOR: ${r.target.provisioned ? 'vLLM simulator provisioned in the embedded cluster simulator' : 'embedded vLLM simulator'}; numbers are modeled, not measured on hardware.</p>`
    : `<p>endpoint <code>${esc(r.target.baseUrl)}</code> (${esc(r.target.name)}, ${esc(r.target.backend)}${r.target.accelerator ? `, ${esc(r.target.accelerator)}` : ''})</p>`;
  const w = r.workload;
  const stop = r.stop
    ? `<p class="bad">stopped at ${esc(r.stop.stage)} by rule ${esc(r.stop.rule)}: ${esc(r.stop.detail)}${r.stop.lastGood ? `; last stage within the rules: ${esc(r.stop.lastGood)}` : '; no stage was within the rules'}${r.stop.skipped ? `; ${r.stop.skipped} planned stage(s) not run` : ''}</p>`
    : r.stages[0]?.stopRule ? `<p class="bad">stopped by rule ${esc(r.stages[0].stopRule.rule)}: ${esc(r.stages[0].stopRule.detail)}</p>` : '';
  const cut = r.interrupted ? `<p class="bad">${esc(r.interrupted.kind.toUpperCase())}: ${esc(r.interrupted.reason)}; results of the requests that finished.</p>` : '';
  const knee = r.knee ? `<p><strong>Knee:</strong> ${esc(r.knee.conclusion)}</p>` : '';
  const cap = r.capacity
    ? `<p><strong>Capacity:</strong> ${esc(r.capacity.conclusion)}</p>${table(['probe (' + r.capacity.over + ')', 'verdict', 'trials', 'reruns (invalid)', 'reasons'], r.capacity.probes.map((p) => [num(p.value), badge(p.passed), p.trials.length, p.rerun.length, p.trials.flatMap((t) => t.reasons).join('; ')]))}`
    : '';
  return `<section class="test" id="${id}">
<h2>${esc(r.suite)}/${esc(r.scenario)} ${verdict.html}${sim ? ' <span class="sim-tag">SIMULATOR</span>' : ''}</h2>
${r.description ? `<p class="desc">${esc(r.description)}</p>` : ''}
${labelsHtml(testLabels(o))}
${target}
<p class="meta">model <code>${esc(r.target.model)}</code>; ${esc(w.api)}${w.stream ? ' (stream)' : ''}, ${esc(w.load)}, ${w.requests === null ? 'duration-bounded' : `${w.requests} requests${multi ? ' per stage' : ''}`} + ${w.warmupRequests} warm-up; data ${esc(w.data.type)} (seed ${esc(w.data.seed)}); started ${esc(r.timestamp)}, ${num(r.run.durationS, 's')}; <a href="#definitions">${esc(definitionsLine(r.definitions))}</a></p>
${o.error ? `<pre class="error">${esc(o.error)}</pre>` : ''}
<h3>Verdict</h3>
<p>MLPerf compliance: ${mlperf.length ? mlperf.map((e) => `${sloBadge(e, `${e.profile} ${sloMark(e, 'PASS', 'FAIL')}`).html}`).join(' ') : '<span class="dim">no MLPerf profile evaluated</span>'} · validity: ${r.validity.valid ? badge(true, 'valid').html : `${badge(false, 'INVALID').html} ${esc(r.validity.reasons.join('; '))}`}</p>
${cut}${sloBlock(r.slo)}
<h3>Latency percentiles</h3>
${percentileTable(s)}
<h3>Requests and throughput</h3>
${countsTable(r)}
<h3>Distributions</h3>
${series ? '' : `<p class="note">${data ? `No records of this test in ${esc(data.file)}` : 'requests.jsonl not found'}: distributions drawn from the summary percentiles only; no time series.</p>`}
<div class="grid">${dist}</div>
${over ? `<h3>Over time</h3><div class="grid">${over}</div>` : ''}
${multi ? `<h3>Stages</h3>${stageTable(r)}${stop}${knee}${cap}<div class="grid">${sweep}</div>` : stop}
${breakdown('Per workload cell', r.cells.length > 1 ? r.cells.map((c) => ({ name: c.cell, stats: c.stats })) : [])}
${breakdown('Per model', (r.models ?? []).map((m) => ({ name: m.model, stats: m.stats })))}
${sessionsHtml(r, id, charts)}
<h3>Errors by class</h3>
${errorTable(s)}
<h3>Token counts</h3>
${tokenTable(s, r)}
${extras(r, id, charts)}
${w.notes.length ? `<ul class="notes">${w.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</section>`;
}

function provenance(run: RunReport, data: HtmlSeries | null | undefined, uplotVersion: string): string {
  const out: string[] = ['<section id="provenance"><h2>Provenance</h2>'];
  const kinds = targetKinds(run);
  out.push(table(['', 'value'], [
    ['suite / run', `${run.suite} / ${run.stamp}`],
    ['run folder', run.runDir],
    ['target kind', kinds.join(', ') || '-'],
    ['tool', `${run.tool.name} ${run.tool.version} (Node ${run.tool.node})`],
    ['test files', run.testFiles.join(', ')],
    ['per-request data', data ? `${data.file}: ${data.lines} lines read${data.unparsable ? `, ${data.unparsable} unparsable skipped` : ''}` : 'requests.jsonl not available: summaries only'],
    ['charts', `uPlot ${uplotVersion} (MIT), inlined`],
  ], 'kv'));
  for (const { report: r } of run.tests) {
    const t = r.target;
    const w = r.workload;
    out.push(`<h3>${esc(r.scenario)}</h3>`);
    out.push(table(['', 'value'], [
      ['target', `${t.name} (${t.kind}) from ${t.origin}`],
      ['base URL', t.baseUrl],
      ['model / served models', `${t.model} / ${t.servedModels.join(', ') || '-'}`],
      ['backend / accelerator', `${t.backend} / ${t.accelerator ?? '-'}`],
      ['token counts', `output: server usage ${r.stats.tokens.outputSource.server}, tokenizer ${r.stats.tokens.outputSource.tokenizer}; tokenizer ${w.data.tokenizer.name} (${w.data.tokenizer.kind}, ${w.data.tokenizer.exact ? 'exact' : 'not exact'})`],
      ['clock anchor', `${r.run.clock.wallTime} (hrtime ${r.run.clock.hrtimeUs} µs)`],
      ['measuring thread', `nice ${r.run.priority.nice}${r.run.priority.raised ? ' (raised)' : ''}${r.run.priority.note ? `: ${r.run.priority.note}` : ''}`],
      ...(t.notes ? [['target notes', t.notes] as Cell[]] : []),
      ...(w.overrides.length ? [['overrides', w.overrides.map((o) => `${o.path}=${JSON.stringify(o.value)} (${o.source})`).join('; ')] as Cell[]] : []),
    ], 'kv'));
    if (t.provisioned) out.push(`<details><summary>provisioned stack</summary>${pre(t.provisioned)}</details>`);
    if (t.simulator) out.push(`<details><summary>simulator settings</summary>${pre(t.simulator)}</details>`);
    out.push(`<details><summary>load and data config</summary>${pre({ load: w.loadConfig, data: w.data.config ?? { type: w.data.type, seed: w.data.seed, cells: w.data.cells } })}</details>`);
    // The resolved scenario config (`TestReport.config`, recorded by newer versions).
    const config = (r as unknown as { config?: { file?: unknown } }).config;
    if (config) out.push(`<details><summary>resolved scenario config (${esc(config.file)})</summary>${pre(config)}</details>`);
  }
  for (const { report: a } of run.actuation) {
    out.push(`<h3>${esc(a.scenario)} (actuation)</h3>${table(['', 'value'], [
      ['cluster', `${a.cluster.kind} ${a.cluster.server} (context ${a.cluster.context}, ${a.cluster.serverVersion})`],
      ['kubeconfig', a.cluster.source],
      ['namespace / run id', `${a.cluster.namespace} / ${a.runId}`],
      ['time scale', String(a.cluster.timeScale)],
      ...(a.overrides.length ? [['overrides', a.overrides.map((o) => `${o.path}=${JSON.stringify(o.value)} (${o.source})`).join('; ')] as Cell[]] : []),
    ], 'kv')}`);
  }
  const e = run.environment;
  if (e) {
    out.push('<h3>Environment</h3>');
    out.push(table(['', 'value'], [
      ['recorded', e.recordedAt],
      ['Node / platform', `${e.node} ${e.platform} ${e.arch} (${e.osRelease})`],
      ['host', `${e.host.cpus} × ${e.host.cpuModel}, ${e.host.memoryGiB} GiB`],
      ['git', e.git ? `${e.git.commit}${e.git.branch ? ` (${e.git.branch})` : ''}${e.git.dirty ? ', uncommitted changes' : ''}` : '-'],
      ['command', e.command.join(' ')],
      ['working directory', e.cwd],
      ['packages', Object.entries(e.packages).map(([k, v]) => `${k} ${v}`).join(', ')],
      ...Object.entries(e.env).map(([k, v]) => [k, v] as Cell[]),
      ...e.clusters.map((c) => ['cluster', `${c.kind} ${c.server} (${c.context}${c.serverVersion ? `, ${c.serverVersion}` : ''}${c.namespace ? `, namespace ${c.namespace}` : ''})`] as Cell[]),
    ], 'kv'));
  }
  out.push('</section>');
  return out.join('\n');
}

/** The page. `data`: series from `requests.jsonl` (`loadHtmlSeries`); without it, charts come from the summaries. */
export function renderHtml(run: RunReport, data?: HtmlSeries | null): string {
  const charts = new Charts();
  const kinds = targetKinds(run);
  const simulated = kinds.includes('simulator');
  const anyFailed = run.failed.length > 0 || [...run.tests, ...run.actuation].some((t) => t.state !== 'passed');
  const overviewRows = run.tests.map((t, k): Cell[] => {
    const r = t.report;
    const mlperf = r.slo.filter(isMlperf);
    const other = r.slo.filter((e) => !isMlperf(e));
    return [
      { html: `<a href="#t${k}">${esc(r.scenario)}</a>` },
      t.state === 'passed' ? badge(true, 'passed') : badge(false, t.state),
      { html: r.target.kind === 'simulator' ? '<span class="sim-tag">SIMULATOR</span>' : esc(r.target.name) },
      { html: mlperf.length ? mlperf.map((e) => sloBadge(e, `${e.profile} ${sloMark(e, '✔', '✘')}`).html).join(' ') : '<span class="dim">-</span>' },
      { html: other.map((e) => sloBadge(e, `${e.profile} ${sloMark(e, '✔', '✘')}`).html).join(' ') || '<span class="dim">-</span>' },
      r.validity.valid ? 'valid' : { html: '<span class="bad">INVALID</span>' },
      `${r.stats.requests.successful} / ${r.stats.requests.total}`,
      num(r.stats.latency.ttft.percentiles.p95),
      num(r.stats.latency.tpot.percentiles.p95),
      num(r.stats.throughput.outputTokensPerS),
    ];
  });
  const actRows = run.actuation.map((t, k): Cell[] => [
    { html: `<a href="#a${k}">${esc(t.report.scenario)}</a>` },
    t.state === 'passed' ? badge(true, 'passed') : badge(false, t.state),
    { html: t.report.cluster.kind === 'simulator' ? '<span class="sim-tag">SIMULATOR</span>' : esc(t.report.cluster.context) },
    { html: t.report.slo.map((c) => badge(c.pass, c.name).html).join(' ') || '-' },
    `${t.report.summary.ready} / ${t.report.summary.n}`,
  ]);
  const body = [
    `<header class="top ${anyFailed ? 'failed' : 'passed'}">`,
    simulated ? '<div class="sim-banner">SIMULATOR<small>numbers from the embedded simulator: modeled, not measured on hardware</small></div>' : '',
    `<h1>${esc(run.suite)} <span class="dim">run ${esc(run.stamp)}</span></h1>`,
    run.interrupted ? `<p class="bad">${esc(run.interrupted.kind.toUpperCase())}: ${esc(run.interrupted.reason)}; the reports hold what finished.</p>` : '',
    `<p class="overall">${badge(!anyFailed, anyFailed ? 'FAILED' : 'PASSED').html} ${run.tests.length} benchmark test(s), ${run.actuation.length} actuation test(s), ${run.failed.length} failed without a report, ${run.skipped.length} skipped · target kind: ${esc(kinds.join(', ') || '-')}</p>`,
    run.tests.length ? table(['test', 'state', 'target', 'MLPerf compliance', 'other SLO', 'validity', 'ok / total', 'TTFT p95 ms', 'TPOT p95 ms', 'output tok/s'], overviewRows, 'overview') : '',
    run.actuation.length ? table(['actuation test', 'state', 'cluster', 'SLO checks', 'Ready / counted'], actRows, 'overview') : '',
    '</header><main>',
    ...run.tests.map((t, k) => testSection(t, `t${k}`, data, charts)),
    run.actuation.length ? `<section id="actuation"><h2>Actuation</h2>${actuationMatrix(run.actuation.map((a) => a.report))}</section>` : '',
    ...run.actuation.map((t, k) => actuationSection(t, `a${k}`, charts)),
    run.failed.length ? `<section><h2>Tests that failed without a report</h2>${table(['test', 'state', 'error'], run.failed.map((f) => [f.name, f.state, { html: `<pre class="error">${esc([f.error, ...(f.hooks ?? []).map(hookLine)].join('\n'))}</pre>` }]))}</section>` : '',
    run.skipped.length ? `<section><h2>Skipped</h2>${table(['test', 'note'], run.skipped.map((s) => [s.name, s.note ?? '']))}</section>` : '',
  ];
  const uplot = uplotAssets();
  body.push(definitionsHtml(run.tests.map((t) => ({ scenario: t.report.scenario, definitions: t.report.definitions }))));
  body.push(provenance(run, data, uplot.version), '</main>');
  const scripts = charts.specs.length ? [uplot.js, CHART_SCRIPT] : [];
  const csp = `default-src 'none'; script-src ${scripts.length ? scripts.map(cspHash).join(' ') : "'none'"}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  const title = `${run.suite} ${run.stamp}${simulated ? ' (SIMULATOR)' : ''}`;
  return `${pageHead({ csp, title, generator: `${run.tool.name} ${run.tool.version}`, styles: [uplot.css, PAGE_CSS] })}
<body>
${body.join('\n')}
${charts.specs.length ? `<script type="application/json" id="llmd-charts">${jsonScript(charts.specs)}</script>\n${scripts.map((s) => `<script>${s}</script>`).join('\n')}` : ''}
</body>
</html>
`;
}
