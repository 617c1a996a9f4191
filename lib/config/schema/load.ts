/**
 * Load shapes: when requests are sent. One schema per shape, joined on `type`, whose literal is
 * the key of the load planner registry in `lib/load/registry.ts`. To add a shape: add its
 * schema here, add it to `LoadSchema`, and register a planner under the same literal.
 */
import { z } from 'zod';
import { timerSeconds } from './timer-limit.ts';

const maxInFlight = () =>
  z
    .number()
    .int()
    .min(1)
    .default(1000)
    .describe('Cap on requests in flight (integer >= 1, default 1000). When reached, sends wait and the wait shows as schedule lag.');

const arrivalSeed = () =>
  z
    .number()
    .int()
    .optional()
    .describe('Seed of the arrival times. Default: a fresh one per run (recorded in the report); set it to repeat a schedule exactly.');

/** Seconds, > 0 (and a timer's at most). */
const seconds = (what: string) => timerSeconds(z.number().positive()).describe(what);

/** How long a duration-bounded stage waits for its requests in flight before cutting them. */
const drainTimeout = () =>
  timerSeconds(z.number().min(0))
    .default(30)
    .describe(
      'Seconds a duration-bounded stage waits for its requests still in flight when its time is up (>= 0, default 30); requests still running then are cut, counted as cut (not failed) and left out of the statistics.',
    );

/** The idle pause between the stages of a staged load (inference-perf `load.interval`). */
const stagePause = () =>
  timerSeconds(z.number().min(0))
    .optional()
    .describe(
      "Seconds of idle pause between stages (>= 0, default 0), as inference-perf's load.interval: once a stage's last request has finished, nothing is sent for this long before the next stage starts. No stage's measurement window includes it; reports show it between the stages. Override with BENCH_PAUSE.",
    );

/** Optional duration of a single-stage load. */
const stageDuration = () =>
  seconds(
    'Seconds the stage sends for (> 0). With num_requests too, the stage ends at whichever comes first. Override with BENCH_DURATION.',
  ).optional();


/**
 * Closed loop: a fixed number of requests in flight; each finished request immediately starts
 * the next. A request's intended send time is when its slot freed.
 */
export const ConcurrencyLoadSchema = z
  .strictObject({
    type: z.literal('concurrency').describe('Closed loop: a fixed number of requests in flight.'),
    concurrency: z
      .number()
      .int()
      .min(1)
      .describe('Requests in flight at once (integer >= 1). Override with BENCH_CONCURRENCY.'),
    duration: stageDuration(),
    drain_timeout: drainTimeout(),
  })
  .describe('Closed-loop load: `concurrency` requests in flight at all times.');

/** Closed-loop load. */
export type ConcurrencyLoad = z.output<typeof ConcurrencyLoadSchema>;

/** One stage of an open-loop load: a rate held for a duration (inference-perf `load.stages`). */
export const RateStageSchema = z
  .strictObject({
    rate: z.number().positive().describe('Requests per second in this stage (> 0).'),
    duration: seconds('Seconds this stage lasts (> 0). Override every stage with BENCH_DURATION.'),
  })
  .describe('One stage: a rate held for a duration.');

/** One rate stage. */
export type RateStage = z.output<typeof RateStageSchema>;

/** The fields every open-loop arrival process shares: one rate, or stages of rates. */
const openLoopFields = {
  rate: z.number().positive().optional().describe('Requests per second (> 0); or give `stages`. Override with BENCH_RATE.'),
  stages: z
    .array(RateStageSchema)
    .min(1)
    .optional()
    .describe('Stages run in order, each a rate for a duration (as inference-perf); instead of `rate`. Each stage is reported on its own.'),
  duration: stageDuration(),
  max_in_flight: maxInFlight(),
  drain_timeout: drainTimeout(),
  pause: stagePause(),
};

