/**
 * A load "run" that sends nothing: it replays the pods' records of a distributed run, stage by
 * stage and in completion order, into the scenario run's own accounting, so the merged report is
 * built by the same code as a single process's, from the same records (`merge-scenario.ts`).
 * The planner is the global one (same seed), so stages, labels, offered loads, sweep knees and
 * search probes are the single process's; each stage starts at the earliest pod start (the pods
 * start together at the coordinator's barrier) and its event-loop delay is the worst pod's.
 */
import type { LoadOutcome, RunnerOptions } from '../load/runner.ts';
import { rateOver, type StageOutcome } from '../load/stage.ts';
import type { RequestRecord } from '../metrics/record.ts';
import type { PodScenario } from './pod-folders.ts';

const byEnd = (a: RequestRecord, b: RequestRecord): number => a.end - b.end || a.seq - b.seq;
const sentAt = (r: RequestRecord): number | null => r.retries?.[0]?.sent ?? r.sent;

/** A `runLoad` stand-in over the pods' records (times already on one timeline). */
export function replayDriver(pods: readonly PodScenario[]): (o: RunnerOptions) => Promise<LoadOutcome> {
  return async (o) => {
    if (!o.plan || !o.clock) throw new TypeError('replay needs the planner and the clock of the merged run');
    const records = pods.flatMap((p) => p.records);
    const outcomes: StageOutcome[] = [];
    let plan = await o.plan.next([]);
    for (const r of records.filter((x) => x.warmup).sort(byEnd)) o.onRecord(r, '');
    const measured = records.filter((r) => !r.warmup && r.stage !== null);
    let base = 0;
    let sent = 0;
    let firstSend = Infinity;
    let lastSend = -Infinity;
    let end = o.clock.perfMs;
    while (plan) {
      const j = outcomes.length;
      const n = plan.phases?.length ?? 1;
      const mine = measured.filter((r) => r.stage! >= base && r.stage! < base + n).sort(byEnd);
      const starts = pods.flatMap((p) => p.stages.filter((s) => s.stage === j).map((s) => s.start_ms + p.anchorMs));
      const start = starts.length > 0 ? Math.min(...starts) : mine.length > 0 ? Math.min(...mine.map((r) => r.intended)) : end;
      o.onStageStart?.(j, start);
      let stageSent = 0;
      let cut = 0;
      let sFirst = Infinity;
      let sLast = -Infinity;
      let stageEnd = start;
      for (const r of mine) {
        r.stage = j;
        const at = sentAt(r);
        if (at !== null) {
          stageSent++;
          if (at < sFirst) sFirst = at;
          if (at > sLast) sLast = at;
        }
        if (r.error?.class === 'cut') cut++;
        if (r.end > stageEnd) stageEnd = r.end;
        o.onRecord(r, '');
      }
      const reports = pods.flatMap((p) => p.stageReports.slice(base, base + n).filter((x) => x !== undefined));
      const delay = { p50: 0, p99: 0, max: 0 };
      for (const rep of reports) {
        delay.p50 = Math.max(delay.p50, rep.eventLoopDelayMs.p50);
        delay.p99 = Math.max(delay.p99, rep.eventLoopDelayMs.p99);
        delay.max = Math.max(delay.max, rep.eventLoopDelayMs.max);
      }
      // The pods' stalls: each marked its own records (kept in them); the stage counts them all and keeps the longest.
      const podStalls = reports.flatMap((rep) => (rep.stalls ? [rep.stalls] : []));
      const stalls = podStalls.length === 0 ? undefined : {
        count: podStalls.reduce((a, x) => a + x.count, 0),
        longestMs: Math.max(0, ...podStalls.map((x) => x.longestMs)),
        limitMs: podStalls[0]!.limitMs,
        schedstat: podStalls.every((x) => x.schedstat),
      };
      const prev = outcomes.at(-1);
      outcomes.push({
        ...(prev && plan.pauseBeforeMs ? { pause: { plannedMs: plan.pauseBeforeMs, from: prev.end } } : {}),
        index: j,
        plan,
        start,
        sendEnd: sLast === -Infinity ? start : sLast,
        end: stageEnd,
        sent: stageSent,
        cut,
        achievedSendRate: rateOver(stageSent, sFirst, sLast),
        eventLoopDelayMs: delay,
        ...(stalls ? { stalls } : {}),
        stopRule: reports.find((x) => x.stopRule)?.stopRule ?? null,
        stopped: null,
      });
      sent += stageSent;
      firstSend = Math.min(firstSend, sFirst);
      lastSend = Math.max(lastSend, sLast);
      end = Math.max(end, stageEnd);
      base += n;
      plan = await o.plan.next(outcomes);
    }
    const all = outcomes.map((x) => x.eventLoopDelayMs);
    const staged = outcomes.flatMap((x) => (x.stalls ? [x.stalls] : []));
    return {
      clock: o.clock,
      measuredStart: outcomes[0]?.start ?? o.clock.perfMs,
      end,
      stopped: null,
      sent,
      achievedSendRate: rateOver(sent, firstSend, lastSend),
      priority: { nice: 0, raised: false, note: 'a merged run: each pod measured with its own priority (its run folder under pods/)' },
      eventLoopDelayMs: { p50: Math.max(0, ...all.map((d) => d.p50)), p99: Math.max(0, ...all.map((d) => d.p99)), max: Math.max(0, ...all.map((d) => d.max)) },
      ...(staged.length > 0 ? {
        stalls: {
          count: staged.reduce((a, x) => a + x.count, 0),
          longestMs: Math.max(0, ...staged.map((x) => x.longestMs)),
          limitMs: staged[0]!.limitMs,
          schedstat: staged.every((x) => x.schedstat),
        },
      } : {}),
      stages: outcomes,
    };
  };
}
