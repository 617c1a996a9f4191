/**
 * Per-request time limits. A target sets them for every scenario run against it; a scenario can
 * tighten or loosen them for itself. A request that exceeds one is a failed request (recorded
 * with its error class), never an exception.
 */
import { z } from 'zod';
import { TIMER_LIMIT_TEXT, timerSeconds } from './timer-limit.ts';

/** Defaults when neither the target nor the scenario sets a limit, in seconds. */
export const DEFAULT_TIMEOUTS = Object.freeze({
  connect_s: 10,
  first_token_s: 60,
  idle_s: 30,
  total_s: 600,
});

const seconds = (what: string, fallback: number) =>
  timerSeconds(z.number().positive()).describe(`${what}, in seconds (> 0, ${TIMER_LIMIT_TEXT}; default ${fallback}).`);

const fields = {
  connect_s: seconds('Time allowed to open the TCP (and TLS) connection', DEFAULT_TIMEOUTS.connect_s),
  first_token_s: seconds(
    'Time allowed from sending the request to the first content chunk (streaming) or to the response (non-streaming)',
    DEFAULT_TIMEOUTS.first_token_s,
  ),
  idle_s: seconds('Longest silence allowed between two stream chunks', DEFAULT_TIMEOUTS.idle_s),
  total_s: seconds('Time allowed for the whole request, from send to the last byte', DEFAULT_TIMEOUTS.total_s),
};

/**
 * A partial set of timeouts, as written under a target's or a scenario's `timeouts:`. Unset
 * fields fall through to the next layer (scenario → target → defaults).
 */
export const TimeoutOverridesSchema = z
  .strictObject({
    connect_s: fields.connect_s.optional(),
    first_token_s: fields.first_token_s.optional(),
    idle_s: fields.idle_s.optional(),
    total_s: fields.total_s.optional(),
  })
  .describe('Per-request time limits in seconds; unset fields keep the target\'s value or the default.');

/** Timeouts as written in a config: some fields may be unset. */
export type TimeoutOverrides = z.output<typeof TimeoutOverridesSchema>;

/** A complete set of timeouts, defaults filled in. */
export const TimeoutsSchema = z
  .strictObject({
    connect_s: fields.connect_s.default(DEFAULT_TIMEOUTS.connect_s),
    first_token_s: fields.first_token_s.default(DEFAULT_TIMEOUTS.first_token_s),
    idle_s: fields.idle_s.default(DEFAULT_TIMEOUTS.idle_s),
    total_s: fields.total_s.default(DEFAULT_TIMEOUTS.total_s),
  })
  .describe('Per-request time limits in seconds.');

/** Complete per-request time limits, in seconds. */
export type Timeouts = z.output<typeof TimeoutsSchema>;

/**
 * The effective timeouts: each field from the first layer that sets it, else the default.
 * Pass the most specific layer first: `resolveTimeouts(scenario.timeouts, target.timeouts)`.
 */
export function resolveTimeouts(...layers: ReadonlyArray<TimeoutOverrides | undefined>): Timeouts {
  const out: Timeouts = { ...DEFAULT_TIMEOUTS };
  for (const key of Object.keys(out) as Array<keyof Timeouts>) {
    const set = layers.find((layer) => layer?.[key] !== undefined)?.[key];
    if (set !== undefined) out[key] = set;
  }
  return out;
}
