/**
 * When requests are sent. A schedule is pure: it only says when each request is intended to go
 * (open loop) or how many may be in flight (closed loop); the runner does the sending and
 * measures how late it was against these intended times.
 */
export type Schedule = ClosedLoopSchedule | OpenLoopSchedule;

/** Closed loop: a fixed number of requests in flight; each one's intended time is when its slot freed. */
export interface ClosedLoopSchedule {
  readonly kind: 'closed';
  /** Requests in flight at once (with `spawn`: once every user has started). */
  readonly concurrency: number;
  /**
   * Users started over time (a Locust ramp): `start` at once, then one every `1000 / perSecond`
   * ms until `concurrency`. A spawned user's first intended time is its scheduled start.
   */
  readonly spawn?: {
    start: number;
    perSecond: number;
    /** Shift of every spawn from its default time (one gap after the start, then every gap), ms (<= 0): a pod's spawns in a split ramp (`lib/distributed/split.ts`). */
    phaseMs?: number;
  };
  /** A user's wait after an answer before its next request, ms (default 0); its intended time is the end of the wait. */
  readonly thinkMs?: number;
  /** One line for reports, e.g. `concurrency 8 (closed loop)`. */
  readonly description: string;
}

/** Open loop: requests go at intended times regardless of how many are still in flight. */
export interface OpenLoopSchedule {
  readonly kind: 'open';
  /**
   * Intended send times of requests 0, 1, 2, ... in ms after the start of the measured phase,
   * non-decreasing. Generated lazily so long runs cost no memory.
   */
  offsets(): Iterator<number>;
  /** Offered rate in requests/s (for achieved-vs-offered reporting), null if it varies. */
  readonly offeredRate: number | null;
  /** Bound on requests in flight; when reached, sending waits (and the lag shows it). */
  readonly maxInFlight: number;
  /** Seed of random arrivals (Poisson, gamma), for the report; absent for deterministic shapes. */
  readonly seed?: number;
  readonly description: string;
}
