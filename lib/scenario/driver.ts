/**
 * How one process takes part in a scenario run. The steps of a run (plan, prepare prompts, run
 * stages, account, judge: `run-scenario.ts`) are the same in every process; a driver supplies
 * what differs. A single process needs none (it runs the whole load with `runLoad`). A pod of a
 * distributed run runs its share and records where it stood (`lib/distributed/pod-driver.ts`);
 * the merge replays the pods' records and absorbs the statistics of those whose records did not
 * arrive (`lib/distributed/merge-scenario.ts`).
 */
import type { LoadOutcome, RunnerOptions } from '../load/runner.ts';
import type { StageOutcome, StagePlanner } from '../load/stage.ts';
import type { RunClock } from '../metrics/record.ts';
import type { LoadConfig, LoadConfigInput } from '../load/registry.ts';
import type { MeasuredTest } from '../report/model.ts';
import type { RunAccounting, StageAccount } from './accounting.ts';
import type { DistributedSection } from './assemble-report.ts';
import type { OpenTarget } from './open-target.ts';

/** Runs a load: `runLoad`, or a stand-in with its signature (a merge's replay). */
export type LoadRunner = (options: RunnerOptions) => Promise<LoadOutcome>;

/** The part of the load this process runs. */
export interface LoadShare {
  planner: StagePlanner;
  /** Warm-up requests this process sends. */
  warmup: number;
  /** The data (and model rotation) index of the runner's request i (its global index in a pod's share). */
  dataIndex(i: number): number;
  /** What the share is, for the report's notes; null when it is the whole load. */
  note: string | null;
}

/** What a driver may add to a run's accounting once its load is over. */
export interface DriverFinish {
  /** Notes for the report's workload notes (a file it could not write). */
  notes: string[];
  /** Requests sent that the runner did not see (a merge's pods merged from their histograms). */
  sent: number;
  /** Statistics were absorbed from histograms: the run's send rate is then the stages' bookkeeping, and no unstalled subset is reported. */
  absorbed: boolean;
}

/** Hooks of a run that is not a single process running its whole load; each is optional. */
export interface ScenarioDriver {
  /**
   * The part of `load` this process runs. `whole` builds the planner of the whole load (what a
   * single process runs); the default is that planner with every request.
   */
  share?(load: LoadConfig, ctx: { seed: number; numRequests: number | undefined; warmup: number; whole: () => StagePlanner }): LoadShare;
  /** Runs the load instead of `runLoad`; with one, no prompts are built and no output is tokenized (the records carry the counts). */
  runLoad?: LoadRunner;
  /** Clock anchor of the run (a merge: the reference pod's); default read at the start. */
  clock?: RunClock;
  /** The clock is read and the first stage is about to be planned. */
  started?(clock: RunClock): void;
  /** Awaited before each stage starts (a pod waits at the pods' barrier); with it, requests are recorded under their data index. */
  beforeStage?(index: number): Promise<void>;
  /** A runner stage ended (called before its reported stages are finished). */
  stageEnded?(outcome: StageOutcome, clock: RunClock): void;
  /** Reported stage `k` was opened: its accounting is new. */
  stageOpened?(k: number, stage: StageAccount): void;
  /** The load is over and every record is counted. */
  finished?(accounting: RunAccounting, outcome: LoadOutcome): DriverFinish;
}

/** The driver of an input: none, a load runner alone, or a driver object. */
export function driverOf(d: ScenarioDriver | LoadRunner | undefined): ScenarioDriver {
  if (d === undefined) return {};
  return typeof d === 'function' ? { runLoad: d } : d;
}

/** What a role is decided from: the test and where it runs. */
export interface RoleContext {
  suite: string;
  scenario: string;
  load: LoadConfigInput;
  runDir: string;
  target: OpenTarget;
  stop: AbortSignal;
}

/**
 * How this process takes part in a test when it is not the whole run on its own: a pod of a
 * distributed run, or the launcher's merge of the pods' records (`lib/distributed/test-role.ts`).
 */
export interface RunRole {
  /** This process does not run the test (a search load given to another pod): the skip note. */
  skip?: string;
  driver?: ScenarioDriver;
  /** Scrape the target's `/metrics` during the run; false in a merge (the run is over, only Prometheus still has the window). */
  scrape: boolean;
  /** The report's `distributed` section from what was measured; `maxStartLagMs` is the scenario's schedule-lag floor. */
  section(measured: Pick<MeasuredTest, 'stages'>, maxStartLagMs: number): DistributedSection;
}

/** Decides a test's role in this process; null: a single process running the whole test. */
export type RoleOf = (ctx: RoleContext) => Promise<RunRole | null>;
