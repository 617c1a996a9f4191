/**
 * The load part of a scenario's plan, read off the stage planner a run builds (`planLoad`, with
 * the same seed rule and request count as `runScenario`), without running it: each stage's rate
 * or concurrency, duration, idle pause before it, and the requests it sends. A count-bounded
 * stage sends its count (`num_requests`, or the count its arrival process fixes: inference-perf's
 * int(rate x duration)). A time-bounded open-loop stage sends its schedule's sends due before its
 * time is up (the runner's own rule), capped by its count: exact when the arrival times are known
 * before the run (evenly spaced, or a seed the config pins), otherwise the expectation, rate x
 * duration. The arrival generator is named by its key in the registry (`ARRIVALS`).
 */
import type { Load } from '../config/schema/load.ts';
import type { StopRules } from '../config/schema/scenario.ts';
import { ARRIVALS } from '../load/arrival-processes.ts';
import { arrivalKeyOf, planLoad, type TraceClock } from '../load/registry.ts';
import type { StagePlan } from '../load/stage.ts';
import { stopRulesOf } from './run-scenario.ts';

/** One stage of the plan. */
export interface PlannedStage {
  /** The stage table's label, e.g. `rate 5/s`, `concurrency 8`. */
  label: string;
  /** The planner's line for the stage. */
  description: string;
  /** Requests/s offered (open loop), else null. */
  rate: number | null;
  /** Requests in flight (closed loop), else null. */
  concurrency: number | null;
  /** Seconds the stage lasts: its time bound, or the span its arrival process spreads a fixed count over; null for neither. */
  durationS: number | null;
  /** Whether `durationS` ends the stage (else the stage sends its count and waits for all of it). */
  timeBound: boolean;
  /** Idle seconds before the stage (the load's `pause`, inference-perf's `load.interval`), 0 for none. */
  pauseBeforeS: number;
  /** The stage's request bound, or null. */
  maxRequests: number | null;
  /** Measured requests it sends; null when that depends on the server (a closed loop bounded by time). */
  requests: number | null;
  /** `requests` is what the schedule sends (true), or an expectation or upper bound (false). */
  exact: boolean;
  /** How `requests` was found, in words. */
  basis: string;
}

/** The load part of a plan. */
export interface LoadPlan {
  type: Load['type'];
  /** The planner's one line, e.g. `2 stages: 1/s × 30 s, 2/s × 30 s; Poisson arrivals (open loop)`. */
  description: string;
  /** When requests go out: the arrival process of an open loop, or the closed loop's rule. */
  arrivals: string;
  /** Seed of random arrivals: the config's, or null when each run draws its own (or none is used). */
  seed: number | null;
  /** Requests sent before the stages, not measured. */
  warmupRequests: number;
  /** Stages in order; null for a capacity search, whose trials are chosen as it runs. */
  stages: PlannedStage[] | null;
  /** Measured requests of the whole run, when every stage's count is known. */
  totalRequests: number | null;
  /** Every stage's count is exact. */
  totalExact: boolean;
  /** The stop rules that apply, in words. */
  stopRules: string;
}

/** Sends counted through a schedule at most; a longer stage's count is taken as unbounded by the count check. */
const MAX_COUNTED = 10_000_000;

/**
 * Plans `load` as `runScenario` would, with its stop rules and `numRequests` measured requests per stage. `checkSeed`
 * stands in for the run's own arrival seed when the config pins none; it never shows in the plan.
 */
export function planLoadOf(load: Load, stop: StopRules | undefined, numRequests: number | undefined, warmupRequests: number, checkSeed: number, trace?: TraceClock): LoadPlan {
  const pinned = 'seed' in load && load.seed !== undefined ? load.seed : null;
  const judge = (): never => {
    throw new Error('a capacity search is not run by check');
  };
  const planner = planLoad(load, { seed: checkSeed, numRequests, judge, trace });
  const random = planner.seed !== undefined;
  const hide = (text: string): string => (random && pinned === null ? text.replaceAll(`seed ${checkSeed}`, 'a fresh seed each run') : text);
  const traceSpanS = load.type === 'trace' && trace && trace.count > 0 ? trace.atS(Math.min(trace.count, numRequests ?? Infinity) - 1) / load.speedup : undefined;
  const spans = 'stages' in load && load.stages ? load.stages.map((s) => s.duration) : ['duration' in load ? load.duration : traceSpanS];
  const stages = planner.stages ? planner.stages.map((p, k) => plannedStage(p, spans[k], numRequests, random && pinned === null, hide)) : null;
  const known = stages !== null && stages.every((s) => s.requests !== null);
  const rules = stopRulesOf(stop, load);
  return {
    type: load.type,
    description: hide(planner.description),
    arrivals: arrivalsOf(planner.stages?.[0], load, pinned),
    seed: pinned,
    warmupRequests,
    stages,
    totalRequests: known ? stages.reduce((n, s) => n + s.requests!, 0) : null,
    totalExact: known && stages.every((s) => s.exact),
    stopRules: rules
      ? `on: a stage ends when its error rate passes ${Number((rules.errorRate * 100).toFixed(4))}% or its ${rules.latencyMetric} p95 passes ${rules.latencyP95Ms / 1000} s (after ${rules.minRequests} requests)`
      : 'off: every stage runs whatever its latency',
  };
}

