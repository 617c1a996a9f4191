/**
 * Reading one environment variable by kind, for code that names the variable itself. The
 * kinds and their messages are the settings registry's (`lib/settings/kinds.ts`); a declared
 * `BENCH_*` setting is read with `settings(env).get(name)` instead. Each reader returns
 * `undefined` when the variable is unset or empty (so `BENCH_MODEL=` in a CI file means "not
 * set") and throws `ConfigError` with source `env` when it is set to something unusable:
 * `env: BENCH_CONCURRENCY: expected a positive integer, got "abc"`.
 */
import {
  fraction, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt, positiveIntList, positiveNumber, text, timerSeconds, timerSecondsOrZero,
} from '../settings/kinds.ts';
import { readSetting } from '../settings/registry.ts';
import type { Env } from './substitute.ts';

/** A config value replaced by an environment variable or option, recorded for reports. */
export interface ConfigOverride {
  /** Path of the replaced value, e.g. `scenarios.quick.load.concurrency` or `target.model`. */
  path: string;
  /** The value now in effect. */
  value: unknown;
  /** Where it came from, e.g. `env BENCH_CONCURRENCY`. */
  source: string;
}

const TEXT = text();

/** The variable's value with surrounding whitespace removed; `undefined` when unset or empty. */
export function envString(env: Env, name: string): string | undefined {
  return readSetting(env, name, TEXT);
}

/** An integer >= 1, e.g. `BENCH_CONCURRENCY=8`. */
export function envPositiveInt(env: Env, name: string): number | undefined {
  return readSetting(env, name, positiveInt);
}

/**
 * Seconds for a timer, e.g. `BENCH_TEST_TIMEOUT_S=600`: a number > 0 (>= 0 with `zero`), at most
 * 2^31 - 1 ms (the longest delay a Node.js timer takes; see `schema/timer-limit.ts`).
 */
export function envTimerSeconds(env: Env, name: string, options: { zero?: boolean } = {}): number | undefined {
  return readSetting(env, name, options.zero ? timerSecondsOrZero : timerSeconds);
}

/** A number in (0, 1], e.g. `BENCH_PREFIX_MIN_HIT_RATE=0.5`. */
export function envFraction(env: Env, name: string): number | undefined {
  return readSetting(env, name, fraction);
}

/** An integer >= 0, e.g. `BENCH_WARMUP_REQUESTS=0`. */
export function envNonNegativeInt(env: Env, name: string): number | undefined {
  return readSetting(env, name, nonNegativeInt);
}

/** A finite number > 0, e.g. `BENCH_RATE=2.5`. */
export function envPositiveNumber(env: Env, name: string): number | undefined {
  return readSetting(env, name, positiveNumber);
}

/** A finite number >= 0, e.g. `BENCH_PAUSE=0`. */
export function envNonNegativeNumber(env: Env, name: string): number | undefined {
  return readSetting(env, name, nonNegativeNumber);
}

/** A comma-separated list of integers >= 1, e.g. `BENCH_CONCURRENCY=1,5,10` (one value is a list of one). */
export function envPositiveIntList(env: Env, name: string): number[] | undefined {
  return readSetting(env, name, positiveIntList);
}

/** One of `values`, e.g. `BENCH_API=chat`, with a suggestion for a near miss. */
export function envEnum<T extends string>(env: Env, name: string, values: readonly T[]): T | undefined {
  return readSetting(env, name, oneOf(values));
}
