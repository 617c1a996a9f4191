import type { Connections } from './connections.ts';
import { closedLoop, openLoop } from './loops.ts';
import type { Measurement, RecordSink } from './measurement.ts';
import { newStageState, type RunControl, sleepUntil } from './run-control.ts';
import type { RunnerOptions } from './run-options.ts';
import { boundOf, type RunCoordination, unreachableAfterOf } from './run-plan.ts';
import type { Sender } from './send.ts';
import type { SessionRunner } from './sessions.ts';
import { rateOver, type StageOutcome, type StagePlan, type StagePlanner } from './stage.ts';
import type { Tally } from './tally.ts';

/** How often the p95 stop rule looks for requests in flight that have already run past its limit, ms. */
const SLOW_SCAN_MS = 250;

/** The parts of one run that its steps share (`runLoad` builds them). */
export interface LoadRun {
  readonly o: RunnerOptions;
  readonly planner: StagePlanner;
  readonly coordination: RunCoordination;
  readonly control: RunControl;
  readonly measurement: Measurement;
  readonly tally: Tally;
  readonly sink: RecordSink;
  readonly connections: Connections;
  readonly sender: Sender;
  /** The run's sessions, when it runs sessions (`RunnerOptions.sessions`) instead of single requests. */
  readonly sessions: SessionRunner | null;
}

/**
 * Opens the first stage's connections and sends the warm-up requests: a closed loop at the first
 * stage's concurrency (1 before an open loop), recorded with `warmup: true`.
 */
export async function warmUp(run: LoadRun, first: StagePlan): Promise<void> {
  await run.connections.prepare(first, boundOf(first));
  const concurrency = first.schedule.kind === 'closed' ? first.schedule.concurrency : 1;
  await closedLoop(run.control, run.sender, null, run.o.warmup, { kind: 'closed', concurrency, description: 'warm-up' }, Infinity);
}

/**
 * Runs the stages the planner gives, starting with `first`, one after another until it gives no
 * more or the run stopped. Before each: its idle pause (from the end of the stage before;
 * connections are opened after it, so a server's keep-alive timeout during a long pause cannot
 * close them), its connections, and the coordination's barrier.
 */
export async function runStages(run: LoadRun, first: StagePlan): Promise<StageOutcome[]> {
  const { control, connections } = run;
  const outcomes: StageOutcome[] = [];
  for (let plan: StagePlan | null = first; plan && !control.stopped; plan = control.stopped ? null : await run.planner.next(outcomes)) {
    run.tally.unreachableAfter = unreachableAfterOf(run.o, plan);
    const prev = outcomes.at(-1);
    const pause = prev && plan.pauseBeforeMs ? { plannedMs: plan.pauseBeforeMs, from: prev.end } : undefined;
    if (pause) {
      await sleepUntil(pause.from + pause.plannedMs, control.pacer);
      if (control.stopped) break;
    }
    await connections.prepare(plan, boundOf(plan));
    await run.coordination.beforeStage(outcomes.length, plan);
    const outcome = await runStage(run, plan, outcomes.length);
    outcomes.push(pause ? { ...outcome, pause } : outcome);
  }
  return outcomes;
}

/**
 * Runs one stage to its end, drain included: it sends until its request count is sent or its
 * duration passed; a duration-bounded stage then gives the requests still in flight its drain
 * bound and cuts the rest. With stop rules, requests in flight past the latency limit are looked
 * for every `SLOW_SCAN_MS`.
 */
async function runStage(run: LoadRun, plan: StagePlan, index: number): Promise<StageOutcome> {
  const { control, measurement, tally } = run;
  const st = newStageState(index);
  measurement.startStage();
  const start = performance.now();
  run.o.onStageStart?.(index, start);
  const deadline = plan.durationMs === null ? Infinity : start + plan.durationMs;
  const timers: NodeJS.Timeout[] = [];
  if (plan.durationMs !== null) {
    timers.push(setTimeout(() => {
      // An open loop ends its sending itself, after the last send due before the deadline.
      if (plan.schedule.kind === 'closed') control.endStage(st, null);
      // Requests still running get the drain bound, then are cut.
      timers.push(setTimeout(() => control.endStage(st, `cut: still in flight ${plan.drainMs / 1000} s after the stage's time was up`), plan.drainMs));
    }, plan.durationMs));
  }
  if (tally.rules) timers.push(setInterval(() => tally.scanInFlight(st), SLOW_SCAN_MS));
  const max = plan.maxRequests ?? Infinity;
  const launcher = run.sessions ? run.sessions.stage(deadline) : run.sender;
  try {
    if (plan.schedule.kind === 'closed') await closedLoop(control, launcher, st, max, plan.schedule, deadline, start);
    else await openLoop(control, launcher, st, max, plan.schedule, deadline, start);
  } finally {
    for (const t of timers) clearTimeout(t);
  }
  if (!st.over) control.endStage(st, null);
  await run.sink.allSunk();
  return {
    index,
    plan,
    start,
    sendEnd: st.sendEnd,
    end: Math.max(st.sendEnd, st.end),
    sent: st.sent,
    cut: st.cut,
    achievedSendRate: rateOver(st.sent, st.firstSend, st.lastSend),
    eventLoopDelayMs: measurement.stageDelay(),
    stalls: measurement.stalls(start, Infinity),
    stopRule: st.stopRule,
    stopped: control.stopped,
  };
}
