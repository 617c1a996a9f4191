import type { z } from 'zod';
import { type Load, LoadSchema } from '../config/schema/load.ts';
import { ARRIVALS, type ArrivalKey, type ArrivalParams } from './arrival-processes.ts';
import type { OpenLoopSchedule, Schedule } from './schedule.ts';
import { searchPlanner, type TrialJudge } from './search.ts';
import { fixedPlanner, type StagePlan, type StagePlanner } from './stage.ts';

/** A load config with defaults filled in (the schema's output); the `type` literal is the registry key. */
export type LoadConfig = Load;
/** A load config as written (defaults optional); `planLoad` validates it. */
export type LoadConfigInput = z.input<typeof LoadSchema>;

/** What a planner may need besides its config. */
export interface ScheduleContext {
  /** Seed of random arrivals when the config sets none. */
  seed: number;
  /** Measured requests per stage (the scenario's `num_requests`), when set. */
  numRequests?: number | undefined;
  /** Judges a finished search trial (SLO met, run valid); needed by `search` loads only. */
  judge?: TrialJudge;
  /** The replayed trace's request times (the data source's `timing`); needed by `trace` loads only. */
  trace?: TraceClock | undefined;
}

/** When a replayed trace sent each request, as the `trace` load needs it (`TraceTiming` of the data source). */
export interface TraceClock {
  /** Requests the replay sends. */
  readonly count: number;
  /** Seconds from the trace's first replayed request to request k, on the trace's clock. */
  atS(k: number): number;
}

type OpenLoad = Extract<LoadConfig, { type: 'constant' | 'poisson' | 'gamma' }>;

/** The arrival process of an open-loop load: its type, or inference-perf's timer of that type. */
export function arrivalKeyOf(cfg: OpenLoad): ArrivalKey {
  return cfg.type !== 'gamma' && cfg.arrivals === 'inference-perf' ? `inference-perf-${cfg.type}` : cfg.type;
}

/** An open-loop schedule of one rate, for an arrival process (`ARRIVALS`). */
export function openSchedule(key: ArrivalKey, p: ArrivalParams, maxInFlight: number): OpenLoopSchedule {
  const process = ARRIVALS[key];
  const requests = process.requests(p);
  return {
    kind: 'open',
    offeredRate: p.rate,
    maxInFlight,
    ...(process.seeded ? { seed: p.seed } : {}),
    description: `${p.rate} requests/s, ${process.shape(p)}${requests === null ? '' : `: ${requests} requests`}${process.seeded ? `, seed ${p.seed}` : ''} (open loop)`,
    offsets: () => process.offsets(p),
  };
}

/** A closed-loop schedule of `concurrency` requests in flight. */
export function closedSchedule(concurrency: number): Schedule {
  return { kind: 'closed', concurrency, description: `concurrency ${concurrency} (closed loop)` };
}

const forSeconds = (s: number | undefined): string => (s === undefined ? '' : ` for ${s} s`);

/**
 * A stage of one schedule, bounded by the scenario's request count and/or a duration; or, for an
 * arrival process that fixes the count (`fixed`), by that count (and the scenario's if lower)
 * alone: it sends them all and waits for every one.
 */
function stage(label: string, schedule: Schedule, numRequests: number | undefined, durationS: number | undefined, drainS: number, fixed: number | null = null): StagePlan {
  const count = fixed === null ? (numRequests ?? null) : Math.min(fixed, numRequests ?? Infinity);
  return {
    label,
    description: schedule.description + forSeconds(fixed === null ? durationS : undefined),
    schedule,
    maxRequests: count,
    durationMs: durationS === undefined || fixed !== null ? null : durationS * 1000,
    drainMs: drainS * 1000,
    offered: {
      rate: schedule.kind === 'open' ? schedule.offeredRate : null,
      concurrency: schedule.kind === 'closed' ? schedule.concurrency : null,
    },
  };
}

/** ` after a pause of 2 s` for a stage `pauseS` follows, as its description says it. */
const pausedFor = (pauseS: number): string => (pauseS > 0 ? `, after an idle pause of ${pauseS} s` : '');

