/**
 * Load shapes: when requests are sent. One schema per shape, joined on `type`, whose literal is
 * the key of the schedule registry in `lib/load/registry.ts`. To add a shape (poisson, gamma,
 * stages, ramps): add its schema here (or in its own file once this one grows), add it to
 * `LoadSchema`, and register a schedule under the same literal.
 */
import { z } from 'zod';

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
  })
  .describe('Closed-loop load: `concurrency` requests in flight at all times.');

/** Closed-loop load. */
export type ConcurrencyLoad = z.output<typeof ConcurrencyLoadSchema>;

/**
 * Open loop at a constant rate: requests are sent on an evenly spaced schedule whether or not
 * earlier ones have finished, so latency is measured from the intended send time too.
 */
export const ConstantLoadSchema = z
  .strictObject({
    type: z.literal('constant').describe('Open loop: requests sent at a constant rate, evenly spaced.'),
    rate: z
      .number()
      .positive()
      .describe('Requests per second (> 0); request i is due at i / rate seconds. Override with BENCH_RATE.'),
    max_in_flight: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe(
        'Cap on requests in flight (integer >= 1, default 1000). When reached, sends wait and the wait shows as schedule lag.',
      ),
  })
  .describe('Open-loop load at a constant rate.');

/** Open-loop load at a constant rate. */
export type ConstantLoad = z.output<typeof ConstantLoadSchema>;

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

/** Open loop with Poisson arrivals: exponential gaps, mean rate `rate`. */
export const PoissonLoadSchema = z
  .strictObject({
    type: z.literal('poisson').describe('Open loop: Poisson arrivals (exponential gaps) at a mean rate.'),
    rate: z.number().positive().describe('Mean requests per second (> 0). Override with BENCH_RATE.'),
    max_in_flight: maxInFlight(),
    seed: arrivalSeed(),
  })
  .describe('Open-loop load with Poisson arrivals.');

/** Open loop with gamma-distributed gaps: mean rate `rate`, coefficient of variation 1/sqrt(burstiness). */
export const GammaLoadSchema = z
  .strictObject({
    type: z.literal('gamma').describe('Open loop: gamma-distributed gaps at a mean rate, with a burstiness knob.'),
    rate: z.number().positive().describe('Mean requests per second (> 0). Override with BENCH_RATE.'),
    burstiness: z
      .number()
      .positive()
      .describe("Gamma shape (> 0), as vLLM's --burstiness: 1 is Poisson, below 1 burstier, above 1 more evenly spaced."),
    max_in_flight: maxInFlight(),
    seed: arrivalSeed(),
  })
  .describe('Open-loop load with gamma arrivals.');

/** Open-loop Poisson load. */
export type PoissonLoad = z.output<typeof PoissonLoadSchema>;
/** Open-loop gamma load. */
export type GammaLoad = z.output<typeof GammaLoadSchema>;

/** A scenario's `load:`, chosen by `type`. */
export const LoadSchema = z
  .discriminatedUnion('type', [ConcurrencyLoadSchema, ConstantLoadSchema, PoissonLoadSchema, GammaLoadSchema])
  .describe('When requests are sent: a load shape chosen by `type` (concurrency, constant, poisson, gamma).');

/** A load shape. */
export type Load = z.output<typeof LoadSchema>;

/** The `type` literal of a load shape. */
export type LoadType = Load['type'];

/** Every load `type` literal, in schema order; the schedule registry must have exactly these keys. */
export const LOAD_TYPES: readonly LoadType[] = Object.freeze(LoadSchema.options.map((option) => option.shape.type.value));
