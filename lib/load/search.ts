import type { SearchLoad } from '../config/schema/load.ts';
import type { StageOutcome, StagePlan, StagePlanner } from './stage.ts';
import type { CapacityProbe, CapacityResult } from '../report/load.ts';

export type { CapacityProbe, CapacityResult };

/** Whether one trial met the SLO profile and measured validly, and if not why. */
export interface TrialVerdict {
  passed: boolean;
  /** Why it failed (limits broken, invalid run, stop rule); empty when it passed. */
  reasons: string[];
  /**
   * The client could not measure truthfully (it fell behind its schedule, its event loop stalled):
   * the trial says nothing about the server, so it is run again rather than counted, up to
   * `MAX_RERUNS` times a probe.
   */
  invalid?: boolean;
}

/** Reruns of invalid trials a probe may take before an invalid trial counts as a failure. */
export const MAX_RERUNS = 2;

/** Judges a finished trial; the scenario layer evaluates its SLO once its records are counted. */
export type TrialJudge = (outcome: StageOutcome) => TrialVerdict | Promise<TrialVerdict>;

/** A planner for a capacity search; `result()` is the finding so far. */
export interface SearchPlanner extends StagePlanner {
  result(): CapacityResult;
}

/** How a search builds the stage of a probe value's trial (k counts every trial run so far). */
export interface SearchContext {
  judge: TrialJudge;
  seed: number;
  stageAt(value: number, trial: number, k: number): StagePlan;
}

/**
 * Bisection for the highest rate or concurrency that meets an SLO: probe `low` (must pass), then
 * `high` (expected to fail), then the midpoint of the highest passing and lowest failing values,
 * until they are within `precision` of each other, `max_probes` points were tried, or (for
 * concurrency) they are adjacent integers. Each probe runs up to `trials` times and passes only
 * when every trial passes; the first failing trial fails it (the remaining trials are skipped).
 * A trial the client could not measure truthfully is run again (up to `MAX_RERUNS` a probe), so a
 * client hiccup does not pass for a server failure and lower the capacity found.
 * Rates are rounded to 3 significant figures, so labels stay readable.
 */
export function searchPlanner(cfg: Pick<SearchLoad, 'over' | 'low' | 'high' | 'trials' | 'precision' | 'max_probes'>, ctx: SearchContext): SearchPlanner {
  const probes: CapacityProbe[] = [];
  let passing: number | null = null;
  let failing: number | null = null;
  let conclusion = 'search not finished';
  let judged = 0;
  let finished = false;
  const unit = cfg.over === 'rate' ? ' requests/s' : '';
  const show = (v: number): string => `${v}${unit}`;

  const nextValue = (): number | null => {
    const last = probes.at(-1);
    if (!last) return cfg.low;
    if (probes.length === 1) {
      if (!last.passed) {
        conclusion = `even the lowest value, ${show(cfg.low)}, failed: the capacity is below it (lower \`low\`)`;
        return null;
      }
      return cfg.high;
    }
    if (probes.length === 2 && last.passed) {
      conclusion = `the highest value, ${show(cfg.high)}, still passed: the capacity is at least that (raise \`high\`)`;
      return null;
    }
    const lo = passing!;
    const hi = failing!;
    if ((hi - lo) / hi <= cfg.precision) {
      conclusion = `capacity ${show(lo)}: passes, and ${show(hi)} fails (within ${cfg.precision * 100}%)`;
      return null;
    }
    if (probes.length >= cfg.max_probes) {
      conclusion = `capacity ${show(lo)} after ${probes.length} probes (max_probes); ${show(hi)} fails`;
      return null;
    }
    const mid = cfg.over === 'concurrency' ? Math.floor((lo + hi) / 2) : Number(((lo + hi) / 2).toPrecision(3));
    if (mid <= lo || mid >= hi) {
      conclusion = `capacity ${show(lo)}: passes, and ${show(hi)} fails (no value between them to try)`;
      return null;
    }
    return mid;
  };

  return {
    description: `capacity search over ${cfg.over} between ${cfg.low} and ${cfg.high}, ${cfg.trials} trial(s) a probe, precision ${cfg.precision * 100}%`,
    seed: ctx.seed,
    plannedStages: null,
    async next(done) {
      if (finished) return null;
      for (; judged < done.length; judged++) {
        const outcome = done[judged]!;
        const verdict = await ctx.judge(outcome);
        const probe = probes.at(-1)!;
        if (verdict.invalid && !verdict.passed && probe.rerun.length < MAX_RERUNS && !outcome.stopped) {
          probe.rerun.push({ stage: outcome.index, reasons: verdict.reasons });
          continue;
        }
        probe.trials.push({ stage: outcome.index, passed: verdict.passed, reasons: verdict.reasons });
        if (!verdict.passed) probe.passed = false;
        if (outcome.stopped) {
          finished = true;
          conclusion = `search interrupted at ${show(probe.value)}: ${outcome.stopped}`;
          return null;
        }
      }
      const probe = probes.at(-1);
      if (probe && probe.passed && probe.trials.length < cfg.trials) return ctx.stageAt(probe.value, probe.trials.length, done.length);
      if (probe) {
        if (probe.passed) passing = Math.max(passing ?? -Infinity, probe.value);
        else failing = Math.min(failing ?? Infinity, probe.value);
      }
      const value = nextValue();
      if (value === null) {
        finished = true;
        return null;
      }
      probes.push({ value, passed: true, trials: [], rerun: [] });
      return ctx.stageAt(value, 0, done.length);
    },
    result() {
      return {
        over: cfg.over,
        value: passing,
        bracket: { passing, failing },
        probes: structuredClone(probes),
        conclusion,
      };
    },
  };
}
