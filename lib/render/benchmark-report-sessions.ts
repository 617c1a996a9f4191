/**
 * Sessions and trace replay in the llm-d benchmark report (v0.2.1). The standard's own fields for
 * them are `scenario.load.standardized.multi_turn` (`MultiTurn`: `enabled`, `max_turns`) and
 * `results.session_performance.sessions` (`SessionRequests`), defined in llm-d-benchmark's
 * `llmdbenchmark/analysis/benchmark_report/schema_v0_2.py` and filled by its own converter from
 * inference-perf's session lifecycle report (`native_to_br0_2.py` `import_inference_perf_session`,
 * whose counts inference-perf defines in `inference_perf/reportgen/base.py` `summarize_sessions`).
 * They are filled here with the same meanings:
 *
 * | benchmark report field | our figure |
 * | --- | --- |
 * | `sessions.total` | sessions started in the measured stages |
 * | `sessions.succeeded` | sessions whose every planned turn finished ok |
 * | `sessions.failed` | sessions ended by a failed turn (cut and stopped sessions are neither) |
 * | `sessions.total_events` | turns the started sessions planned |
 * | `sessions.total_events_completed` | turns that finished ok |
 * | `sessions.total_events_cancelled` | planned turns never sent (after a failed turn, cut by the stage's end, or stopped) |
 * | `sessions.session_duration` | first send to last turn's end, s, over the sessions that ended |
 * | `multi_turn.max_turns` | the configured `turns` (fixed), else the mean planned turns (`other`) |
 *
 * What the standard has no field for is said in the load's description rather than given a
 * field of our own: the per-turn statistics (TTFT by turn index), turns completed per session
 * (`events_per_session` counts planned events), the session rate and tokens per session, and every
 * figure of a replayed trace. `summary.json` has them all (`sessions`, `trace`).
 */
import type { SessionsReport, TestReport, ValueSummary } from '../report/model.ts';
import { sessionCountsText, traceCacheText, traceHeadText, traceLagText } from './session-figures.ts';

/** A Statistics object of a per-session summary, with its `definition`; null without samples. */
function valueStatistics(v: ValueSummary, units: string, definition: string): Record<string, unknown> | null {
  if (v.count === 0 || v.mean === null) return null;
  const out: Record<string, unknown> = { units, mean: v.mean, definition };
  for (const k of ['min', 'p50', 'p95', 'p99', 'max'] as const) if (v[k] !== null) out[k] = v[k];
  out.count = v.count;
  return out;
}

/** `scenario.load.standardized.multi_turn` of a test with sessions; null without. */
export function brMultiTurn(r: Pick<TestReport, 'sessions' | 'workload'>): Record<string, unknown> | null {
  const s = r.sessions;
  if (!s) return null;
  const turns = (r.workload.data.config as { turns?: unknown } | undefined)?.turns;
  if (typeof turns === 'number' && Number.isInteger(turns) && turns >= 1) return { enabled: true, max_turns: { distribution: 'fixed', value: turns } };
  return s.started > 0 ? { enabled: true, max_turns: { distribution: 'other', value: Number((s.turnsPlanned / s.started).toFixed(3)) } } : { enabled: true };
}

/** `results.session_performance` of a test's sessions (the table in this file's comment). */
export function brSessionPerformance(s: SessionsReport): Record<string, unknown> {
  const duration = valueStatistics(s.durationS, 's', 'session duration: first send to the last turn\u2019s end, over the sessions that ended');
  return {
    sessions: {
      total: s.started,
      succeeded: s.completed,
      failed: s.failed,
      total_events: s.turnsPlanned,
      total_events_completed: s.byTurn.reduce((a, t) => a + t.stats.requests.successful, 0),
      total_events_cancelled: Math.max(0, s.turnsPlanned - s.turnsSent),
      ...(duration ? { session_duration: duration } : {}),
    },
  };
}

/**
 * The sentences the load's description gets for sessions and a trace: where their figures went
 * (`whole`: this report carries the whole test's sessions; false for one stage of several) and
 * what the standard has no field for.
 */
export function brSessionNotes(r: Pick<TestReport, 'sessions' | 'trace'>, whole: boolean): string {
  const out: string[] = [];
  const s = r.sessions;
  if (s) {
    out.push(
      `Sessions (${sessionCountsText(s)}; turns ${s.turnsSent} sent of ${s.turnsPlanned} planned, ${s.turnsCut} cut by the stage's end): ` +
        (whole
          ? 'results.session_performance.sessions follows inference-perf\u2019s session lifecycle meanings (total_events: planned turns; total_events_completed: turns that finished ok; total_events_cancelled: planned turns never sent, after a failed turn or cut by the stage\u2019s end; failed: sessions ended by a failed turn, cut sessions are neither succeeded nor failed). '
          : 'they cover every stage of the test, so no stage\u2019s report carries results.session_performance; summary.json sessions has them. ') +
        'The standard has no field for per-turn statistics (TTFT by turn index), turns completed per session, the session rate or tokens per session: they are in summary.json sessions.',
    );
  }
  const t = r.trace;
  if (t) {
    out.push(`Trace replay: ${traceHeadText(t)}; ${traceLagText(t)}; ${traceCacheText(t)}. The standard has no trace-replay fields: these are in summary.json trace.`);
  }
  return out.join(' ');
}