/** `rate` xor `stages`; `duration` only with `rate` (stages carry their own); a pause only between stages. */
function checkRateOrStages(
  load: { rate?: number | undefined; stages?: unknown[] | undefined; duration?: number | undefined; pause?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((load.rate === undefined) === (load.stages === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['rate'], message: 'give either `rate` (one stage) or `stages` (a list of {rate, duration}), not both and not neither' });
  }
  if (load.stages !== undefined && load.duration !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['duration'], message: 'with `stages`, each stage has its own duration; remove the load-level `duration`' });
  }
  if (load.rate !== undefined && load.pause) {
    ctx.addIssue({ code: 'custom', path: ['pause'], message: 'a pause is held between stages, and a `rate` load has one stage: give `stages`, or remove `pause`' });
  }
}

/**
 * How the stages of a constant or Poisson load place their requests: `exact` (the process as
 * named, for the stage's duration) or `inference-perf` (its load timers, a fixed count a stage).
 */
const arrivals = (exact: string, inferencePerf: string) =>
  z
    .enum(['exact', 'inference-perf'])
    .optional()
    .describe(
      `How requests are placed in a stage. \`exact\` (default): ${exact}, sent until the stage's duration ends. ` +
        `\`inference-perf\` (the default for inference-perf files): as inference-perf's load timers, exactly int(rate × duration) requests a stage, ${inferencePerf}; ` +
        'the stage then waits for all of them to finish (drain_timeout does not apply). Override with BENCH_ARRIVALS.',
    );

/** With `arrivals: inference-perf` a stage needs a duration (its request count is int(rate × duration)). */
function checkFixedCount(load: { arrivals?: string | undefined; rate?: number | undefined; duration?: number | undefined }, ctx: z.RefinementCtx): void {
  if (load.arrivals === 'inference-perf' && load.rate !== undefined && load.duration === undefined) {
    ctx.addIssue({ code: 'custom', path: ['duration'], message: 'required with arrivals: inference-perf (a stage sends int(rate × duration) requests)' });
  }
}

/**
 * Open loop at a constant rate: requests are sent on an evenly spaced schedule whether or not
 * earlier ones have finished, so latency is measured from the intended send time too.
 */
export const ConstantLoadSchema = z
  .strictObject({
    type: z.literal('constant').describe('Open loop: requests sent at a constant rate, evenly spaced (or as inference-perf\'s constant timer).'),
    ...openLoopFields,
    arrivals: arrivals('evenly spaced, request i due at i / rate seconds', 'with exponential gaps scaled to sum to the duration (random, not evenly spaced; the last is due at the stage\'s end)'),
    seed: arrivalSeed().describe('Seed of the gaps with arrivals: inference-perf (evenly spaced arrivals draw nothing, so it is unused with exact). Default: a fresh one per run (recorded in the report).'),
  })
  .superRefine(checkRateOrStages)
  .superRefine(checkFixedCount)
  .describe('Open-loop load at a constant rate (request i of a stage is due at i / rate seconds), or stages of rates.');

/** Open-loop load at a constant rate. */
export type ConstantLoad = z.output<typeof ConstantLoadSchema>;

/** Open loop with Poisson arrivals: exponential gaps, mean rate `rate`. */
export const PoissonLoadSchema = z
  .strictObject({
    type: z.literal('poisson').describe('Open loop: Poisson arrivals (exponential gaps) at a mean rate.'),
    ...openLoopFields,
    arrivals: arrivals('a Poisson process (exponential gaps), so the request count is random', 'a Poisson(rate) count for each second spread over that second as the constant timer spreads it (the stage may end before or after its duration)'),
    seed: arrivalSeed(),
  })
  .superRefine(checkRateOrStages)
  .superRefine(checkFixedCount)
  .describe('Open-loop load with Poisson arrivals, at one rate or in stages.');

