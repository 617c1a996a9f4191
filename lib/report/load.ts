/**
 * Report sections a load produces: the stop rule that ended a stage, the measuring thread's
 * stalls, the knee of a concurrency sweep and what a capacity search found. The load room
 * (`lib/load`) computes them and returns them in these shapes.
 */

/** One level of a concurrency sweep and the throughput it reached. */
export interface SweepPoint {
  /** Stage label, e.g. `concurrency 10`. */
  label: string;
  concurrency: number;
  /** Successful output tokens/s (requests/s when no token counts), null without successful requests. */
  throughput: number | null;
}

/** Where throughput stops growing in a sweep, with the evidence. */
export interface Knee {
  /** What `throughput` counts. */
  unit: 'output tokens/s' | 'requests/s';
  /** Lowest level within `tolerance` of the best throughput; null without any throughput. */
  concurrency: number | null;
  throughput: number | null;
  /** Best throughput of the sweep, and where. */
  best: { concurrency: number; throughput: number } | null;
  /** True when at least one level above the knee was run and added less than the tolerance: a plateau seen, not assumed. */
  plateau: boolean;
  tolerance: number;
  /** Each level's throughput, its gain over the previous level, and its share of the best. */
  points: Array<SweepPoint & { gain: number | null; ofBest: number | null }>;
  conclusion: string;
}

/** One probe point of a capacity search: its trials and whether all passed. */
export interface CapacityProbe {
  value: number;
  passed: boolean;
  /** Trials that count, in order. */
  trials: Array<{ stage: number; passed: boolean; reasons: string[] }>;
  /** Trials run again because the client could not measure truthfully, with why. */
  rerun: Array<{ stage: number; reasons: string[] }>;
}

/** What a capacity search found, with its evidence. */
export interface CapacityResult {
  over: 'rate' | 'concurrency';
  /** Highest value that passed every trial; null when even `low` failed. */
  value: number | null;
  /** Highest passing and lowest failing value probed (the capacity lies between them). */
  bracket: { passing: number | null; failing: number | null };
  /** Every probe, in the order run. */
  probes: CapacityProbe[];
  /** One sentence: what was found, or why the search could not bracket the capacity. */
  conclusion: string;
}

/** Which stop rule ended a stage, and the evidence. */
export interface StopRuleHit {
  rule: 'error_rate' | 'latency_p95';
  /** e.g. `error rate 7.5% of 40 finished requests > 5%`. */
  detail: string;
}

/**
 * A period in which the measuring thread ran none of its callbacks: its event loop was blocked
 * (a long synchronous task, a garbage-collection pause) or the thread waited for a CPU. Every
 * timestamp taken in the process is taken on that thread, so a chunk that arrived meanwhile is
 * timestamped late by up to the stall. Times are `performance.now()` ms.
 */
export interface Stall {
  /** Last moment the thread was seen running before it. */
  start: number;
  /** First moment it was seen running again. */
  end: number;
  /** Of the stall, time the thread spent runnable but waiting for a CPU (Linux schedstat), ms; null where not readable. */
  runQueueMs: number | null;
}

/** A request's mark: the longest stall its measured interval overlapped by more than the limit. */
export interface RequestStall {
  /** The stall's start, `performance.now()` ms. */
  start: number;
  /** Its length, ms. */
  ms: number;
  /** Of it, time spent waiting for a CPU, ms; null where not readable. */
  runQueueMs: number | null;
}

/** What a run (or a stage) saw of the measuring thread's stalls. */
export interface StallSummary {
  /** Stalls longer than the limit. */
  count: number;
  /** The longest, ms (0 with none). */
  longestMs: number;
  /** The limit a stall had to pass to count, ms. */
  limitMs: number;
  /** Whether the run-queue wait was readable (Linux `/proc/thread-self/schedstat`). */
  schedstat: boolean;
}