/** Stages after the first get the load's idle pause before them (`StagePlan.pauseBeforeMs`). */
function withPauses(stages: StagePlan[], pauseS: number | undefined): StagePlan[] {
  if (!pauseS) return stages;
  return stages.map((s, k) => (k === 0 ? s : { ...s, description: s.description + pausedFor(pauseS), pauseBeforeMs: pauseS * 1000 }));
}

/** `; 1 s idle pause between stages` for a planner's description. */
const pauseNote = (pauseS: number | undefined, stages: number): string => (pauseS && stages > 1 ? `, ${pauseS} s idle pause between stages` : '');

/**
 * Open loop at one rate or in stages, with the load's arrival process (`ARRIVALS`). Stage k of a
 * random process is seeded with seed + k, so stages differ.
 */
function openPlanner(cfg: OpenLoad, ctx: ScheduleContext): StagePlanner {
  const key = arrivalKeyOf(cfg);
  const process = ARRIVALS[key];
  const seed = process.seeded ? (cfg.seed ?? ctx.seed) : undefined;
  const burst = cfg.type === 'gamma' ? { burstiness: cfg.burstiness } : {};
  const make = (rate: number, durationS: number | undefined, k: number): StagePlan => {
    const p: ArrivalParams = { rate, seed: (seed ?? 0) + k, durationS: durationS ?? null, ...burst };
    return stage(`rate ${rate}/s`, openSchedule(key, p, cfg.max_in_flight), ctx.numRequests, durationS, cfg.drain_timeout, durationS === undefined ? null : process.requests(p));
  };
  const shape = process.shape({ rate: 0, seed: 0, durationS: null, ...burst });
  if (cfg.stages) {
    const stages = withPauses(cfg.stages.map((s, k) => make(s.rate, s.duration, k)), cfg.pause);
    const list = cfg.stages.map((s) => `${s.rate}/s × ${s.duration} s`).join(', ');
    return fixedPlanner(`${cfg.stages.length} stage${cfg.stages.length === 1 ? '' : 's'}: ${list}; ${shape}${seed === undefined ? '' : `, seed ${seed}`}${pauseNote(cfg.pause, cfg.stages.length)} (open loop)`, stages, seed);
  }
  const only = make(cfg.rate!, cfg.duration, 0);
  return fixedPlanner(only.description, [only], seed);
}

type Factory<T extends LoadConfig['type']> = (cfg: Extract<LoadConfig, { type: T }>, ctx: ScheduleContext) => StagePlanner;

/**
 * The open-loop schedule of a trace replay's first `count` requests: request k due `atS(k) * 1000 / speedup` ms after the
 * stage starts, so the runner's schedule lag is the lag behind the trace's own timestamps.
 */
export function traceSchedule(trace: TraceClock, speedup: number, maxInFlight: number, count = trace.count): OpenLoopSchedule {
  const n = Math.min(count, trace.count);
  const spanS = n > 0 ? trace.atS(n - 1) : 0;
  return {
    kind: 'open',
    offeredRate: null,
    maxInFlight,
    description: `trace replay: ${n} requests over ${(spanS / speedup).toFixed(1)} s (${spanS.toFixed(1)} s of trace at ${speedup}x speed) (open loop)`,
    *offsets() {
      for (let k = 0; k < n; k++) yield (trace.atS(k) * 1000) / speedup;
    },
  };
}

