/**
 * The figures of a multi-turn run's sessions (`TestReport.sessions`) and of a replayed trace
 * (`TestReport.trace`), read out and worded once for every renderer: the terminal table,
 * report.html, junit.xml (and, for the wording of notes, the llm-d benchmark report). Plain
 * text: each renderer escapes it as its output needs. Also the terminal's lines of them, under a
 * test's summary table: the per-turn table (turn, requests, TTFT p50/p95, TPOT p50, cached
 * share), one line of session figures, what the stage's end cut, and the trace's figures; every
 * line within 80 columns.
 */
import type { SessionsReport, TestReport, TraceReport, ValueSummary } from '../report/model.ts';
import { num, pct } from './html/escape.ts';

/** One turn index of the sessions, as the per-turn tables show it. */
export interface TurnRow {
  /** Turn index, 1-based. */
  turn: number;
  /** Measured turns at this index (cut turns excluded), and those that succeeded. */
  requests: number;
  ok: number;
  /** TTFT p50 and p95, TPOT p50, ms; null without samples. */
  ttftP50: number | null;
  ttftP95: number | null;
  tpotP50: number | null;
  /** Cached prompt tokens / prompt tokens the server reported; null when it reported none. */
  cachedFraction: number | null;
  cachedTokensMean: number | null;
}

/** The rows of the per-turn table, in turn order. */
export function turnRows(s: SessionsReport): TurnRow[] {
  return [...s.byTurn]
    .sort((a, b) => a.turn - b.turn)
    .map((t) => ({
      turn: t.turn,
      requests: t.stats.requests.total,
      ok: t.stats.requests.successful,
      ttftP50: t.stats.latency.ttft.percentiles.p50 ?? null,
      ttftP95: t.stats.latency.ttft.percentiles.p95 ?? null,
      tpotP50: t.stats.latency.tpot.percentiles.p50 ?? null,
      cachedFraction: t.cachedFraction,
      cachedTokensMean: t.cachedTokensMean,
    }));
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `40 sessions started: 35 completed, 1 failed, 4 cut, 0 stopped`. */
export function sessionCountsText(s: SessionsReport): string {
  return `${plural(s.started, 'session')} started: ${s.completed} completed, ${s.failed} failed, ${s.cut} cut, ${s.stopped} stopped`;
}

/** `turns 180 sent of 200 planned, 20 cut`. */
export function sessionTurnsText(s: SessionsReport): string {
  return `turns ${s.turnsSent} sent of ${s.turnsPlanned} planned, ${s.turnsCut} cut`;
}

/** `p50 3.21 s, p95 5.10 s` of a summary in `unit`; `-` for a figure it has none of. */
export function summaryText(v: ValueSummary, unit: string, keys: ReadonlyArray<'p50' | 'p95' | 'p99' | 'mean' | 'max'> = ['p50', 'p95']): string {
  return keys.map((k) => `${k} ${num(v[k], unit)}`).join(', ');
}

/** The session figures on one line: counts, turns, duration, turns completed per session. */
export function sessionLine(s: SessionsReport): string {
  return `${sessionCountsText(s)}; ${sessionTurnsText(s)}; duration ${summaryText(s.durationS, 's')}; turns completed mean ${num(s.turnsCompleted.mean)} per session`;
}

/**
 * What the stage's end cut, said plainly: the sessions it ended before their last turn and the
 * turns they did not send (neither counted as failures), or that it cut none.
 */
export function cutSessionsText(s: SessionsReport): string {
  if (s.cut === 0 && s.turnsCut === 0) return 'no session was cut by the stage\u2019s end';
  return `${plural(s.cut, 'session')} of ${s.started} ${s.cut === 1 ? 'was' : 'were'} cut by the stage\u2019s end before ${s.cut === 1 ? 'its' : 'their'} last turn: ${plural(s.turnsCut, 'planned turn')} not sent (not counted as failures)`;
}

/** `mooncake trace examples/data/x.jsonl: 200 requests, speed-up 2x; trace span 120 s, replay span 60.0 s`. */
export function traceHeadText(t: TraceReport): string {
  return `${t.format} trace ${t.file}: ${plural(t.requests, 'request')} replayed at speed-up ${t.speedup}x; trace span ${num(t.traceSpanS, 's')}, replay span ${num(t.replaySpanS, 's')}`;
}

/** `rows left out: no timestamp 3, over max_requests 10`; null when none were. */
export function traceSkippedText(t: TraceReport): string | null {
  const skipped = (t.skipped ?? []).filter((x) => x.rows > 0);
  return skipped.length ? `rows left out: ${skipped.map((x) => `${x.reason} ${x.rows}`).join(', ')}` : null;
}

/** Arrival lag against the trace's own timestamps. */
export function traceLagText(t: TraceReport): string {
  return `arrival lag behind the trace\u2019s timestamps ${summaryText(t.arrivalLagMs, 'ms', ['p50', 'p99', 'max'])} (${t.arrivalLagMs.count} sends)`;
}

/** Reported / expected cached tokens; null when either is unknown or nothing was expected. */
export function cachedRatio(t: TraceReport): number | null {
  return t.expectedCachedTokens !== null && t.expectedCachedTokens > 0 && t.reportedCachedTokens !== null ? t.reportedCachedTokens / t.expectedCachedTokens : null;
}

/** The trace's expected cached tokens against the server's report, of the prompt tokens sent. */
export function traceCacheText(t: TraceReport): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const expected =
    t.expectedCachedTokens === null
      ? `expected n/a (${t.format} has no block hashes)`
      : `expected ${n(t.expectedCachedTokens)} from the trace\u2019s block reuse${t.blockSize !== null ? ` (${t.blockSize}-token blocks)` : ''}`;
  const ratio = cachedRatio(t);
  const reported = t.reportedCachedTokens === null ? 'the server reported none' : `the server reported ${n(t.reportedCachedTokens)}${ratio !== null ? ` (${pct(ratio)} of expected)` : ''}`;
  return `cached prompt tokens: ${expected}, ${reported}; ${n(t.promptTokens)} prompt tokens sent`;
}

