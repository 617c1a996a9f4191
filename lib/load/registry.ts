import type { Schedule } from './schedule.ts';

/** Config of the load shapes, mirroring `lib/config/schema/load.ts` (the `type` literal is the registry key). */
export type LoadConfig =
  | { type: 'concurrency'; concurrency: number }
  | { type: 'constant'; rate: number; max_in_flight: number };

type Factory<T extends LoadConfig['type']> = (cfg: Extract<LoadConfig, { type: T }>) => Schedule;

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
};

/** The schedule for a load config. */
export function createSchedule(cfg: LoadConfig): Schedule {
  return (SCHEDULES[cfg.type] as Factory<typeof cfg.type>)(cfg as never);
}
