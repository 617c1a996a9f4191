import { stripVTControlCharacters } from 'node:util';
import type { LatencyMetric } from '../report/model.ts';
import { definitionsLine } from './definitions.ts';
import type { Summary } from '../stats/summary.ts';
import { failedChecks, unjudgedText } from '../report/slo.ts';
import { USAGE_TOLERANCE_TEXT } from '../report/model.ts';
import { lengthLines, lengthReport } from './lengths.ts';
import type { DistributedReport, TestReport } from '../report/model.ts';
import { descriptionLine, hookLine, hookPassed } from './run-labels.ts';
import { stallText, withoutStalledText } from './stalls.ts';
import { sessionTableLines, traceLines } from './session-figures.ts';

/** Text styling hook (colors in a terminal, identity elsewhere). */
export type Style = (kind: 'bold' | 'red' | 'green' | 'yellow' | 'dim', text: string) => string;

const plain: Style = (_k, t) => t;

/** Terminal columns every table line fits in (the classic terminal width). */
export const TABLE_WIDTH = 80;

/** Columns `text` takes on a terminal: its length without ANSI styles. */
export function visibleWidth(text: string): number {
  return stripVTControlCharacters(text).length;
}

/**
 * Wraps plain `text` at spaces into lines of at most `width` columns: the first line starts with
 * `first`, the others with `rest` (a hanging indent). A word longer than a line (a URL, a long
 * model name) is broken where the line ends, so no line is ever wider than `width`.
 */
export function wrap(text: string, first = '  ', rest = '    ', width = TABLE_WIDTH): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/ +/)) {
    if (!word) continue;
    const room = width - line.length - (empty ? 0 : 1);
    if (word.length <= room) {
      line += (empty ? '' : ' ') + word;
      empty = false;
      continue;
    }
    if (!empty) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    let w = word;
    while (w.length > width - line.length) {
      const cut = width - line.length;
      lines.push(line + w.slice(0, cut));
      line = rest;
      w = w.slice(cut);
    }
    line += w;
    empty = w.length === 0;
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}

/** `wrap`, each line styled on its own (a style never spans a line break). */
function para(style: Style, kind: Parameters<Style>[0] | null, text: string, first = '  ', rest = '    '): string[] {
  return wrap(text, first, rest).map((l) => (kind ? style(kind, l) : l));
}

/**
 * The first line of a table: the test's name in bold, then `text` (where the numbers came from)
 * after two spaces, wrapped under it (continuation lines indented by four, like every wrapped
 * line of the tables); on a line of its own when the name leaves it little room.
 */
export function headed(style: Style, name: string, kind: Parameters<Style>[0] | null, text: string): string[] {
  const paint = (l: string): string => (kind ? style(kind, l) : l);
  const prefix = `${name}  `;
  if (prefix.length > TABLE_WIDTH / 2) return [...wrap(name, '', '    ').map((l) => style('bold', l)), ...wrap(text).map(paint)];
  const [first = '', ...more] = wrap(text, prefix, '    ');
  return [style('bold', name) + '  ' + paint(first.slice(prefix.length)), ...more.map(paint)];
}

/**
 * A table row: `label` in a column of `width` (then the cells), or, when the label does not fit,
 * the label on a line of its own and the cells on the next, under an empty label column.
 * Nothing is cut short.
 */
function labelled(label: string, width: number, cells: string, indent = '  '): string[] {
  if (label.length < width) return [`${indent}${label.padEnd(width)}${cells}`];
  return [...wrap(label, indent, indent), `${indent}${''.padEnd(width)}${cells}`];
}

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
 * failures by class, validity and each SLO verdict. Every line fits in `TABLE_WIDTH` columns:
 * long lines (notes, reasons, rule details) wrap with a hanging indent, wide tables split.
 * `labels`: the config's description and hooks of the test (its outcome's; default the report's own).
 */
