/**
 * The terminal lines of a test's sessions and replayed trace, under its summary table: the
 * per-turn table (turn, requests, TTFT p50/p95, TPOT p50, cached share), one line of session
 * figures, what the stage's end cut, and the trace's figures. Every line fits in 80 columns.
 */
import type { TestReport } from '../report/model.ts';
import { num, pct } from './html/escape.ts';
import { cutSessionsText, sessionLine, traceCacheText, traceHeadText, traceLagText, traceSkippedText, turnRows } from './session-figures.ts';

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
