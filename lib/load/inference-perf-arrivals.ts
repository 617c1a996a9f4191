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
 * uses numpy's own algorithms (numpy `random/src/distributions/distributions.c`
 * `random_poisson`: multiplication of uniforms below 10, Hörmann's transformed rejection PTRS
 * from 10, W. Hörmann, Insurance: Mathematics and Economics 12(1), 1993).
 *
 * Not modelled: `run_stage` starts a stage's timer one second after it begins queueing the
 * requests, to give its worker processes time to pick them up; that second is an artifact of its
 * process architecture, not part of the load, and a stage here starts sending at once.
 */
import { splitmix32, type Prng } from '../data/prng.ts';

const TWO_32 = 4294967296;

/** A uniform double in the open interval (0, 1). */
function uniform(prng: Prng): number {
  return (prng.next() + 0.5) / TWO_32;
}

/** A standard exponential sample (inverse CDF). */
function exponential(prng: Prng): number {
  return -Math.log(uniform(prng));
}

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

/** A Poisson(`lambda`) sample, as numpy's `random_poisson`. */
export function poissonSample(prng: Prng, lambda: number): number {
  if (lambda >= 10) return poissonPtrs(prng, lambda);
  if (lambda === 0) return 0;
  const limit = Math.exp(-lambda);
  let x = 0;
  let prod = 1;
  for (;;) {
    prod *= uniform(prng);
    if (prod > limit) x++;
    else return x;
  }
}

/** Hörmann's PTRS (numpy `random_poisson_ptrs`), for `lambda >= 10`. */
function poissonPtrs(prng: Prng, lambda: number): number {
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = uniform(prng) - 0.5;
    const v = uniform(prng);
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logGamma(k + 1)) return k;
  }
}

const LOGGAM = [
  8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4, 8.417508417508418e-4,
  -1.917526917526918e-3, 6.41025641025641e-3, -2.955065359477124e-2, 1.796443723688307e-1, -1.3924322169059,
];

/** log Γ(x) for x >= 1 (numpy `random_loggam`: Stirling's series, shifted up to 7 for small x). */
export function logGamma(x: number): number {
  if (x === 1 || x === 2) return 0;
  const n = x < 7 ? Math.trunc(7 - x) : 0;
  let x0 = x + n;
  const x2 = (1 / x0) * (1 / x0);
  let gl0 = LOGGAM[9]!;
  for (let k = 8; k >= 0; k--) gl0 = gl0 * x2 + LOGGAM[k]!;
  // 1.8378770664093453 is log(2 pi).
  let gl = gl0 / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * Math.log(x0) - x0;
  for (let k = 1; k <= n; k++) {
    gl -= Math.log(x0 - 1);
    x0 -= 1;
  }
  return gl;
}