/** One stage with the requests it sends. */
function plannedStage(p: StagePlan, spanS: number | undefined, numRequests: number | undefined, unknownSeed: boolean, hide: (t: string) => string): PlannedStage {
  const timeBound = p.durationMs !== null;
  const base = {
    label: p.label,
    description: hide(p.description),
    rate: p.offered.rate,
    concurrency: p.offered.concurrency,
    durationS: timeBound ? p.durationMs! / 1000 : p.schedule.kind === 'open' ? (spanS ?? null) : null,
    timeBound,
    pauseBeforeS: (p.pauseBeforeMs ?? 0) / 1000,
    maxRequests: p.maxRequests,
  };
  return { ...base, ...requestsOf(p, numRequests, unknownSeed) };
}

/** The requests a stage sends, by the runner's rules. */
function requestsOf(p: StagePlan, numRequests: number | undefined, unknownSeed: boolean): Pick<PlannedStage, 'requests' | 'exact' | 'basis'> {
  const { durationMs, maxRequests, schedule } = p;
  // A stage bounded by a count alone sends it: num_requests, or the count its arrival process fixes.
  const counted = maxRequests === (numRequests ?? null) ? 'num_requests' : p.schedule.kind === 'open' && p.offered.rate === null ? "the trace's requests in its window; the stage waits for every one" : 'fixed by the arrival process; the stage waits for every one';
  if (durationMs === null) return { requests: maxRequests, exact: true, basis: counted };
  if (schedule.kind === 'closed') {
    if (maxRequests === null) return { requests: null, exact: false, basis: `as many as finish in ${durationMs / 1000} s: set by the server's latency` };
    return { requests: maxRequests, exact: false, basis: `at most ${maxRequests}: fewer if ${durationMs / 1000} s pass first` };
  }
  const bound = Math.min(maxRequests ?? MAX_COUNTED, MAX_COUNTED);
  if (unknownSeed) {
    // Random arrival times drawn per run: the count varies around the mean rate times the duration.
    const mean = Math.round(((schedule.offeredRate ?? 0) * durationMs) / 1000);
    const capped = Math.min(mean, bound);
    return { requests: capped, exact: false, basis: `about rate × duration${capped < mean ? `, at most ${bound}` : ''}: random arrivals, drawn each run` };
  }
  let n = 0;
  const offsets = schedule.offsets();
  while (n < bound) {
    const next = offsets.next();
    if (next.done || next.value >= durationMs) break;
    n++;
  }
  const why = n === maxRequests ? counted : `the schedule's sends due in ${durationMs / 1000} s`;
  return { requests: n, exact: true, basis: why };
}

/** The arrival generator in words: the open-loop process by its registry key, or the closed loop's rule. */
function arrivalsOf(first: StagePlan | undefined, load: Load, pinned: number | null): string {
  const seedOf = (seeded: boolean): string => (!seeded ? '' : pinned === null ? ', a fresh seed each run' : `, seed ${pinned}`);
  if (load.type === 'constant' || load.type === 'poisson' || load.type === 'gamma') {
    const key = arrivalKeyOf(load);
    const process = ARRIVALS[key];
    const shape = process.shape({ rate: 0, seed: 0, durationS: null, ...(load.type === 'gamma' ? { burstiness: load.burstiness } : {}) });
    return `${shape}${seedOf(process.seeded)} (generator ${key}, open loop); at most ${load.max_in_flight} in flight`;
  }
  if (load.type === 'trace' && first?.schedule.kind === 'open') {
    const n = first.maxRequests ?? 0;
    const spanS = first.schedule.offsets();
    let last = 0;
    for (let k = 0; k < n; k++) last = spanS.next().value as number;
    return `the trace's own times at ${load.speedup}x speed: ${n} requests over ${(last / 1000).toFixed(1)} s (generator trace, open loop); at most ${load.max_in_flight} in flight`;
  }
  if (load.type === 'search') {
    return load.over === 'rate' ? `${load.arrival} arrivals at each probed rate${seedOf(load.arrival !== 'constant')} (open loop)` : 'each probed concurrency (closed loop)';
  }
  if (first?.schedule.kind !== 'closed') return 'none';
  const s = first.schedule;
  const think = s.thinkMs ? `, ${s.thinkMs / 1000} s think time` : '';
  return s.spawn ? `closed loop: users started at ${s.spawn.perSecond}/s from ${s.spawn.start}${think}` : `closed loop: a request starts as one finishes${think}`;
}
