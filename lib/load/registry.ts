import type { z } from 'zod';
import { type Load, LoadSchema } from '../config/schema/load.ts';
import { gammaOffsets, poissonOffsets } from './arrivals.ts';
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
}

type OpenLoad = Extract<LoadConfig, { type: 'constant' | 'poisson' | 'gamma' }>;

/** An open-loop schedule of one rate, for an arrival process. */
export function openSchedule(
  arrival: { type: 'constant' } | { type: 'poisson' } | { type: 'gamma'; burstiness: number },
  rate: number,
  maxInFlight: number,
  seed: number,
): OpenLoopSchedule {
  switch (arrival.type) {
    case 'constant':
      return {
        kind: 'open',
        offeredRate: rate,
        maxInFlight,
        description: `${rate} requests/s, evenly spaced (open loop)`,
        *offsets() {
          // Multiply rather than accumulate, so float error does not drift over a long run.
          const gap = 1000 / rate;
          for (let i = 0; ; i++) yield i * gap;
        },
      };
    case 'poisson':
      return {
        kind: 'open',
        offeredRate: rate,
        maxInFlight,
        seed,
        description: `${rate} requests/s, Poisson arrivals, seed ${seed} (open loop)`,
        offsets: () => poissonOffsets(rate, seed),
      };
    case 'gamma':
      return {
        kind: 'open',
        offeredRate: rate,
        maxInFlight,
        seed,
        description: `${rate} requests/s, gamma arrivals with burstiness ${arrival.burstiness}, seed ${seed} (open loop)`,
        offsets: () => gammaOffsets(rate, arrival.burstiness, seed),
      };
  }
}

/** A closed-loop schedule of `concurrency` requests in flight. */
export function closedSchedule(concurrency: number): Schedule {
  return { kind: 'closed', concurrency, description: `concurrency ${concurrency} (closed loop)` };
}

const forSeconds = (s: number | undefined): string => (s === undefined ? '' : ` for ${s} s`);

/** A stage of one schedule, bounded by the scenario's request count and/or a duration. */
function stage(label: string, schedule: Schedule, numRequests: number | undefined, durationS: number | undefined, drainS: number): StagePlan {
  return {
    label,
    description: schedule.description + forSeconds(durationS),
    schedule,
    maxRequests: numRequests ?? null,
    durationMs: durationS === undefined ? null : durationS * 1000,
    drainMs: drainS * 1000,
    offered: {
      rate: schedule.kind === 'open' ? schedule.offeredRate : null,
      concurrency: schedule.kind === 'closed' ? schedule.concurrency : null,
    },
  };
}

/** Open loop at one rate or in stages. Stage k of a random arrival process is seeded with seed + k, so stages differ. */
function openPlanner(cfg: OpenLoad, ctx: ScheduleContext): StagePlanner {
  const seed = cfg.type === 'constant' ? undefined : (cfg.seed ?? ctx.seed);
  const make = (rate: number, k: number): OpenLoopSchedule => openSchedule(cfg, rate, cfg.max_in_flight, (seed ?? 0) + k);
  if (cfg.stages) {
    const stages = cfg.stages.map((s, k) => stage(`rate ${s.rate}/s`, make(s.rate, k), ctx.numRequests, s.duration, cfg.drain_timeout));
    const shape = cfg.type === 'constant' ? 'evenly spaced' : cfg.type === 'poisson' ? 'Poisson arrivals' : `gamma arrivals (burstiness ${cfg.burstiness})`;
    const list = cfg.stages.map((s) => `${s.rate}/s × ${s.duration} s`).join(', ');
    return fixedPlanner(`${cfg.stages.length} stages: ${list}; ${shape}${seed === undefined ? '' : `, seed ${seed}`} (open loop)`, stages, seed);
  }
  const s = make(cfg.rate!, 0);
  return fixedPlanner(s.description + forSeconds(cfg.duration), [stage(`rate ${cfg.rate}/s`, s, ctx.numRequests, cfg.duration, cfg.drain_timeout)], seed);
}

type Factory<T extends LoadConfig['type']> = (cfg: Extract<LoadConfig, { type: T }>, ctx: ScheduleContext) => StagePlanner;

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
      `sweep over concurrency ${cfg.concurrency.join(', ')}${cfg.duration === undefined ? '' : `, ${cfg.duration} s each`} (closed loop)`,
      cfg.concurrency.map((c) => stage(`concurrency ${c}`, closedSchedule(c), ctx.numRequests, cfg.duration, cfg.drain_timeout)),
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
  search: (cfg, ctx) => {
    if (!ctx.judge) throw new TypeError('a search load needs a trial judge (the scenario\'s SLO)');
    const seed = cfg.seed ?? ctx.seed;
    return searchPlanner(cfg, {
      judge: ctx.judge,
      seed,
      stageAt(value, trial, k) {
        const schedule = cfg.over === 'rate' ? openSchedule({ type: cfg.arrival }, value, cfg.max_in_flight, seed + k) : closedSchedule(value);
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
