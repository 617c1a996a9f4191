/**
 * The sessions part of the "account" step: every measured turn of a multi-turn run goes into the
 * statistics of its turn index (with the prefix-cache tokens the server reported for it), and
 * into its session's bookkeeping (first send, last end, turns sent and finished, how it ended),
 * from which `SessionsReport` is made once the run is over.
 */
import { StatsAccumulator } from '../metrics/aggregate.ts';
import type { Definitions } from '../metrics/derive.ts';
import type { RequestRecord, SessionTurn } from '../metrics/record.ts';
import type { SessionsReport, ValueSummary } from '../report/model.ts';
import { summarize } from '../stats/summary.ts';

/** Exact samples a turn index keeps before folding into a histogram. */
const TURN_CAP = 2 ** 15;

/** One turn index while the run goes: its statistics and the cached tokens reported for it. */
interface TurnAccount {
  stats: StatsAccumulator;
  /** Turns that reported cached tokens, and their sum. */
  cachedTurns: number;
  cachedSum: number;
  /** Prompt tokens of the turns that reported both counts. */
  promptSum: number;
}

/** One session while the run goes. */
interface SessionAccount {
  planned: number;
  firstSend: number;
  lastEnd: number;
  ok: number;
  end: SessionTurn['end'] | null;
}

/** Turn and session bookkeeping of one multi-turn test. */
export class SessionAccounting {
  private readonly turns: TurnAccount[] = [];
  private readonly sessions = new Map<string, SessionAccount>();
  private sent = 0;
  private cutUnsent = 0;

  constructor(
    private readonly header: string,
    private readonly definitions: Definitions,
  ) {}

  /** Counts a measured record of a session turn (warm-up and single requests are not). */
  add(r: RequestRecord): void {
    const t = r.session;
    if (!t || r.warmup) return;
    const turn = (this.turns[t.turn] ??= { stats: new StatsAccumulator(undefined, { exactCap: TURN_CAP }, this.definitions), cachedTurns: 0, cachedSum: 0, promptSum: 0 });
    turn.stats.add(r);
    const cached = r.usage?.cachedTokens;
    if (cached !== null && cached !== undefined) {
      turn.cachedTurns++;
      turn.cachedSum += cached;
      turn.promptSum += r.usage!.promptTokens;
    }
    let s = this.sessions.get(t.id);
    if (!s) this.sessions.set(t.id, (s = { planned: t.turns, firstSend: Infinity, lastEnd: -Infinity, ok: 0, end: null }));
    const sentAt = r.retries?.[0]?.sent ?? r.sent;
    if (sentAt !== null) {
      this.sent++;
      s.firstSend = Math.min(s.firstSend, sentAt);
      s.lastEnd = Math.max(s.lastEnd, r.end);
    } else if (t.cut) this.cutUnsent++;
    if (!r.error) s.ok++;
    if (t.end) s.end = t.end;
  }

  /** The turn indices' accumulators (idle pauses between stages are excluded from them as from the others). */
  accumulators(): StatsAccumulator[] {
    return this.turns.filter((t) => t !== undefined).map((t) => t.stats);
  }

  /** The sessions section of the report, or undefined when no session turn was measured. */
  report(): SessionsReport | undefined {
    if (this.sessions.size === 0) return undefined;
    const ends = { completed: 0, failed: 0, cut: 0, stopped: 0 };
    let planned = 0;
    const durations: number[] = [];
    const completedTurns: number[] = [];
    for (const s of this.sessions.values()) {
      planned += s.planned;
      completedTurns.push(s.ok);
      // A session the run stopped while it waited for its next turn has no end: it was stopped.
      ends[s.end ?? 'stopped']++;
      if (s.firstSend !== Infinity) durations.push((s.lastEnd - s.firstSend) / 1000);
    }
    return {
      header: this.header,
      started: this.sessions.size,
      ...ends,
      turnsPlanned: planned,
      turnsSent: this.sent,
      turnsCut: this.cutUnsent,
      durationS: valueSummary(durations),
      turnsCompleted: valueSummary(completedTurns),
      byTurn: this.turns.flatMap((a, k) =>
        a
          ? [{
              turn: k + 1,
              stats: a.stats.stats(),
              cachedTokensMean: a.cachedTurns > 0 ? a.cachedSum / a.cachedTurns : null,
              cachedFraction: a.promptSum > 0 ? a.cachedSum / a.promptSum : null,
            }]
          : [],
      ),
    };
  }
}

/** Count, mean, p50, p95, p99 and range of `values`. */
export function valueSummary(values: readonly number[]): ValueSummary {
  const s = summarize(values, [50, 95, 99]);
  return { count: s.count, mean: s.mean, p50: s.percentiles.p50 ?? null, p95: s.percentiles.p95 ?? null, p99: s.percentiles.p99 ?? null, min: s.min, max: s.max };
}