/** Open loop with gamma-distributed gaps: mean rate `rate`, coefficient of variation 1/sqrt(burstiness). */
export const GammaLoadSchema = z
  .strictObject({
    type: z.literal('gamma').describe('Open loop: gamma-distributed gaps at a mean rate, with a burstiness knob.'),
    ...openLoopFields,
    burstiness: z
      .number()
      .positive()
      .describe("Gamma shape (> 0), as vLLM's --burstiness: 1 is Poisson, below 1 burstier, above 1 more evenly spaced."),
    seed: arrivalSeed(),
  })
  .superRefine(checkRateOrStages)
  .describe('Open-loop load with gamma arrivals, at one rate or in stages.');

/** Open-loop Poisson load. */
export type PoissonLoad = z.output<typeof PoissonLoadSchema>;
/** Open-loop gamma load. */
export type GammaLoad = z.output<typeof GammaLoadSchema>;

const concurrencyLevel = () => z.number().int().min(1);

/**
 * A concurrency sweep: one closed-loop stage per level, in order, each bounded by the scenario's
 * `num_requests` and/or `duration`. Stop rules end the sweep at the first level that breaks
 * them; the report gives each level's results and the knee, where throughput stops growing.
 */
export const SweepLoadSchema = z
  .strictObject({
    type: z.literal('sweep').describe('Closed loop at each concurrency level in turn; reports the knee.'),
    concurrency: z
      .array(concurrencyLevel())
      .min(1)
      .describe('Concurrency levels, one stage each, run in the order given (integers >= 1). Override with BENCH_CONCURRENCY=1,5,10.'),
    duration: seconds('Seconds each level runs (> 0); with num_requests too, a level ends at whichever comes first. Override with BENCH_DURATION.').optional(),
    drain_timeout: drainTimeout(),
    pause: stagePause(),
    knee_tolerance: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.1)
      .describe(
        'The knee is the lowest level whose throughput is within this fraction of the sweep\'s best (default 0.1): beyond it, more concurrency buys less than that.',
      ),
  })
  .describe('Concurrency sweep (closed loop, one stage per level).');

/** A concurrency sweep. */
export type SweepLoad = z.output<typeof SweepLoadSchema>;

/**
 * Users that each send a request, wait for the answer (and the think time), and send the next,
 * started at `spawn_rate` per second up to `users`, then held for `duration` (a Locust load test).
 * Reported as two stages: the ramp, and the sustained load.
 */
export const UsersLoadSchema = z
  .strictObject({
    type: z.literal('users').describe('Closed-loop users ramped up at a spawn rate, then sustained (as Locust).'),
    users: concurrencyLevel().describe('Users at full load (integer >= 1). Override with BENCH_CONCURRENCY.'),
    start_users: z.number().int().min(1).default(1).describe('Users running from the start (integer >= 1, default 1, at most `users`).'),
    spawn_rate: z.number().positive().describe('Users started per second during the ramp (> 0).'),
    duration: seconds('Seconds the full user count is sustained after the ramp (> 0). Override with BENCH_DURATION.'),
    think_time: timerSeconds(z.number().min(0)).default(0).describe("Seconds a user waits after an answer before its next request (>= 0, default 0)."),
    drain_timeout: drainTimeout(),
  })
  .superRefine((load, ctx) => {
    if (load.start_users > load.users) ctx.addIssue({ code: 'custom', path: ['start_users'], message: `start_users (${load.start_users}) is more than users (${load.users})` });
  })
  .describe('Locust-style user ramp, then sustained load.');

/** A user ramp. */
export type UsersLoad = z.output<typeof UsersLoadSchema>;

/**
 * Capacity search: the highest rate (open loop) or concurrency (closed loop) at which the
 * scenario's SLO profile still holds, found by bisection between `low` and `high`, each probe run
 * `trials` times and passing only if every trial meets the SLO and is valid.
 */
