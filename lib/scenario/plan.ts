/**
 * The plan of one scenario, made without sending a request and from the code a run uses: the
 * stages of its stage planner (`plan-load.ts`), its data source and a sample of its prompts
 * (`plan-data.ts`), the SLO the test asserts (`resolveScenarioSlo`, as the `bench` fixture does),
 * and the API and streaming the requests use. `vitest-llm-d check` prints it.
 */
import type { TimeoutsMs } from '../http/target.ts';
import { timeoutsMs } from './open.ts';
import type { SloProfileDef } from '../config/schema/slo.ts';
import type { Scenario } from '../config/schema/scenario.ts';
import type { TokenizerOption } from '../data/index.ts';
import { limitName } from '../slo/evaluate.ts';
import { DEFAULT_MAX_STALLED_SHARE, NOT_MEASURABLE_NON_STREAMING, STREAMED_ONLY } from '../slo/profile.ts';
import { resolveScenarioSlo } from '../slo/resolve.ts';
import { planData, type DataPlan } from './plan-data.ts';
import { planLoadOf, type LoadPlan } from './plan-load.ts';
import { seedOf } from './run-scenario.ts';

export type { DataPlan, LengthStats } from './plan-data.ts';
export type { LoadPlan, PlannedStage } from './plan-load.ts';

/** The SLO a test asserts with `toMeetSLO()`: the scenario's profile and limits, and the floors. */
export interface SloPlan {
  profile: string;
  description: string;
  /** Where the numbers come from. */
  source: string;
  limits: Array<{
    /** e.g. `TTFT p95`. */
    name: string;
    metric: string;
    stat: string;
    max: number;
    unit: string;
    /** False when the run cannot measure the metric (streamed-only metrics of a non-streaming workload). */
    judged: boolean;
    /** Why it is not judged. */
    note?: string;
  }>;
  /** Successful / measured requests must be at least this. */
  minSuccessRate: number;
  /** Schedule lag p99 above this (ms) marks the run invalid. */
  maxScheduleLagP99Ms: number;
  /** A larger share of requests overlapping a client stall longer than that marks the run invalid. */
  maxStalledShare: number;
}

function seconds(t: TimeoutsMs): ScenarioPlan['timeouts'] {
  return { connectS: t.connect / 1000, firstTokenS: t.firstToken / 1000, idleS: t.idle / 1000, totalS: t.total / 1000 };
}

/** The plan of one scenario. */
export interface ScenarioPlan {
  name: string;
  description: string | null;
  /** API the requests use: the scenario's, else the target's default. */
  api: 'completions' | 'chat';
  stream: boolean;
  /** Measured requests per stage from the config (`num_requests`), or null. */
  numRequests: number | null;
  load: LoadPlan;
  data: DataPlan;
  slo: SloPlan;
  /** A request's time limits, s: the scenario's over the defaults (a target's own `timeouts` lie between them in a run). */
  timeouts: { connectS: number; firstTokenS: number; idleS: number; totalS: number };
  /** How long a time-bound stage awaits its requests in flight before cutting them, s; null when the load has none. */
  drainS: number | null;
}

/** What a scenario's plan needs besides the scenario. */
export interface PlanContext {
  /** The suite the scenario runs in (seeds are derived from it, as in a run). */
  suite: string;
  /** The scenario file's `slo_profiles`. */
  sloProfiles: Record<string, SloProfileDef>;
  /** The file as named in messages. */
  source: string;
  /** The target's model, when known without connecting. */
  model: string | null;
  /** The target's tokenizer option. */
  tokenizer: TokenizerOption;
  /** The target's default API. */
  defaultApi: 'completions' | 'chat';
  /** Prompts to sample. */
  sample: number;
}

/**
 * Plans scenario `name`. Throws `ConfigError` (an unknown SLO limit) or `DataError` (a data
 * source that cannot be built, such as a missing dataset file), as the run would before sending.
 */
export async function planScenario(name: string, sc: Scenario, ctx: PlanContext): Promise<ScenarioPlan> {
  const slo = resolveScenarioSlo(sc.slo, ctx.sloProfiles, ctx.source);
  const profile = slo.profiles[0]!;
  // Stand-ins for the seeds a run derives from its time stamp; a config seed replaces either.
  const checkSeed = seedOf(`check/${ctx.suite}/${name}`);
  const api = sc.api ?? ctx.defaultApi;
  const dataCtx = { model: ctx.model, tokenizer: ctx.tokenizer, api, warmupRequests: sc.warmup_requests, checkSeed };
  const arrivalSeed = seedOf(`check/${ctx.suite}/${name}/arrivals`);
  let load: LoadPlan;
  let data: DataPlan;
  if (sc.load.type === 'trace') {
    // A trace load's schedule is the trace's times: the data source is read first.
    data = await planData(sc.data, { ...dataCtx, sample: Math.min(ctx.sample, sc.num_requests ?? Infinity) });
    load = planLoadOf(sc.load, sc.stop, sc.num_requests, sc.warmup_requests, arrivalSeed, data.timing ?? undefined);
  } else {
    load = planLoadOf(sc.load, sc.stop, sc.num_requests, sc.warmup_requests, arrivalSeed);
    // No more prompts than the run sends: a dataset's source says when prompts repeat, which a larger sample would cause.
    data = await planData(sc.data, { ...dataCtx, sample: Math.min(ctx.sample, load.totalRequests ?? Infinity), plannedRequests: load.totalRequests });
  }
  return {
    name,
    description: sc.description ?? null,
    api,
    stream: sc.stream,
    numRequests: sc.num_requests ?? null,
    load,
    data,
    timeouts: seconds(timeoutsMs(sc.timeouts)),
    drainS: 'drain_timeout' in sc.load ? sc.load.drain_timeout : null,
    slo: {
      profile: profile.name,
      description: profile.description,
      source: profile.source,
      limits: profile.limits.map((l) => {
        const judged = sc.stream || !STREAMED_ONLY.has(l.metric);
        return { name: limitName(l), metric: l.metric, stat: l.stat, max: l.max, unit: l.unit, judged, ...(judged ? {} : { note: NOT_MEASURABLE_NON_STREAMING }) };
      }),
      minSuccessRate: slo.floors.minSuccessRate,
      maxScheduleLagP99Ms: slo.floors.maxScheduleLagP99Ms,
      maxStalledShare: slo.floors.maxStalledShare ?? DEFAULT_MAX_STALLED_SHARE,
    },
  };
}
