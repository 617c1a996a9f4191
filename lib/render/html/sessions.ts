/**
 * The "Sessions" and "Trace replay" parts of a test's section in `report.html`: the per-turn table
 * with the TTFT-by-turn-index chart (p50 and p95 per turn, and the cached share of the prompt on
 * the right axis: TTFT should fall as the conversation's prefix is cached), the session figures and
 * what the stage's end cut; and the replayed trace's source, timing against its own timestamps and
 * expected vs reported cached tokens. Every string goes through `esc` (or `table`, which escapes).
 */
import type { SessionsReport, TestReport, TraceReport } from '../../report/model.ts';
import { cachedRatio, cutSessionsText, sessionCountsText, sessionTurnsText, traceSkippedText, turnRows } from '../session-figures.ts';
import { type Charts, type ChartSpec, COLORS, type SeriesSpec } from './charts.ts';
import { type Cell, esc, num, pct, table } from './escape.ts';

const r4 = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toPrecision(4)));

/** TTFT p50 and p95 per turn index, with the cached share of the prompt (%) on the right axis; null without turns. */
export function turnChart(id: string, s: SessionsReport): ChartSpec | null {
  const rows = turnRows(s);
  if (!rows.length) return null;
  // One turn is one point: drawn as a marker, a line needs two.
  const style: SeriesSpec['style'] = rows.length > 1 ? 'line' : 'points';
  const cached = rows.some((t) => t.cachedFraction !== null);
  return {
    id,
    title: 'TTFT by turn index',
    x: { label: 'turn index' },
    y: { label: 'TTFT (ms)' },
    ...(cached ? { y2: { label: 'cached share of the prompt (%)' } } : {}),
    series: [
      { label: 'TTFT p50', color: COLORS[0]!, style, spanGaps: true },
      { label: 'TTFT p95', color: COLORS[3]!, style, dash: true, spanGaps: true },
      ...(cached ? [{ label: 'cached share', color: COLORS[2]!, style, axis: 'y2' as const, spanGaps: true }] : []),
    ],
    data: [
      rows.map((t) => t.turn),
      rows.map((t) => r4(t.ttftP50)),
      rows.map((t) => r4(t.ttftP95)),
      ...(cached ? [rows.map((t) => (t.cachedFraction === null ? null : r4(t.cachedFraction * 100)))] : []),
    ],
  };
}

function sessionsBlock(s: SessionsReport, id: string, charts: Charts): string {
  const rows: Cell[][] = turnRows(s).map((t) => [String(t.turn), `${t.ok} / ${t.requests}`, num(t.ttftP50), num(t.ttftP95), num(t.tpotP50), pct(t.cachedFraction), num(t.cachedTokensMean)]);
  const cut = s.cut > 0 || s.turnsCut > 0;
  const chart = charts.add(turnChart(`${id}-turns`, s), 'One point per turn index, from the statistics of the turns at that index (cut turns excluded).');
  return [
    '<h3>Sessions</h3>',
    `<p>${esc(sessionCountsText(s))}; ${esc(sessionTurnsText(s))}; session id header <code>${esc(s.header)}</code>.</p>`,
    // Cut sessions are no failure: said in bold, not in the failure colour.
    cut ? `<p><strong>${esc(cutSessionsText(s))}.</strong></p>` : `<p class="note">${esc(cutSessionsText(s))}.</p>`,
    table(['turn', 'ok / measured', 'TTFT p50 ms', 'TTFT p95 ms', 'TPOT p50 ms', 'cached share', 'cached tokens mean'], rows, 'turns'),
    chart ? `<div class="grid">${chart}</div>` : '',
    table(['', 'n', 'mean', 'p50', 'p95', 'p99', 'min', 'max'], [
      ['session duration (s)', s.durationS.count, num(s.durationS.mean), num(s.durationS.p50), num(s.durationS.p95), num(s.durationS.p99), num(s.durationS.min), num(s.durationS.max)],
      ['turns completed per session', s.turnsCompleted.count, num(s.turnsCompleted.mean), num(s.turnsCompleted.p50), num(s.turnsCompleted.p95), num(s.turnsCompleted.p99), num(s.turnsCompleted.min), num(s.turnsCompleted.max)],
    ], 'session-figures'),
  ].join('');
}

function traceBlock(t: TraceReport): string {
  const lag = t.arrivalLagMs;
  const skipped = traceSkippedText(t);
  const ratio = cachedRatio(t);
  return [
    '<h3>Trace replay</h3>',
    table(['', 'value'], [
      ['format', t.format],
      ['file', t.file],
      ['requests replayed', t.requests],
      ...(skipped ? [['rows left out', skipped.replace(/^rows left out: /, '')] as Cell[]] : []),
      ['speed-up (trace s per replay s)', `${t.speedup}x`],
      ['span on the trace\u2019s clock / of the replay', `${num(t.traceSpanS, 's')} / ${num(t.replaySpanS, 's')}`],
      ['arrival lag behind the trace p50 / p95 / p99 / max', `${num(lag.p50)} / ${num(lag.p95)} / ${num(lag.p99)} / ${num(lag.max)} ms (${lag.count} sends)`],
      ['block size', t.blockSize === null ? `- (${t.format} has no block hashes)` : `${t.blockSize} tokens`],
      ['cached prompt tokens expected from the trace\u2019s block reuse', t.expectedCachedTokens === null ? '-' : t.expectedCachedTokens.toLocaleString('en-US')],
      ['cached prompt tokens the server reported', t.reportedCachedTokens === null ? 'none reported' : `${t.reportedCachedTokens.toLocaleString('en-US')}${ratio !== null ? ` (${pct(ratio)} of expected)` : ''}`],
      ['prompt tokens sent', t.promptTokens.toLocaleString('en-US')],
    ], 'kv trace'),
  ].join('');
}

/** The test's "Sessions" and "Trace replay" parts; empty for a test with neither. */
export function sessionsHtml(r: Pick<TestReport, 'sessions' | 'trace'>, id: string, charts: Charts): string {
  return `${r.sessions ? sessionsBlock(r.sessions, id, charts) : ''}${r.trace ? traceBlock(r.trace) : ''}`;
}