/** Planner factories keyed by the same literal as the config's `load.type`. */
export const SCHEDULES: { [T in LoadConfig['type']]: Factory<T> } = {
  concurrency: (cfg, ctx) => {
    const s = closedSchedule(cfg.concurrency);
    return fixedPlanner(s.description + forSeconds(cfg.duration), [
      stage(`concurrency ${cfg.concurrency}`, s, ctx.numRequests, cfg.duration, cfg.drain_timeout),
    ]);
  },
  constant: openPlanner,
  poisson: openPlanner,
  gamma: openPlanner,
  sweep: (cfg, ctx) =>
    fixedPlanner(
      `sweep over concurrency ${cfg.concurrency.join(', ')}${cfg.duration === undefined ? '' : `, ${cfg.duration} s each`}${pauseNote(cfg.pause, cfg.concurrency.length)} (closed loop)`,
      withPauses(cfg.concurrency.map((c) => stage(`concurrency ${c}`, closedSchedule(c), ctx.numRequests, cfg.duration, cfg.drain_timeout)), cfg.pause),
    ),
  users: (cfg, ctx) => {
    const rampMs = ((cfg.users - cfg.start_users) / cfg.spawn_rate) * 1000;
    const thinkMs = cfg.think_time * 1000;
    const schedule: Schedule = {
      kind: 'closed',
      concurrency: cfg.users,
      spawn: { start: cfg.start_users, perSecond: cfg.spawn_rate },
      ...(thinkMs > 0 ? { thinkMs } : {}),
      description: `${cfg.start_users} → ${cfg.users} users at ${cfg.spawn_rate} users/s, then ${cfg.users} users for ${cfg.duration} s${thinkMs > 0 ? `, think time ${cfg.think_time} s` : ''} (closed loop)`,
    };
    const sustained = { label: `${cfg.users} users`, description: `${cfg.users} users for ${cfg.duration} s (sustained)`, untilMs: Infinity, offered: { rate: null, concurrency: cfg.users } };
    const phases =
      rampMs > 0
        ? [{ label: `ramp ${cfg.start_users}→${cfg.users} users`, description: `${cfg.start_users} → ${cfg.users} users at ${cfg.spawn_rate} users/s`, untilMs: rampMs, offered: { rate: null, concurrency: null } }, sustained]
        : [sustained];
    return fixedPlanner(schedule.description, [
      {
        label: `${cfg.users} users`,
        description: schedule.description,
        schedule,
        maxRequests: ctx.numRequests ?? null,
        durationMs: rampMs + cfg.duration * 1000,
        drainMs: cfg.drain_timeout * 1000,
        offered: { rate: null, concurrency: cfg.users },
        phases,
      },
    ]);
  },
  trace: (cfg, ctx) => {
    if (!ctx.trace) throw new TypeError("load.type: trace: no trace times given to plan from (they come from a data.type: trace source's timing)");
    const count = Math.min(ctx.trace.count, ctx.numRequests ?? Infinity);
    const schedule = traceSchedule(ctx.trace, cfg.speedup, cfg.max_in_flight, count);
    return fixedPlanner(schedule.description, [
      { label: `trace ${cfg.speedup}x`, description: schedule.description, schedule, maxRequests: count, durationMs: null, drainMs: 0, offered: { rate: null, concurrency: null } },
    ]);
  },
  search: (cfg, ctx) => {
    if (!ctx.judge) throw new TypeError('a search load needs a trial judge (the scenario\'s SLO)');
    const seed = cfg.seed ?? ctx.seed;
    return searchPlanner(cfg, {
      judge: ctx.judge,
      seed,
      stageAt(value, trial, k) {
        const schedule = cfg.over === 'rate' ? openSchedule(cfg.arrival, { rate: value, seed: seed + k, durationS: cfg.duration ?? null }, cfg.max_in_flight) : closedSchedule(value);
        const label = cfg.over === 'rate' ? `rate ${value}/s` : `concurrency ${value}`;
        return { ...stage(label, schedule, ctx.numRequests, cfg.duration, cfg.drain_timeout), probe: { value, trial } };
      },
    });
  },
};

/** The stage planner of a load config; `ctx.seed` seeds random arrivals whose config sets no seed. */
export function planLoad(input: LoadConfigInput, ctx: ScheduleContext = { seed: 0 }): StagePlanner {
  const cfg = LoadSchema.parse(input);
  return (SCHEDULES[cfg.type] as Factory<typeof cfg.type>)(cfg as never, ctx);
}

/** The schedule of a single-stage load config (its only stage). */
export function createSchedule(cfg: LoadConfigInput, ctx: ScheduleContext = { seed: 0 }): Schedule {
  const first = planLoad(cfg, ctx).next([]);
  if (!first || first instanceof Promise) throw new TypeError(`createSchedule: a ${cfg.type} load has no single schedule`);
  return first.schedule;
}
