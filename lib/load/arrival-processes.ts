/**
 * Open-loop arrival processes, keyed by literal: what an open-loop stage's intended send times
 * are, and whether the process fixes the stage's request count. Every process is a pure, seeded
 * generator of offsets (ms from the stage's start), so a schedule repeats exactly and the pods of
 * a split run (`lib/distributed/split.ts`) generate the same one and each keep their residue.
 *
 * | key | offsets | requests in a stage |
 * | --- | --- | --- |
 * | `constant` | `i / rate` s: evenly spaced | those due before the stage's end |
 * | `poisson` | a Poisson process (exponential gaps) | those due before the stage's end (random) |
 * | `gamma` | gamma gaps, CV 1/sqrt(burstiness) | those due before the stage's end |
 * | `inference-perf-constant` | inference-perf's `ConstantLoadTimer` | `int(rate × duration)` |
 * | `inference-perf-poisson` | inference-perf's `PoissonLoadTimer` | `int(rate × duration)` |
 *
 * A process with a fixed count makes a count-bounded stage: it sends exactly that many and waits
 * for all of them, as inference-perf's `run_stage` does (`inference-perf-arrivals.ts`).
 */
import { gammaOffsets, poissonOffsets } from './arrivals.ts';
import { inferencePerfConstantOffsets, inferencePerfPoissonOffsets, stageRequests } from './inference-perf-arrivals.ts';

/** What a process needs for one stage. */
export interface ArrivalParams {
  /** Requests per second (> 0). */
  rate: number;
  /** Seed of random draws (ignored by deterministic processes). */
  seed: number;
  /** The stage's duration, s; required by the processes that fix the count. */
  durationS: number | null;
  /** Gamma shape (gamma only). */
  burstiness?: number;
}

/** One arrival process. */
export interface ArrivalProcess {
  /** Whether it draws random numbers (its seed is then reported). */
  readonly seeded: boolean;
  /** The shape in words, for reports: `evenly spaced`, `Poisson arrivals`, ... */
  shape(p: ArrivalParams): string;
  /** Requests a stage sends when the process fixes the count; null when the stage's end bounds it. */
  requests(p: ArrivalParams): number | null;
  /** Intended send offsets, ms from the stage's start, non-decreasing (finite when `requests` is not null). */
  offsets(p: ArrivalParams): Iterator<number>;
}

/** Registry keys. */
export type ArrivalKey = 'constant' | 'poisson' | 'gamma' | 'inference-perf-constant' | 'inference-perf-poisson';

/** The stage's duration, which a process with a fixed count needs. */
function durationOf(p: ArrivalParams, key: ArrivalKey): number {
  if (p.durationS === null) throw new TypeError(`arrivals ${key}: a stage needs a duration (it sends int(rate × duration) requests)`);
  return p.durationS;
}

/** The processes, by key. */
export const ARRIVALS: { readonly [K in ArrivalKey]: ArrivalProcess } = {
  constant: {
    seeded: false,
    shape: () => 'evenly spaced',
    requests: () => null,
    *offsets({ rate }) {
      // Multiply rather than accumulate, so float error does not drift over a long run.
      const gap = 1000 / rate;
      for (let i = 0; ; i++) yield i * gap;
    },
  },
  poisson: {
    seeded: true,
    shape: () => 'Poisson arrivals',
    requests: () => null,
    offsets: ({ rate, seed }) => poissonOffsets(rate, seed),
  },
  gamma: {
    seeded: true,
    shape: ({ burstiness }) => `gamma arrivals (burstiness ${burstiness})`,
    requests: () => null,
    offsets: ({ rate, burstiness, seed }) => gammaOffsets(rate, burstiness!, seed),
  },
  'inference-perf-constant': {
    seeded: true,
    shape: () => "inference-perf's constant timer (int(rate × duration) requests, exponential gaps scaled to the duration)",
    requests: (p) => stageRequests(p.rate, durationOf(p, 'inference-perf-constant')),
    offsets: (p) => inferencePerfConstantOffsets(p.rate, durationOf(p, 'inference-perf-constant'), p.seed),
  },
  'inference-perf-poisson': {
    seeded: true,
    shape: () => "inference-perf's Poisson timer (int(rate × duration) requests, a Poisson count each second spread over it)",
    requests: (p) => stageRequests(p.rate, durationOf(p, 'inference-perf-poisson')),
    offsets: (p) => inferencePerfPoissonOffsets(p.rate, durationOf(p, 'inference-perf-poisson'), p.seed),
  },
};