export const SearchLoadSchema = z
  .strictObject({
    type: z.literal('search').describe("Bisection for the highest rate or concurrency that meets the scenario's SLO."),
    over: z.enum(['rate', 'concurrency']).describe('What to search: `rate` (open loop, requests/s) or `concurrency` (closed loop).'),
    low: z.number().positive().describe('Lower end of the search (> 0); probed first, expected to pass.'),
    high: z.number().positive().describe('Upper end of the search (> low); probed second, expected to fail.'),
    arrival: z.enum(['constant', 'poisson']).default('poisson').describe('Arrival process of rate probes (default poisson, as MLPerf Server).'),
    trials: z.number().int().min(1).default(2).describe('Runs of each probe (integer >= 1, default 2); a probe passes only if every trial does.'),
    precision: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.1)
      .describe('Stop when (failing - passing) / failing is at most this (default 0.1).'),
    max_probes: z.number().int().min(2).default(10).describe('Most probe points tried, low and high included (default 10).'),
    duration: seconds('Seconds each trial runs (> 0); with num_requests too, a trial ends at whichever comes first. Override with BENCH_DURATION.').optional(),
    max_in_flight: maxInFlight(),
    drain_timeout: drainTimeout(),
    seed: arrivalSeed(),
  })
  .superRefine((load, ctx) => {
    if (load.high <= load.low) ctx.addIssue({ code: 'custom', path: ['high'], message: `high (${load.high}) must be more than low (${load.low})` });
    if (load.over === 'concurrency') {
      for (const k of ['low', 'high'] as const) {
        if (!Number.isInteger(load[k])) ctx.addIssue({ code: 'custom', path: [k], message: `concurrency must be an integer, got ${load[k]}` });
      }
    }
  })
  .describe('SLO capacity search by bisection.');

/** A capacity search. */
export type SearchLoad = z.output<typeof SearchLoadSchema>;

/**
 * Open loop at a replayed trace's own times (`data.type: trace`): request k is due
 * `atS(k) / speedup` seconds after the measured phase starts, and the run sends every request of
 * the replay's window once.
 */
export const TraceLoadSchema = z
  .strictObject({
    type: z.literal('trace').describe("Open loop at the trace's own timestamps (needs data.type: trace)."),
    speedup: z
      .number({ error: 'expected a number > 0' })
      .positive({ error: 'expected a number > 0' })
      .default(1)
      .describe('Trace seconds per replay second (> 0, default 1): 2 sends the trace twice as fast, every gap halved.'),
    max_in_flight: maxInFlight(),
  })
  .describe("Trace replay: each request sent at its recorded time (divided by speedup), whatever is still in flight.");

/** A trace replay load. */
export type TraceLoad = z.output<typeof TraceLoadSchema>;

/** A scenario's `load:`, chosen by `type`. */
export const LoadSchema = z
  .discriminatedUnion('type', [
    ConcurrencyLoadSchema,
    ConstantLoadSchema,
    PoissonLoadSchema,
    GammaLoadSchema,
    SweepLoadSchema,
    UsersLoadSchema,
    SearchLoadSchema,
    TraceLoadSchema,
  ])
  .describe('When requests are sent: a load shape chosen by `type` (concurrency, constant, poisson, gamma, sweep, users, search, trace).');

/** A load shape. */
export type Load = z.output<typeof LoadSchema>;

/** The `type` literal of a load shape. */
export type LoadType = Load['type'];

/** Every load `type` literal, in schema order; the schedule registry must have exactly these keys. */
export const LOAD_TYPES: readonly LoadType[] = Object.freeze(LoadSchema.options.map((option) => option.shape.type.value));

/** Whether a load has a time bound of its own, so `num_requests` may be left out. */
export function loadHasDuration(load: Load): boolean {
  switch (load.type) {
    case 'constant':
    case 'poisson':
    case 'gamma':
      return load.stages !== undefined || load.duration !== undefined;
    case 'users':
    case 'trace':
      return true;
    default:
      return load.duration !== undefined;
  }
}

/** Whether a load runs more than one stage (stop rules default on for these). */
export function isMultiStage(load: Load): boolean {
  switch (load.type) {
    case 'constant':
    case 'poisson':
    case 'gamma':
      return (load.stages?.length ?? 1) > 1;
    case 'sweep':
    case 'users':
    case 'search':
      return true;
    default:
      return false;
  }
}
