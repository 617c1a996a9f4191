import { gammaOffsets, poissonOffsets } from './arrivals.ts';
import type { Schedule } from './schedule.ts';

/** Config of the load shapes, mirroring `lib/config/schema/load.ts` (the `type` literal is the registry key). */
export type LoadConfig =
  | { type: 'concurrency'; concurrency: number }
  | { type: 'constant'; rate: number; max_in_flight: number }
  | { type: 'poisson'; rate: number; max_in_flight: number; seed?: number }
  | { type: 'gamma'; rate: number; burstiness: number; max_in_flight: number; seed?: number };

/** What a schedule may need besides its config: the seed to use when the config sets none. */
export interface ScheduleContext {
  seed: number;
}

type Factory<T extends LoadConfig['type']> = (cfg: Extract<LoadConfig, { type: T }>, ctx: ScheduleContext) => Schedule;

/** Schedule factories keyed by the same literal as the config's `load.type`. */
export const SCHEDULES: { [T in LoadConfig['type']]: Factory<T> } = {
  concurrency: (cfg) => ({
    kind: 'closed',
    concurrency: cfg.concurrency,
    description: `concurrency ${cfg.concurrency} (closed loop)`,
  }),
  constant: (cfg) => ({
    kind: 'open',
    offeredRate: cfg.rate,
    maxInFlight: cfg.max_in_flight,
    description: `${cfg.rate} requests/s, evenly spaced (open loop)`,
    *offsets() {
      // Multiply rather than accumulate, so float error does not drift over a long run.
      const gap = 1000 / cfg.rate;
      for (let i = 0; ; i++) yield i * gap;
    },
  }),
  poisson: (cfg, ctx) => {
    const seed = cfg.seed ?? ctx.seed;
    return {
      kind: 'open',
      offeredRate: cfg.rate,
      maxInFlight: cfg.max_in_flight,
      seed,
      description: `${cfg.rate} requests/s, Poisson arrivals, seed ${seed} (open loop)`,
      offsets: () => poissonOffsets(cfg.rate, seed),
    };
  },
  gamma: (cfg, ctx) => {
    const seed = cfg.seed ?? ctx.seed;
    return {
      kind: 'open',
      offeredRate: cfg.rate,
      maxInFlight: cfg.max_in_flight,
      seed,
      description: `${cfg.rate} requests/s, gamma arrivals with burstiness ${cfg.burstiness}, seed ${seed} (open loop)`,
      offsets: () => gammaOffsets(cfg.rate, cfg.burstiness, seed),
    };
  },
};

/** The schedule for a load config; `ctx.seed` seeds random arrivals whose config sets no seed. */
export function createSchedule(cfg: LoadConfig, ctx: ScheduleContext = { seed: 0 }): Schedule {
  return (SCHEDULES[cfg.type] as Factory<typeof cfg.type>)(cfg as never, ctx);
}
