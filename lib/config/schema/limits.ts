/**
 * Size limits of a response. A target sets them for every scenario run against it; a scenario can
 * change them for itself; `BENCH_MAX_RESPONSE_MIB` and `BENCH_MAX_EVENT_MIB` override both for
 * one run. A response over a limit is cut at once (the request is aborted, nothing more is
 * buffered) and recorded as a failure of class `response_too_large`.
 *
 * The defaults leave room for the largest legitimate response: a non-streamed 128k-token
 * completion with `top_logprobs: 20` is about 1.3 KB of JSON per token, some 170 MB; one stream
 * event carries a few tokens (a whole output only when a server coalesces a stalled stream), so
 * 32 MiB is over ten thousand tokens with their logprobs.
 */
import { z } from 'zod';
import { settings } from '../../settings/registry.ts';
import { MAX_MIB } from '../../settings/target.ts';
import type { Env } from '../substitute.ts';

/** Defaults when neither the target, the scenario nor the environment sets a limit, in MiB. */
export const DEFAULT_LIMITS = Object.freeze({
  max_response_mib: 256,
  max_event_mib: 32,
});

const mib = (what: string, fallback: number) =>
  z.number().positive().max(MAX_MIB).describe(`${what}, in MiB (default ${fallback}, at most ${MAX_MIB}).`);

/** Limits as written under a target's or a scenario's `limits:`; unset fields fall through. */
export const LimitOverridesSchema = z
  .strictObject({
    max_response_mib: mib(
      'Largest response body (decoded), streamed or not; a larger one is cut and fails as response_too_large',
      DEFAULT_LIMITS.max_response_mib,
    ).optional(),
    max_event_mib: mib('Largest single stream event (or line); a larger one is cut and fails as response_too_large', DEFAULT_LIMITS.max_event_mib).optional(),
  })
  .describe("Response size limits in MiB; unset fields keep the target's value or the default.");

/** Limits as written in a config: some fields may be unset. */
export type LimitOverrides = z.output<typeof LimitOverridesSchema>;

/** Effective limits in bytes. */
export interface ResponseLimits {
  /** Largest response body, after content decoding. */
  responseBytes: number;
  /** Largest stream event (the data of one event, or one line). */
  eventBytes: number;
}

const ENV = { max_response_mib: 'BENCH_MAX_RESPONSE_MIB', max_event_mib: 'BENCH_MAX_EVENT_MIB' } as const;

/**
 * The effective limits: the environment over the layers (most specific first, e.g. scenario then
 * target) over the defaults. Throws `ConfigError` for an unusable environment value.
 */
export function responseLimits(env: Env, ...layers: ReadonlyArray<LimitOverrides | undefined>): ResponseLimits {
  const out: Record<keyof typeof DEFAULT_LIMITS, number> = { ...DEFAULT_LIMITS };
  const s = settings(env);
  for (const key of Object.keys(out) as Array<keyof typeof DEFAULT_LIMITS>) {
    const fromEnv = s.get(ENV[key]);
    const set = fromEnv ?? layers.find((layer) => layer?.[key] !== undefined)?.[key];
    if (set !== undefined) out[key] = set;
  }
  return { responseBytes: Math.round(out.max_response_mib * 2 ** 20), eventBytes: Math.round(out.max_event_mib * 2 ** 20) };
}

/** Limits from the defaults alone. */
export const DEFAULT_RESPONSE_LIMITS: ResponseLimits = Object.freeze(responseLimits({}));
