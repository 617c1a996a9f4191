/**
 * Upper bounds shared by the numeric settings. Every duration ends up in a Node.js timer
 * (`setTimeout`, undici's timeouts), and Node.js takes a delay above 2^31 - 1 ms (24.8 days) as
 * 1 ms with only a warning: an over-long timeout would fail every request at once with a
 * misleading message. So durations are checked against that bound where they are read.
 */
import { z } from 'zod';

/** The longest delay a Node.js timer takes, ms (2^31 - 1). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** {@link MAX_TIMER_MS} in seconds. */
export const MAX_TIMER_S = MAX_TIMER_MS / 1000;

/** The bound as it reads in messages. */
export const TIMER_LIMIT_TEXT = `at most ${MAX_TIMER_S} s (24.8 days, the longest timer Node.js allows)`;

/** `schema` (seconds) bounded by {@link MAX_TIMER_S}, with a message naming the bound. */
export function timerSeconds<S extends z.ZodNumber>(schema: S): S {
  return schema.max(MAX_TIMER_S, { error: (issue) => `expected ${TIMER_LIMIT_TEXT}, got ${String(issue.input)}` }) as S;
}