export function renderTable(r: TestReport, style: Style = plain, labels: Pick<TestReport, 'runDescription' | 'hooks'> = r): string {
  const s = r.stats;
  const what = r.target.provisioned ? 'vLLM simulator provisioned in the embedded cluster simulator' : 'embedded vLLM simulator';
  const lines =
    r.target.kind === 'simulator'
      ? headed(style, `${r.suite}/${r.scenario}`, 'yellow', `SIMULATOR (${what}; modeled, not measured on hardware)`)
      : headed(style, `${r.suite}/${r.scenario}`, null, `endpoint ${r.target.baseUrl}`);
  lines.push(
    ...(r.interrupted ? para(style, 'red', `${r.interrupted.kind.toUpperCase()}: ${r.interrupted.reason}; results of the requests that finished`) : []),
    ...para(style, null, `model ${r.target.model}`),
    ...(labels.runDescription ? para(style, null, `description: ${descriptionLine(labels.runDescription)}`) : []),
    ...(labels.hooks ?? []).map((h) => para(style, hookPassed(h) ? 'dim' : 'red', `hook ${hookLine(h)}`)).flat(),
    ...provisionedLines(r, style),
    ...para(
      style,
      'dim',
      `${r.workload.api}${r.workload.stream ? ' (stream)' : ''}, ${r.workload.load}, ${requestsOf(r)} + ${r.workload.warmupRequests} warm-up, ${describeCells(r.workload.data.cells)}`,
    ),
    ...para(style, 'dim', definitionsLine(r.definitions)),
    `  ${'metric'.padEnd(26)}${COLS.map((c) => c.padStart(10)).join('')}`,
  );
  for (const [metric, label, scale] of ROWS) {
    lines.push(`  ${label.padEnd(26)}${COLS.map((c) => cell(s.latency[metric], c, scale).padStart(10)).join('')}`);
  }
  const rate = s.requests.successRate === null ? '-' : `${(s.requests.successRate * 100).toFixed(1)}%`;
  const tp = s.throughput;
  lines.push(
    ...para(
      style,
      null,
      `requests ${s.requests.successful}/${s.requests.total} ok (${rate}),` +
        ` throughput ${tp.outputTokensPerS?.toFixed(1) ?? '-'} output tok/s, ${tp.requestsPerS?.toFixed(2) ?? '-'} req/s`,
    ),
  );
  const src = s.tokens.outputSource;
  const tok = r.workload.data.tokenizer;
  const check = s.tokens.checked
    ? `; ${tok.name} tokenizer ${s.tokens.mismatches ? `disagrees on ${s.tokens.mismatches}` : 'agrees on all'} of ${s.tokens.checked} checked`
    : '';
  const overruled = s.tokens.usageOverruled ?? 0;
  const instead = overruled ? ` (${overruled} instead of server usage that disagreed by more than ${USAGE_TOLERANCE_TEXT})` : '';
  lines.push(...para(style, overruled ? 'yellow' : 'dim', `output tokens from: server usage ${src.server}, tokenizer ${src.tokenizer}${instead}, unknown ${src.unknown}${check}`));
  for (const l of lengthLines(lengthReport(r, s))) lines.push(...para(style, 'dim', l));
  const errors = Object.entries(s.errors);
  if (errors.length) lines.push(...para(style, 'red', `failures: ${errors.map(([k, v]) => `${k} x${v.count}`).join(', ')}`));
  const rt = s.retries;
  if (rt.requests > 0) {
    lines.push(
      ...para(
        style,
        null,
        `retries ${rt.retries} of ${rt.requests} requests (${Object.entries(rt.byKey).map(([k, n]) => `${k} x${n}`).join(', ')}): ` +
          `${rt.recovered} recovered, ${rt.exhausted} failed anyway, ${(rt.backoffMs / 1000).toFixed(2)} s backing off`,
      ),
    );
  }
  if (r.goodput) lines.push(...para(style, null, `goodput ${goodputText(r.goodput)}`));
  const stalls = stallText(r);
  if (stalls && (r.run.stalls!.count > 0 || (s.requests.stalled ?? 0) > 0)) lines.push(...para(style, s.requests.stalled ? 'yellow' : 'dim', `client stalls: ${stalls}`));
  const without = withoutStalledText(r);
  if (without) lines.push(...para(style, null, without));
  lines.push(...modelLines(r));
  lines.push(...stageLines(r, style));
  const paragraph = (kind: Parameters<Style>[0] | null, text: string): string[] => para(style, kind, text);
  lines.push(...sessionTableLines(r, paragraph, (t) => style('bold', t)), ...traceLines(r, paragraph));
  for (const note of r.workload.notes) lines.push(...para(style, 'dim', `note: ${note}`, '  ', '        '));
  if (r.distributed?.role === 'merged') lines.push(...distributedLines(r.distributed, style));
  const prio = r.run.priority;
  if (!prio.raised && prio.nice > -10 && prio.note) lines.push(...para(style, 'dim', `note: measuring thread at nice ${prio.nice}: ${prio.note}`, '  ', '        '));
  if (!r.validity.valid) lines.push(...para(style, 'red', `INVALID RUN: ${r.validity.reasons.join('; ')}`));
  for (const e of r.slo) {
    const failed = failedChecks(e).map((c) => c.name);
    const head = `  SLO ${e.profile}: `;
    const unjudged = unjudgedText(e);
    if (e.pass && !unjudged && r.validity.valid) lines.push(head + style('green', 'PASS'));
    else {
      // Not judged is neither pass nor fail: yellow, and named, so a pass never hides what it did not judge.
      // Limits that hold on an invalid run are no pass: toMeetSLO fails every test whose run is invalid.
      const passText = r.validity.valid ? 'PASS on what could be judged' : 'limits hold, but the run is INVALID: toMeetSLO fails it';
      const text = e.pass ? `${passText}${unjudged ? `; ${unjudged}` : ''}` : `FAIL (${failed.join(', ')})${unjudged ? `; ${unjudged}` : ''}`;
      const color = e.pass && r.validity.valid ? 'yellow' : 'red';
      const [first = '', ...more] = wrap(text, head, '    ');
      lines.push(head + style(color, first.slice(head.length)), ...more.map((l) => style(color, l)));
    }
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
    ...para(
      style,
      null,
      `provisioned from ${p.template}: Deployment ${p.deployment} + Service ${p.service} in namespace ${p.namespace} on ${on}, rolled out in ${p.rolloutSeconds.toFixed(1)} s (cluster time), deleted after the run`,
    ),
    ...para(style, null, `reached by ${p.access}: ${r.target.baseUrl} (${p.accessDetail})`),
    ...p.warnings.flatMap((w) => para(style, 'yellow', `WARNING: ${w}`)),
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
  const skipped = g.skipped.length ? `; not counted: ${g.skipped.join(', ')}` : '';
  return `${g.requestsPerS?.toFixed(2) ?? '-'} req/s (${g.good}/${g.requests} = ${frac} met ${g.conditions.join(', ') || 'no per-request limit'}; ${g.profile}${skipped})`;
}

const num = (x: number | null | undefined, d = 1): string => (x === null || x === undefined ? '-' : x.toFixed(d));

/** The idle pause before a stage, as its own line of the stage table: `(pause 1 s: 1.02 s idle, nothing sent)`. */
export function pauseText(p: NonNullable<TestReport['stages'][number]['pause']>): string {
  return `(pause ${p.plannedS} s: ${p.idleS.toFixed(2)} s idle, nothing sent)`;
}

/**
 * The per-stage table of a multi-stage run, and what stopped it, the knee or the capacity found.
 * Two blocks of one row per stage, to fit 80 columns: latency and throughput first (what a sweep
 * is read for), then the send-side columns (achieved rate, cut, goodput, schedule lag) with the
 * STOP / INVALID flags.
 */
function stageLines(r: TestReport, style: Style): string[] {
  if (r.stages.length <= 1) {
    const st = r.stages[0];
    return st?.stopRule ? para(style, 'red', `stopped by rule ${st.stopRule.rule}: ${st.stopRule.detail}`) : [];
  }
  const flagsOf = (st: TestReport['stages'][number]): string =>
    [st.stopRule ? `STOP ${st.stopRule.rule}` : '', st.validity.valid ? '' : 'INVALID'].filter(Boolean).join(' ');
  const flagWidth = Math.max(0, ...r.stages.map((st) => flagsOf(st).length + 2));
  const mainWidths = [6, 6, 9, 9, 9, 8, 8];
  const sendWidths = [9, 6, 8, 8];
  const sum = (ws: number[]): number => ws.reduce((a, b) => a + b, 0);
  // One label column for both blocks, as wide as the longest label where the widest block allows.
  const room = TABLE_WIDTH - 2 - Math.max(sum(mainWidths), sum(sendWidths) + flagWidth);
  const labelWidth = Math.min(room, Math.max(6, ...r.stages.map((st) => st.label.length + 1)));
  const block = (head: string[], widths: number[]) => {
    const cells = (cs: string[]): string => cs.map((c, k) => c.padStart(widths[k]!)).join('');
    return { head: style('bold', `  ${head[0]!.padEnd(labelWidth)}${cells(head.slice(1))}`), row: (label: string, cs: string[]) => labelled(label, labelWidth, cells(cs)) };
  };
  const main = block(['stage', 'sent', 'ok%', 'offered', 'TTFT p95', 'TPOT p95', 'E2E p95', 'tok/s'], mainWidths);
  const send = block(['stage', 'achieved', 'cut', 'good/s', 'lag p99'], sendWidths);
  const out = [style('dim', '  stages (ms; E2E s; rates /s)'), main.head];
  const second = [send.head];
  for (const st of r.stages) {
    const l = st.stats.latency;
    const offered = st.offered.rate !== null ? `${num(st.offered.rate)}/s` : st.offered.concurrency !== null ? `c=${st.offered.concurrency}` : '-';
    const ok = st.stats.requests.successRate === null ? '-' : (st.stats.requests.successRate * 100).toFixed(1);
    if (st.pause) out.push(style('dim', `  ${pauseText(st.pause)}`));
    out.push(
      ...main.row(st.label, [
        String(st.sent),
        ok,
        offered,
        num(l.ttft.percentiles.p95),
        num(l.tpot.percentiles.p95),
        num(l.e2e.percentiles.p95 === null || l.e2e.percentiles.p95 === undefined ? null : l.e2e.percentiles.p95 / 1000, 2),
        num(st.stats.throughput.outputTokensPerS, 0),
      ]),
    );
    const rows = send.row(st.label, [num(st.achievedSendRate), String(st.cut), num(st.goodput.requestsPerS, 2), num(l.schedule_lag.percentiles.p99, 2)]);
    const flags = flagsOf(st);
    const last = rows.pop()!;
    second.push(...rows, flags ? `${last}  ${style('red', flags)}` : last);
  }
  out.push(...second);
  if (r.stop) {
    out.push(
      ...para(
        style,
        'red',
        `stopped at ${r.stop.stage} by rule ${r.stop.rule}: ${r.stop.detail}` +
          (r.stop.lastGood ? `; last stage within the rules: ${r.stop.lastGood}` : '; no stage was within the rules') +
          (r.stop.skipped ? `; ${r.stop.skipped} planned stage(s) not run` : ''),
      ),
    );
  }
  if (r.knee) out.push(...para(style, null, `knee: ${r.knee.conclusion}`));
  if (r.capacity) {
    const c = r.capacity;
    out.push(...para(style, 'bold', `capacity: ${c.conclusion}`));
    out.push(
      ...para(
        style,
        'dim',
        `probes: ${c.probes
          .map((p) => `${p.value} ${p.passed ? 'pass' : 'FAIL'} (${p.trials.length} trial${p.trials.length === 1 ? '' : 's'}${p.rerun.length ? `, ${p.rerun.length} rerun invalid` : ''})`)
          .join(', ')}`,
      ),
    );
  }
  return out;
}

/** Per-model results of a multi-model run; a model name too long for its column gets a line of its own. */
function modelLines(r: TestReport): string[] {
  if (!r.models) return [];
  const head = ['ok', 'TTFT p95', 'TPOT p95', 'E2E p95', 'tok/s', 'retries'];
  const widths = [12, 9, 9, 8, 8, 8];
  const width = Math.min(TABLE_WIDTH - 2 - widths.reduce((a, b) => a + b, 0), Math.max(6, ...r.models.map((m) => m.model.length + 1)));
  const cells = (cs: string[]): string => cs.map((c, k) => c.padStart(widths[k]!)).join('');
  const out = ['  models (ms; E2E s)', `  ${'model'.padEnd(width)}${cells(head)}`];
  for (const m of r.models) {
    const s = m.stats;
    const l = s.latency;
    const e2e = l.e2e.percentiles.p95;
    out.push(
      ...labelled(
        m.model,
        width,
        cells([
          `${s.requests.successful}/${s.requests.total}`,
          num(l.ttft.percentiles.p95),
          num(l.tpot.percentiles.p95),
          num(e2e === null || e2e === undefined ? null : e2e / 1000, 2),
          num(s.throughput.outputTokensPerS, 0),
          String(s.retries.retries),
        ]),
      ),
    );
  }
  return out;
}

/** A merged distributed test: one line per pod (node, requests, lag, clock offset) and per missing share. */
function distributedLines(d: DistributedReport, style: Style): string[] {
  const ms = (x: number | null, digits = 1): string => (x === null ? 'n/a' : `${x.toFixed(digits)} ms`);
  const whole = d.launched !== d.parallelism ? ` (${d.launched} launched: a search load runs whole in pod 0)` : '';
  const how = d.source === 'records' ? '' : `; merged partly from histograms: percentiles within ${(d.relativeError! * 100).toPrecision(2)}%`;
  const head = `pods: ${d.pods.length} of ${d.parallelism} reported${whole}${d.partial ? ' (PARTIAL)' : ''}; stage starts within ${ms(Math.max(0, ...d.stageStartSpreadMs), 2)}${how}`;
  const out = para(style, d.partial ? 'red' : null, head);
  for (const p of d.pods) {
    const clock = p.clockOffsetMs === null ? 'offset n/a' : `offset ${ms(p.clockOffsetMs, 2)} ± ${ms(p.clockBoundMs, 2)}`;
    const flag = p.incomplete ? `INCOMPLETE: ${p.incomplete}` : p.validity.valid ? '' : `INVALID: ${p.validity.reasons.join('; ')}`;
    const from = p.source === 'histograms' ? `; from its histograms (${p.lost})` : '';
    out.push(...para(style, flag ? 'red' : 'dim', `pod ${p.index} ${p.pod ?? '?'} on ${p.node ?? '?'}: ${p.requests} requests, lag p99 ${ms(p.validity.scheduleLagP99Ms, 2)}, ${clock}${from}${flag ? `; ${flag}` : ''}`, '    ', '      '));
  }
  for (const m of d.missing) out.push(...para(style, 'red', `share ${m.index} MISSING: ${m.reason}`, '    ', '      '));
  return out;
}