/** A property number: at most `d` decimals, `n/a` when unknown (junit.xml's numbers). */
export function propertyNumber(x: number | null | undefined, d = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : String(Number(x.toFixed(d)));
}

/**
 * The sessions and the trace as `name = value` properties (junit.xml): the counts, then per turn
 * index `sessions.turn.<k>.<figure>`, then the trace's figures. Nothing when the report has neither.
 */
export function sessionProperties(r: { sessions?: SessionsReport; trace?: TraceReport }): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const s = r.sessions;
  if (s) {
    const v = propertyNumber;
    out.push(
      ['sessions', `${sessionCountsText(s)} (header ${s.header})`],
      ['sessions.started', String(s.started)],
      ['sessions.completed', String(s.completed)],
      ['sessions.failed', String(s.failed)],
      ['sessions.cut', String(s.cut)],
      ['sessions.stopped', String(s.stopped)],
      ['sessions.turns_planned', String(s.turnsPlanned)],
      ['sessions.turns_sent', String(s.turnsSent)],
      ['sessions.turns_cut', String(s.turnsCut)],
      ['sessions.duration_s.p50', v(s.durationS.p50)],
      ['sessions.duration_s.p95', v(s.durationS.p95)],
      ['sessions.turns_completed.mean', v(s.turnsCompleted.mean)],
    );
    for (const t of turnRows(s)) {
      const at = `sessions.turn.${t.turn}`;
      out.push(
        [`${at}.requests`, `${t.ok}/${t.requests}`],
        [`${at}.ttft_p50_ms`, v(t.ttftP50)],
        [`${at}.ttft_p95_ms`, v(t.ttftP95)],
        [`${at}.tpot_p50_ms`, v(t.tpotP50)],
        [`${at}.cached_fraction`, v(t.cachedFraction, 4)],
      );
    }
  }
  const t = r.trace;
  if (t) {
    out.push(
      ['trace', traceHeadText(t)],
      ['trace.format', t.format],
      ['trace.file', t.file],
      ['trace.requests', String(t.requests)],
      ['trace.speedup', propertyNumber(t.speedup, 6)],
      ['trace.trace_span_s', propertyNumber(t.traceSpanS)],
      ['trace.replay_span_s', propertyNumber(t.replaySpanS)],
      ['trace.arrival_lag_ms.p50', propertyNumber(t.arrivalLagMs.p50)],
      ['trace.arrival_lag_ms.p99', propertyNumber(t.arrivalLagMs.p99)],
      ['trace.expected_cached_tokens', propertyNumber(t.expectedCachedTokens, 0)],
      ['trace.reported_cached_tokens', propertyNumber(t.reportedCachedTokens, 0)],
      ['trace.prompt_tokens', String(t.promptTokens)],
    );
    for (const x of t.skipped ?? []) out.push([`trace.skipped.${x.reason}`, String(x.rows)]);
  }
  return out;
}

/** A styled, wrapped paragraph (the summary table's own: `kind` null for plain). */
export type Paragraph = (kind: 'bold' | 'red' | 'yellow' | 'dim' | null, text: string) => string[];

const WIDTHS = [6, 12, 11, 11, 11, 10];

const row = (cells: string[]): string => `  ${cells[0]!.padEnd(WIDTHS[0]!)}${cells.slice(1).map((c, k) => c.padStart(WIDTHS[k + 1]!)).join('')}`;

/** The per-turn table and the session figures; nothing for a test without sessions. `bold`: the table head's style. */
export function sessionTableLines(r: Pick<TestReport, 'sessions'>, para: Paragraph, bold: (text: string) => string = (t) => t): string[] {
  const s = r.sessions;
  if (!s) return [];
  const out = [...para('dim', `sessions (header ${s.header}; TTFT, TPOT ms; cached: cached / prompt tokens the server reported)`)];
  out.push(bold(row(['turn', 'requests', 'TTFT p50', 'TTFT p95', 'TPOT p50', 'cached'])));
  for (const t of turnRows(s)) out.push(row([String(t.turn), `${t.ok}/${t.requests}`, num(t.ttftP50), num(t.ttftP95), num(t.tpotP50), pct(t.cachedFraction)]));
  out.push(...para(null, `sessions: ${sessionLine(s)}`));
  out.push(...para(s.cut > 0 || s.turnsCut > 0 ? 'yellow' : 'dim', cutSessionsText(s)));
  return out;
}

/** The replayed trace: source and spans, rows left out, arrival lag, expected vs reported cached tokens. */
export function traceLines(r: Pick<TestReport, 'trace'>, para: Paragraph): string[] {
  const t = r.trace;
  if (!t) return [];
  const skipped = traceSkippedText(t);
  return [...para(null, traceHeadText(t)), ...(skipped ? para('dim', skipped) : []), ...para(null, traceLagText(t)), ...para(null, traceCacheText(t))];
}
