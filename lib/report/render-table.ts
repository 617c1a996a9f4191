import type { LatencyMetric } from '../metrics/aggregate.ts';
import type { Summary } from '../stats/summary.ts';
import type { TestReport } from './model.ts';

/** Text styling hook (colors in a terminal, identity elsewhere). */
export type Style = (kind: 'bold' | 'red' | 'green' | 'yellow' | 'dim', text: string) => string;

const plain: Style = (_k, t) => t;

const ROWS: ReadonlyArray<readonly [LatencyMetric, string, number]> = [
  ['ttft', 'TTFT (ms)', 1],
  ['ttft_from_intended', 'TTFT from intended (ms)', 1],
  ['tpot', 'TPOT (ms)', 1],
  ['itl', 'ITL per chunk (ms)', 1],
  ['e2e', 'E2E latency (s)', 0.001],
  ['schedule_lag', 'schedule lag (ms)', 1],
];

const COLS = ['mean', 'p50', 'p95', 'p99'] as const;

function cell(s: Summary, col: (typeof COLS)[number], scale: number): string {
  const v = col === 'mean' ? s.mean : (s.percentiles[col] ?? null);
  if (v === null) return '-';
  const x = v * scale;
  const text = Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
  // `~`: a percentile from a histogram (past the exact-sample cap), within its stated bound.
  return s.exact === false && col !== 'mean' ? `~${text}` : text;
}

/**
 * The terminal summary of one test: where the numbers came from (SIMULATOR in capitals), the
 * workload, a metric table with mean/p50/p95/p99, counts, throughput, token-count provenance,
 * failures by class, validity and each SLO verdict.
 */
export function renderTable(r: TestReport, style: Style = plain): string {
  const s = r.stats;
  const what = r.target.provisioned ? 'vLLM simulator provisioned in the embedded cluster simulator' : 'embedded vLLM simulator';
  const where =
    r.target.kind === 'simulator'
      ? style('yellow', `SIMULATOR (${what}; modeled, not measured on hardware)`)
      : `endpoint ${r.target.baseUrl}`;
  const lines = [
    style('bold', `${r.suite}/${r.scenario}`) + `  ${where}  model ${r.target.model}`,
    ...provisionedLines(r, style),
    style(
      'dim',
      `  ${r.workload.api}${r.workload.stream ? ' (stream)' : ''}, ${r.workload.load}, ${requestsOf(r)} + ${r.workload.warmupRequests} warm-up, ${describeCells(r.workload.data.cells)}`,
    ),
    `  ${'metric'.padEnd(26)}${COLS.map((c) => c.padStart(10)).join('')}`,
  ];
  for (const [metric, label, scale] of ROWS) {
    lines.push(`  ${label.padEnd(26)}${COLS.map((c) => cell(s.latency[metric], c, scale).padStart(10)).join('')}`);
  }
  const rate = s.requests.successRate === null ? '-' : `${(s.requests.successRate * 100).toFixed(1)}%`;
  const tp = s.throughput;
  lines.push(
    `  requests ${s.requests.successful}/${s.requests.total} ok (${rate})` +
      `   throughput ${tp.outputTokensPerS?.toFixed(1) ?? '-'} output tok/s, ${tp.requestsPerS?.toFixed(2) ?? '-'} req/s`,
  );
  const src = s.tokens.outputSource;
  const tok = r.workload.data.tokenizer;
  const check = s.tokens.checked
    ? `; ${tok.name} tokenizer ${s.tokens.mismatches ? `disagrees on ${s.tokens.mismatches}` : 'agrees on all'} of ${s.tokens.checked} checked`
    : '';
  lines.push(
    style('dim', `  output tokens from: server usage ${src.server}, tokenizer ${src.tokenizer}, unknown ${src.unknown}${check}`),
  );
  const errors = Object.entries(s.errors);
  if (errors.length) lines.push(style('red', `  failures: ${errors.map(([k, v]) => `${k} x${v.count}`).join(', ')}`));
  const rt = s.retries;
  if (rt.requests > 0) {
    lines.push(
      `  retries ${rt.retries} of ${rt.requests} requests (${Object.entries(rt.byKey).map(([k, n]) => `${k} x${n}`).join(', ')}): ` +
        `${rt.recovered} recovered, ${rt.exhausted} failed anyway, ${(rt.backoffMs / 1000).toFixed(2)} s backing off`,
    );
  }
  if (r.goodput) lines.push(`  goodput ${goodputText(r.goodput)}`);
  lines.push(...modelLines(r));
  lines.push(...stageLines(r, style));
  for (const note of r.workload.notes) lines.push(style('dim', `  note: ${note}`));
  const prio = r.run.priority;
  if (!prio.raised && prio.nice > -10 && prio.note) lines.push(style('dim', `  note: measuring thread at nice ${prio.nice}: ${prio.note}`));
  if (!r.validity.valid) lines.push(style('red', `  INVALID RUN: ${r.validity.reasons.join('; ')}`));
  for (const e of r.slo) {
    const failed = e.checks.filter((c) => !c.pass).map((c) => c.name);
    lines.push(
      `  SLO ${e.profile}: ` +
        (e.pass ? style('green', 'PASS') : style('red', `FAIL (${failed.join(', ')})`)),
    );
  }
  return lines.join('\n');
}

