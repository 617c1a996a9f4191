import type { SimProfile } from './options.ts';
import type { Rng } from './rng.ts';

/**
 * The latency options the model reads: a profile's fields (each documented in `options.ts`)
 * plus the time scale applied to every modeled duration.
 */
export interface LatencyParams extends SimProfile {
  time_scale: number;
}

/**
 * llm-d-inference-sim's load factor: 1 with one running request, `loadFactor` with a full
 * batch, linear in between; 1 when `maxNumSeqs <= 1`. `running` counts the request itself.
 */
export function loadFactor(loadFactorAtFull: number, running: number, maxNumSeqs: number): number {
  if (maxNumSeqs <= 1) return 1;
  const r = Math.min(Math.max(running, 1), maxNumSeqs);
  return 1 + ((loadFactorAtFull - 1) * (r - 1)) / (maxNumSeqs - 1);
}

/**
 * A normal sample around `mean` clamped to [0.3, 1.7] x mean, as llm-d-inference-sim does, but
 * in fractional milliseconds (it truncates to whole ms, which zeroes sub-millisecond means).
 */
export function jitter(rng: Rng, mean: number, std: number): number {
  if (mean <= 0) return 0;
  if (std <= 0) return mean;
  const x = rng.normal(mean, std);
  return Math.min(Math.max(x, 0.3 * mean), 1.7 * mean);
}

/**
 * Modeled prefill time in ms: `(overhead + uncached x per_token)` jittered by `ttft_std_ms`,
 * times the load factor at `running`, times `time_scale`. The first output token is due when it
 * ends (vLLM's prefill step samples the first token).
 */
export function prefillMs(p: LatencyParams, uncachedTokens: number, running: number, rng: Rng): number {
  const mean = p.prefill_overhead_ms + Math.max(0, uncachedTokens) * p.prefill_per_token_ms;
  return jitter(rng, mean, p.ttft_std_ms) * loadFactor(p.load_factor, running, p.max_num_seqs) * p.time_scale;
}

/** Modeled duration of one decode step in ms, at the current number of running requests. */
export function decodeStepMs(p: LatencyParams, running: number, rng: Rng): number {
  return jitter(rng, p.itl_ms, p.itl_std_ms) * loadFactor(p.load_factor, running, p.max_num_seqs) * p.time_scale;
}

/**
 * Number of tokens generated before the request stops: a geometric draw with a per-token EOS
 * chance of `eosProbability`, capped at `maxTokens`. `stop` is true when EOS ended it.
 */
export function drawOutputLength(rng: Rng, maxTokens: number, eosProbability: number): { tokens: number; stop: boolean } {
  if (eosProbability <= 0 || maxTokens <= 0) return { tokens: maxTokens, stop: false };
  if (eosProbability >= 1) return { tokens: 1, stop: true };
  const u = rng.next();
  const n = Math.max(1, Math.ceil(Math.log(1 - u) / Math.log(1 - eosProbability)));
  return n <= maxTokens ? { tokens: n, stop: true } : { tokens: maxTokens, stop: false };
}
