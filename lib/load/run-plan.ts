import { type RunClock, readRunClock } from '../metrics/record.ts';
import type { RunnerOptions } from './run-options.ts';
import { fixedPlanner, type StagePlan, type StagePlanner } from './stage.ts';

/*
 * The plan of a load run before anything is sent: its stages, how many requests each may have in
 * flight, and how the run takes part in a split run.
 */

/** The stages of the run: `plan`, or the single stage of `schedule` + `requests`. */
export function plannerOf(o: RunnerOptions): StagePlanner {
  return o.plan ?? singleStage(o);
}

/** Requests that can be in flight at once: the schedule's bound, never more than the stage sends. */
export function boundOf(p: StagePlan | null): number {
  return p === null ? 1 : Math.max(1, Math.min(p.schedule.kind === 'closed' ? p.schedule.concurrency : p.schedule.maxInFlight, p.maxRequests ?? Infinity));
}

/** Consecutive connection-level failures during `plan` after which the target is taken as gone. */
export function unreachableAfterOf(o: RunnerOptions, plan: StagePlan | null): number {
  return o.unreachableAfter ?? Math.max(5, boundOf(plan));
}

/**
 * How the run takes part in a split run (`lib/distributed`), where each pod runs a share of one
 * schedule: the clock anchor the pods share, the global sequence number each local request is
 * recorded under, and the barrier every pod waits at before a stage starts. The runner's steps
 * use it the same way in a single process, which has its own clock, records request i as i and
 * waits for nobody.
 */
export interface RunCoordination {
  /** Clock anchor of the run. */
  readonly clock: RunClock;
  /** The recorded sequence number of local request i. */
  seqOf(i: number): number;
  /** Awaited before stage `index` starts, after its connections are opened. */
  beforeStage(index: number, plan: StagePlan): Promise<void> | undefined;
}

/** The coordination `o` asks for (`clock`, `seqOf`, `beforeStage`); reads the clock when `o` gives none. */
export function coordinationOf(o: RunnerOptions): RunCoordination {
  return {
    clock: o.clock ?? readRunClock(),
    seqOf: o.seqOf ? (i) => o.seqOf!(i) : (i) => i,
    beforeStage: (index, plan) => o.beforeStage?.(index, plan),
  };
}

/** The single-stage plan of `schedule` + `requests`. */
function singleStage(o: RunnerOptions): StagePlanner {
  if (!o.schedule) throw new TypeError('runLoad: give `plan`, or `schedule` and `requests`');
  const s = o.schedule;
  return fixedPlanner(s.description, [
    {
      label: s.kind === 'closed' ? `concurrency ${s.concurrency}` : s.offeredRate !== null ? `rate ${s.offeredRate}/s` : 'open loop',
      description: s.description,
      schedule: s,
      maxRequests: o.requests ?? 0,
      durationMs: null,
      drainMs: 0,
      offered: { rate: s.kind === 'open' ? s.offeredRate : null, concurrency: s.kind === 'closed' ? s.concurrency : null },
    },
  ]);
}