/** Where a provisioned stack ran and how it was reached, and its warnings (port-forward noise). */
function provisionedLines(r: TestReport, style: Style): string[] {
  const p = r.target.provisioned;
  if (!p) return [];
  const scale = Number(r.target.simulator?.cluster_time_scale);
  const scaled = scale > 0 && scale !== 1 ? `; time scale ${scale}: simulated latencies are ${+(1 / scale).toPrecision(3)}x shorter than the modeled GPU's` : '';
  const on = p.cluster === 'simulator' ? `the embedded cluster simulator (${p.server}${scaled})` : `${p.server} (context ${p.context})`;
  return [
    `  provisioned from ${p.template}: Deployment ${p.deployment} + Service ${p.service} in namespace ${p.namespace} on ${on}, rolled out in ${p.rolloutSeconds.toFixed(1)} s (cluster time), deleted after the run`,
    `  reached by ${p.access}: ${r.target.baseUrl} (${p.accessDetail})`,
    ...p.warnings.map((w) => style('yellow', `  WARNING: ${w}`)),
  ];
}

/** `prompt=50,max_tokens=100 | ...` for a few cells, a count and the range for many. */
function describeCells(cells: readonly string[]): string {
  if (cells.length <= 3) return cells.join(' | ');
  return `${cells.length} cells (${cells[0]} .. ${cells.at(-1)})`;
}

function requestsOf(r: TestReport): string {
  const n = r.workload.requests;
  if (r.stages.length <= 1) return n === null ? 'duration-bounded' : `${n} requests`;
  return n === null ? `${r.stages.length} stages` : `${n} requests per stage`;
}

function goodputText(g: NonNullable<TestReport['goodput']>): string {
  const frac = g.fraction === null ? '-' : `${(g.fraction * 100).toFixed(1)}%`;
  return `${g.requestsPerS?.toFixed(2) ?? '-'} req/s (${g.good}/${g.requests} = ${frac} met ${g.conditions.join(', ') || 'no per-request limit'}; ${g.profile})`;
}

const num = (x: number | null | undefined, d = 1): string => (x === null || x === undefined ? '-' : x.toFixed(d));

