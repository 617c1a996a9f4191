/**
 * inference-perf's load timers as pure, seeded generators of intended send offsets (ms from the
 * stage's start), following kubernetes-sigs/inference-perf `inference_perf/loadgen/load_timer.py`
 * and `inference_perf/loadgen/load_generator.py` (`run_stage`):
 *
 * - A stage sends exactly `int(rate * duration)` requests (`stageRequests`), then waits until
 *   every one has finished; nothing bounds it in time.
 * - `ConstantLoadTimer`: that many exponential gaps, scaled so they sum to the duration; request
 *   k is due at the sum of the first k + 1 gaps, so the first is due after one gap and the last
 *   exactly at the duration. The spacing is random, not even.
 * - `PoissonLoadTimer`: for each second in turn, a Poisson(rate) count; a second with none is
 *   skipped, otherwise that count is spread over the second as the constant timer spreads it
 *   (`ConstantLoadTimer(count, 1.0)`). It runs until the stage's count is taken, so the stage
 *   may end before or after its duration.
 *
 * inference-perf draws from an unseeded numpy generator; here every draw comes from `seed`, so a
 * schedule repeats exactly (and the pods of a split run generate the same one). The Poisson count
 * uses numpy's own algorithm (`poissonSample` in `lib/data/samplers.ts`).
 *
 * Not modelled: `run_stage` starts a stage's timer one second after it begins queueing the
 * requests, to give its worker processes time to pick them up; that second is an artifact of its
 * process architecture, not part of the load, and a stage here starts sending at once.
 */
import { splitmix32 } from '../stats/prng.ts';
import { exponential, poissonSample } from '../data/samplers.ts';

/** Requests a stage of `rate` requests/s for `durationS` seconds sends: Python's `int(rate * duration)`. */
export function stageRequests(rate: number, durationS: number): number {
  return Math.trunc(rate * durationS);
}

/**
 * `n` offsets from 0 spread over `spanMs` as `ConstantLoadTimer(n, span)` does: exponential gaps
 * scaled to sum to the span. Two passes over the same seeded stream (the sum, then the offsets),
 * so no array of `n` is kept however long the stage.
 */
function* normalized(seed: number, n: number, spanMs: number): Generator<number> {
  if (n <= 0) return;
  const sum = splitmix32(seed);
  let total = 0;
  for (let i = 0; i < n; i++) total += exponential(sum);
  const draw = splitmix32(seed);
  let acc = 0;
  for (let i = 0; i < n - 1; i++) {
    acc += exponential(draw);
    // The running sum scaled, rather than scaled gaps added, so float error does not drift.
    yield (acc / total) * spanMs;
  }
  yield spanMs;
}

/** `ConstantLoadTimer(gaps.length, span)` over gaps already drawn, from `from`. */
function* normalizedOf(gaps: readonly number[], from: number, spanMs: number): Generator<number> {
  const total = gaps.reduce((a, g) => a + g, 0);
  let acc = 0;
  for (let i = 0; i < gaps.length - 1; i++) {
    acc += gaps[i]!;
    yield from + (acc / total) * spanMs;
  }
  yield from + spanMs;
}

/** inference-perf's `ConstantLoadTimer` for one stage: `int(rate * duration)` offsets, the last at the duration. */
export function inferencePerfConstantOffsets(rate: number, durationS: number, seed: number): Generator<number> {
  return normalized(seed, stageRequests(rate, durationS), durationS * 1000);
}

/** inference-perf's `PoissonLoadTimer` for one stage: per-second Poisson counts, `int(rate * duration)` offsets in all. */
export function* inferencePerfPoissonOffsets(rate: number, durationS: number, seed: number): Generator<number> {
  let left = stageRequests(rate, durationS);
  const prng = splitmix32(seed);
  for (let second = 0; left > 0; second++) {
    const count = poissonSample(prng, rate);
    if (count < 1) continue;
    // One second's gaps (about `rate` of them), drawn from the same stream as the counts.
    const gaps = Array.from({ length: count }, () => exponential(prng));
    for (const t of normalizedOf(gaps, second * 1000, 1000)) {
      yield t;
      if (--left === 0) return;
    }
  }
}

