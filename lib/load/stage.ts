import type { StallSummary } from './stall-watch.ts';
import type { Schedule } from './schedule.ts';
import type { StopRuleHit } from '../report/load.ts';

export type { StopRuleHit };

/**
 * One stage of a run: a schedule held until `maxRequests` were sent or `durationMs` passed,
 * whichever comes first. A run is a sequence of stages (one for a plain load; a level each for a
 * sweep; a probe trial each for a capacity search), and each stage is reported on its own.
 */
export interface StagePlan {
  /** Short label for tables, e.g. `rate 5/s`, `concurrency 10`, `100 users`. */
  label: string;
  /** One line for reports, e.g. `5 requests/s, Poisson arrivals, seed 7 (open loop) for 30 s`. */
  description: string;
  schedule: Schedule;
  /** Measured requests to send, or null for no count bound. */
  maxRequests: number | null;
  /** Time the stage sends for, ms from its start, or null for no time bound. */
  durationMs: number | null;
  /**
   * How long requests still in flight at the end of `durationMs` may run on before they are cut
   * (class `cut`, left out of statistics), ms. A count-bounded stage waits for all of its requests.
   */
  drainMs: number;
  /** What the stage offers: a rate (open loop) or a concurrency (closed loop). */
  offered: { rate: number | null; concurrency: number | null };
  /**
   * Sub-periods reported as stages of their own (a user ramp, then the sustained load), by the
   * request's intended time from the stage start: a request belongs to the first phase whose
   * `untilMs` is past its intended offset. Absent for a stage reported as one.
   */
  phases?: ReadonlyArray<{ label: string; description: string; untilMs: number; offered: { rate: number | null; concurrency: number | null } }>;
  /** Where the stage sits in a search (probe value and trial), for the capacity report. */
  probe?: { value: number; trial: number };
  /**
   * Idle pause before the stage, ms (a staged load's `pause`, inference-perf's `load.interval`):
   * counted from the end of the stage before (its last request finished), nothing is sent until
   * it has passed. Absent (or 0) for none; ignored on the first stage.
   */
  pauseBeforeMs?: number;
}

/** What the runner knows about a finished stage (its records went to `onRecord`). */
export interface StageOutcome {
  index: number;
  plan: StagePlan;
  /** `performance.now()` when the stage started sending. */
  start: number;
  /** When it stopped sending (bound reached, rule fired, run stopped). */
  sendEnd: number;
  /** When its last request finished or was cut. */
  end: number;
  /** Measured requests sent (dispatched) in this stage. */
  sent: number;
  /** Requests cut at the end of the stage (drain bound passed, or a stop rule ended it). */
  cut: number;
  /** Send rate achieved (requests/s between the first and last send), null with fewer than 2. */
  achievedSendRate: number | null;
  /** Event-loop delay of this process during the stage, ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Stalls of the measuring thread that began during the stage (`lib/load/stall-watch.ts`); absent in a merged run that has no pod's. */
  stalls?: StallSummary;
  /** The stop rule that ended the stage, or null. */
  stopRule: StopRuleHit | null;
  /** Why the whole run stopped during this stage (cancelled, target unreachable), or null. */
  stopped: string | null;
  /**
   * The idle pause held before this stage (`StagePlan.pauseBeforeMs`): from the end of the stage
   * before (`from`) to this stage's start (`start`), `performance.now()` ms; nothing of this run
   * was sent in it. Absent when the plan had none.
   */
  pause?: { plannedMs: number; from: number };
}

/**
 * Decides the stages of a run one at a time, from the outcomes so far: a fixed list for staged
 * loads and sweeps (ending early when a stop rule fired), a bisection for a capacity search.
 * `next` may be async: a search evaluates the SLO of the trial that just finished.
 */
export interface StagePlanner {
  /** One line for reports, e.g. `sweep over concurrency 1, 5, 10`. */
  readonly description: string;
  /** Seed of random arrivals, when any. */
  readonly seed?: number;
  /** Stages planned up front, when known (null for a search). */
  readonly plannedStages: number | null;
  /** The planned stages themselves, when known up front (to build prompts ahead). */
  readonly stages?: readonly StagePlan[];
  /** The next stage, or null when the run is complete. */
  next(done: readonly StageOutcome[]): StagePlan | null | Promise<StagePlan | null>;
}

/** A planner that runs `stages` in order and stops after a stage a stop rule ended. */
export function fixedPlanner(description: string, stages: readonly StagePlan[], seed?: number): StagePlanner {
  return {
    description,
    ...(seed === undefined ? {} : { seed }),
    plannedStages: stages.length,
    stages,
    next(done) {
      const last = done.at(-1);
      if (last && (last.stopRule || last.stopped)) return null;
      return stages[done.length] ?? null;
    },
  };
}

/**
 * Requests per second over `n` requests whose first and last times (send or intended, ms) are
 * `first` and `last`: n - 1 gaps over the span, as every achieved and scheduled rate is reported;
 * null for fewer than 2 or a span of 0.
 */
export function rateOver(n: number, first: number, last: number): number | null {
  return n >= 2 && last > first ? ((n - 1) * 1000) / (last - first) : null;
}

/**
 * Which of `plan`'s phases a time `at` (ms, the runner's clock) falls in, for a stage that
 * started at `start`; 0 for a stage without phases. Compared as absolute times, as the runner
 * computes a spawn's due time (`start + k * gap`): the offset `at - start` of a spawn due exactly
 * at a phase's end can come out a float's ulp short of `untilMs` (for about 1 stage start in 250)
 * and would put it in the phase before.
 */
export function phaseAt(plan: StagePlan, start: number, at: number): number {
  if (!plan.phases) return 0;
  const k = plan.phases.findIndex((ph) => at < start + ph.untilMs);
  return k < 0 ? plan.phases.length - 1 : k;
}
