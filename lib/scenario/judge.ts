/**
 * The "judge" step of a scenario run: a capacity search's trials as they end (did the trial
 * meet the SLO, and measure validly), and the finished test: its validity, the stop rule that
 * ended it, the configured SLO verdicts, the knee of a sweep and what a search found.
 */
import type { LoadConfig } from '../load/registry.ts';
import type { LoadOutcome } from '../load/runner.ts';
import type { SearchPlanner, TrialJudge } from '../load/search.ts';
import { findKnee } from '../load/knee.ts';
import type { StagePlanner } from '../load/stage.ts';
import type { RunStats } from '../metrics/aggregate.ts';
import type { CapacityResult, Knee } from '../report/load.ts';
import type { StageReport, StopReport, Validity } from '../report/model.ts';
import type { SloEvaluation } from '../report/slo.ts';
import { evaluateSlo, failedChecks } from '../slo/evaluate.ts';
import type { SloFloors, SloProfile } from '../slo/profile.ts';
import { type RunAccounting, scheduledRate } from './accounting.ts';
import { assessValidity, testValidity } from './validity.ts';

/** The SLO a run is judged by: the scenario's configured profiles and the run-level floors. */
export interface RunSlo {
  profiles: SloProfile[];
  floors: SloFloors;
}

const round3 = (x: number): number => Number(x.toPrecision(3));

/**
 * The judge of a capacity search's trials: called once a trial's records are all counted
 * (`counted`), it holds the trial's stage to every configured profile and to the validity floors.
 */
export function trialJudge(acc: RunAccounting, slo: RunSlo, streamed: boolean, counted: () => Promise<void> | void): TrialJudge {
  return async (outcome) => {
    await counted();
    const stage = acc.stages[acc.firstReported[outcome.index]!]!;
    const stats = stage.stats.stats();
    // Against the rate the schedule called for over the requests sent, as the stage report is: a
    // short Poisson trial's arrivals may fall short of its mean rate by chance (3 in 5 s at 1/s).
    const validity = assessValidity(stats, { ...outcome, achievedSendRate: outcome.achievedSendRate }, scheduledRate(stage), slo.floors.maxScheduleLagP99Ms, slo.floors.maxStalledShare);
    const evals = slo.profiles.map((p) => evaluateSlo(p, stats, slo.floors, { streamed }));
    const reasons = [
      ...evals.flatMap((e) => failedChecks(e).map((c) => `${c.name} ${c.value === null ? 'n/a' : round3(c.value)} ${c.unit} (limit ${c.op} ${c.limit})`)),
      ...(outcome.stopRule ? [`stop rule: ${outcome.stopRule.detail}`] : []),
      ...validity.reasons.map((r) => `invalid: ${r}`),
    ];
    // Invalid alone (every SLO met, no rule fired): the client, not the server, fell short.
    const serverFailed = evals.some((e) => failedChecks(e).some((c) => !c.name.startsWith('schedule lag'))) || outcome.stopRule !== null;
    return { passed: reasons.length === 0, reasons, invalid: !validity.valid && !serverFailed };
  };
}

/** The verdicts on a finished test. */
export interface RunVerdict {
  validity: Validity;
  stop: StopReport | null;
  slo: SloEvaluation[];
  knee?: Knee;
  capacity?: CapacityResult;
}

/** Judges a finished test from its statistics, its stage reports and the load's outcome. */
export function judgeRun(input: { load: LoadConfig; planner: StagePlanner; acc: RunAccounting; stats: RunStats; outcome: LoadOutcome; slo: RunSlo; streamed: boolean }): RunVerdict {
  const { load, planner, acc, stats, outcome, slo } = input;
  const reports = acc.reports;
  // Invalid when any measured stage is; a search's trials it ran again for being invalid are not counted (their reruns are).
  const rerun = load.type === 'search' ? new Set((planner as SearchPlanner).result().probes.flatMap((p) => p.rerun.map((x) => acc.firstReported[x.stage]!))) : undefined;
  const validity = reports.length > 0
    ? testValidity(reports, outcome.stopped, rerun)
    : assessValidity(stats, outcome, null, slo.floors.maxScheduleLagP99Ms, slo.floors.maxStalledShare);
  return {
    validity,
    stop: stopOf(load, reports, planner.plannedStages, outcome.stages.length),
    slo: slo.profiles.map((p) => evaluateSlo(p, stats, slo.floors, { streamed: input.streamed })),
    ...(load.type === 'sweep' ? { knee: kneeOf(reports, load.knee_tolerance) } : {}),
    ...(load.type === 'search' ? { capacity: (planner as SearchPlanner).result() } : {}),
  };
}

/** The stop rule that ended the run early, where, and the last stage before it. In a search a rule only fails the trial it fired in (its reasons say so); the search goes on. */
function stopOf(load: LoadConfig, reports: readonly StageReport[], planned: number | null, ran: number): StopReport | null {
  const hit = load.type === 'search' ? -1 : reports.findIndex((r) => r.stopRule);
  if (hit < 0) return null;
  return {
    stage: reports[hit]!.label,
    rule: reports[hit]!.stopRule!.rule,
    detail: reports[hit]!.stopRule!.detail,
    lastGood: hit > 0 ? reports[hit - 1]!.label : null,
    skipped: planned === null ? null : Math.max(0, planned - ran),
  };
}

/** The knee of a concurrency sweep, in output tokens/s when every level counted them, else requests/s. */
function kneeOf(reports: readonly StageReport[], tolerance: number): Knee {
  const tokens = reports.every((r) => r.stats.throughput.outputTokensPerS !== null || r.stats.requests.successful === 0) && reports.some((r) => r.stats.throughput.outputTokensPerS !== null);
  return findKnee(
    reports.map((r) => ({
      label: r.label,
      concurrency: r.offered.concurrency!,
      throughput: tokens ? r.stats.throughput.outputTokensPerS : r.stats.throughput.requestsPerS,
    })),
    tolerance,
    tokens ? 'output tokens/s' : 'requests/s',
  );
}
