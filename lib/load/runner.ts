import { Connections } from './connections.ts';
import { Measurement, RecordSink } from './measurement.ts';
import { RunControl } from './run-control.ts';
import type { LoadOutcome, RunnerOptions } from './run-options.ts';
import { boundOf, coordinationOf, plannerOf, type RunCoordination, unreachableAfterOf } from './run-plan.ts';
import { Sender } from './send.ts';
import { SessionRunner } from './sessions.ts';
import { rateOver, type StageOutcome, type StagePlanner } from './stage.ts';
import { type LoadRun, runStages, warmUp } from './stages.ts';
import { Tally } from './tally.ts';

export type { LoadOutcome, RequestSpec, RetryPolicy, RunnerOptions, SessionOptions, StopRulesConfig } from './run-options.ts';
export { SESSION_HEADER } from './sessions.ts';
export { backoffOf } from './send.ts';

/*
 * The load runner: `runLoad` as a pipeline of steps over a few named parts.
 *
 *   plan      the stages (`run-plan.ts`: planner, in-flight bounds, coordination with other pods)
 *   open      the connection pool (`connections.ts`) and the run's control, tally and sink
 *   warm up   first stage's connections, then the warm-up requests (`stages.ts`)
 *   run       each stage: pause, connections, barrier, its loop (`loops.ts`) starting requests or
 *             sessions (`sessions.ts`: each sends its turns one after another), every request sent
 *             and retried by the `Sender` (`send.ts`), booked by the `Tally` (`tally.ts`: stop
 *             rules, unreachable target), delivered by the `RecordSink` (`measurement.ts`)
 *   finish    wait for the last records, stop measuring, close the pool, summarise
 *
 * Whether the run or a stage may go on, and every wait's wake-up, is the `RunControl`
 * (`run-control.ts`).
 */

/**
 * Runs warm-up, then the stages of the plan one after another against a target. Each stage ends
 * when its request count is sent or its duration passed; a duration-bounded stage then gives the
 * requests still in flight its drain bound and cuts the rest. Stop rules end a stage early. A
 * stage whose plan asks for an idle pause before it starts that long after the stage before ended.
 * Per-request failures are records, never exceptions; the only rejection is an `onRecord` that
 * threw. With `sessions`, the stages' schedules start multi-turn sessions instead of requests
 * (`SessionOptions`), and every turn is a record with its `session`.
 */
export async function runLoad(o: RunnerOptions): Promise<LoadOutcome> {
  const planner = plannerOf(o);
  const measurement = new Measurement(o.stallLimitMs ?? 10);
  const coordination = coordinationOf(o);
  const first = await planner.next([]);
  const run = openRun(o, planner, coordination, measurement, boundOf(first), unreachableAfterOf(o, first));
  const unwatch = run.control.watch(o.signal);
  let measuredStart = coordination.clock.perfMs;
  let stages: StageOutcome[] = [];
  try {
    if (first) {
      await warmUp(run, first);
      measuredStart = measurement.start();
      stages = await runStages(run, first);
    }
  } finally {
    await run.sink.allSunk();
    measurement.stop();
    unwatch();
    await run.connections.close(!!run.control.stopped);
  }
  if (run.control.error) throw run.control.error;
  return summarise(run, measuredStart, stages);
}

/** The parts of a run, before anything is sent: the pool sized for the first stage (`bound`). */
function openRun(
  o: RunnerOptions, planner: StagePlanner, coordination: RunCoordination, measurement: Measurement, bound: number, unreachableAfter: number,
): LoadRun {
  const control = new RunControl();
  const tally = new Tally(control, o.stopRules ?? null, coordination.clock.perfMs, unreachableAfter);
  const sink = new RecordSink(o, measurement.stallWatch, control);
  const connections = new Connections(o.target, bound);
  const sender = new Sender(o, coordination, control, tally, sink, connections);
  const sessions = o.sessions ? new SessionRunner(o, o.sessions, control, sender) : null;
  return { o, planner, coordination, control, measurement, tally, sink, connections, sender, sessions };
}

/** What the runner reports besides the records. */
function summarise(run: LoadRun, measuredStart: number, stages: StageOutcome[]): LoadOutcome {
  const { tally, measurement } = run;
  return {
    clock: run.coordination.clock,
    measuredStart,
    end: tally.end,
    stopped: run.control.stopped,
    sent: tally.sent,
    achievedSendRate: rateOver(tally.sent, tally.firstSend, tally.lastSend),
    priority: measurement.priority,
    eventLoopDelayMs: measurement.runDelay(),
    stalls: measurement.stalls(measuredStart),
    stages,
  };
}