/** The per-stage table of a multi-stage run, and what stopped it, the knee or the capacity found. */
function stageLines(r: TestReport, style: Style): string[] {
  if (r.stages.length <= 1) {
    const st = r.stages[0];
    return st?.stopRule ? [style('red', `  stopped by rule ${st.stopRule.rule}: ${st.stopRule.detail}`)] : [];
  }
  const head = ['stage', 'sent', 'ok%', 'cut', 'offered', 'achieved', 'TTFT p95', 'TPOT p95', 'E2E p95', 'tok/s', 'good/s', 'lag p99'];
  const widths = [22, 6, 6, 5, 9, 9, 9, 9, 8, 8, 7, 8];
  const row = (cells: string[]): string => '  ' + cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('');
  const out = [style('bold', row(head)) + style('dim', '   (ms; E2E s; rates /s)')];
  for (const st of r.stages) {
    const l = st.stats.latency;
    const offered = st.offered.rate !== null ? `${num(st.offered.rate)}/s` : st.offered.concurrency !== null ? `c=${st.offered.concurrency}` : '-';
    const ok = st.stats.requests.successRate === null ? '-' : (st.stats.requests.successRate * 100).toFixed(1);
    const line = row([
      st.label.length > 21 ? `${st.label.slice(0, 20)}…` : st.label,
      String(st.sent),
      ok,
      String(st.cut),
      offered,
      num(st.achievedSendRate),
      num(l.ttft.percentiles.p95),
      num(l.tpot.percentiles.p95),
      num(l.e2e.percentiles.p95 === null || l.e2e.percentiles.p95 === undefined ? null : l.e2e.percentiles.p95 / 1000, 2),
      num(st.stats.throughput.outputTokensPerS, 0),
      num(st.goodput.requestsPerS, 2),
      num(l.schedule_lag.percentiles.p99, 2),
    ]);
    const flags = [st.stopRule ? `STOP ${st.stopRule.rule}` : '', st.validity.valid ? '' : 'INVALID'].filter(Boolean).join(' ');
    out.push(flags ? `${line}  ${style('red', flags)}` : line);
  }
  if (r.stop) {
    out.push(
      style('red', `  stopped at ${r.stop.stage} by rule ${r.stop.rule}: ${r.stop.detail}`) +
        (r.stop.lastGood ? `; last stage within the rules: ${r.stop.lastGood}` : '; no stage was within the rules') +
        (r.stop.skipped ? `; ${r.stop.skipped} planned stage(s) not run` : ''),
    );
  }
  if (r.knee) out.push(`  knee: ${r.knee.conclusion}`);
  if (r.capacity) {
    const c = r.capacity;
    out.push(style('bold', `  capacity: ${c.conclusion}`));
    out.push(
      style(
        'dim',
        `  probes: ${c.probes
          .map((p) => `${p.value} ${p.passed ? 'pass' : 'FAIL'} (${p.trials.length} trial${p.trials.length === 1 ? '' : 's'}${p.rerun.length ? `, ${p.rerun.length} rerun invalid` : ''})`)
          .join(', ')}`,
      ),
    );
  }
  return out;
}

/** Per-model results of a multi-model run. */
function modelLines(r: TestReport): string[] {
  if (!r.models) return [];
  const width = Math.min(40, Math.max(5, ...r.models.map((m) => m.model.length)) + 2);
  const out = [`  ${'model'.padEnd(width)}${['ok', 'TTFT p95', 'TPOT p95', 'E2E p95', 'tok/s', 'retries'].map((h) => h.padStart(10)).join('')}   (ms; E2E s)`];
  for (const m of r.models) {
    const s = m.stats;
    const l = s.latency;
    const e2e = l.e2e.percentiles.p95;
    out.push(
      `  ${(m.model.length > width - 2 ? `${m.model.slice(0, width - 3)}…` : m.model).padEnd(width)}` +
        [
          `${s.requests.successful}/${s.requests.total}`,
          num(l.ttft.percentiles.p95),
          num(l.tpot.percentiles.p95),
          num(e2e === null || e2e === undefined ? null : e2e / 1000, 2),
          num(s.throughput.outputTokensPerS, 0),
          String(s.retries.retries),
        ].map((c) => c.padStart(10)).join(''),
    );
  }
  return out;
}
