/**
 * Reading `BENCH_*` environment variables. Each reader returns `undefined` when the variable is
 * unset or empty (so `BENCH_MODEL=` in a CI file means "not set") and throws `ConfigError` with
 * source `env` when it is set to something unusable:
 * `env: BENCH_CONCURRENCY: expected a positive integer, got "abc"`.
 */
import { ConfigError } from '../errors/config-error.ts';
import { didYouMean, quoteList } from './closest-name.ts';
import { MAX_TIMER_S, TIMER_LIMIT_TEXT } from './schema/timer-limit.ts';
import type { Env } from './substitute.ts';

/** A plain decimal number, optionally with an exponent: `2.5`, `.5`, `1e3`. */
const NUMBER = /^\+?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A config value replaced by an environment variable or option, recorded for reports. */
export interface ConfigOverride {
  /** Path of the replaced value, e.g. `scenarios.quick.load.concurrency` or `target.model`. */
  path: string;
  /** The value now in effect. */
  value: unknown;
  /** Where it came from, e.g. `env BENCH_CONCURRENCY`. */
  source: string;
}

/** The variable's value with surrounding whitespace removed; `undefined` when unset or empty. */
export function envString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** An integer >= 1, e.g. `BENCH_CONCURRENCY=8`. */
export function envPositiveInt(env: Env, name: string): number | undefined {
  return envInteger(env, name, 1, 'a positive integer');
}

/**
 * Seconds for a timer, e.g. `BENCH_TEST_TIMEOUT_S=600`: a number > 0 (>= 0 with `zero`), at most
 * 2^31 - 1 ms (the longest delay a Node.js timer takes; see `schema/timer-limit.ts`).
 */
export function envTimerSeconds(env: Env, name: string, options: { zero?: boolean } = {}): number | undefined {
  const text = envString(env, name);
  if (text === undefined) return undefined;
  const value = NUMBER.test(text) ? Number(text) : NaN;
  const min = options.zero ? 0 : Number.MIN_VALUE;
  if (!Number.isFinite(value) || value < min || value > MAX_TIMER_S) {
    throw badValue(name, `${options.zero ? 'a number of seconds >= 0' : 'a positive number of seconds'}, ${TIMER_LIMIT_TEXT}`, text);
  }
  return value;
}

/** A number in (0, 1], e.g. `BENCH_PREFIX_MIN_HIT_RATE=0.5`. */
export function envFraction(env: Env, name: string): number | undefined {
  const text = envString(env, name);
  if (text === undefined) return undefined;
  const value = NUMBER.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || value <= 0 || value > 1) throw badValue(name, 'a number > 0 and <= 1', text);
  return value;
}

/** An integer >= 0, e.g. `BENCH_WARMUP_REQUESTS=0`. */
export function envNonNegativeInt(env: Env, name: string): number | undefined {
  return envInteger(env, name, 0, 'a non-negative integer');
}

/** A finite number > 0, e.g. `BENCH_RATE=2.5`. */
export function envPositiveNumber(env: Env, name: string): number | undefined {
  const text = envString(env, name);
  if (text === undefined) return undefined;
  const value = NUMBER.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || value <= 0) throw badValue(name, 'a positive number', text);
  return value;
}

/** A finite number >= 0, e.g. `BENCH_PAUSE=0`. */
export function envNonNegativeNumber(env: Env, name: string): number | undefined {
  const text = envString(env, name);
  if (text === undefined) return undefined;
  const value = NUMBER.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value)) throw badValue(name, 'a number >= 0', text);
  return value;
}

/** A comma-separated list of integers >= 1, e.g. `BENCH_CONCURRENCY=1,5,10` (one value is a list of one). */
export function envPositiveIntList(env: Env, name: string): number[] | undefined {
  const text = envString(env, name);
  if (text === undefined) return undefined;
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map((p) => (/^\+?\d+$/.test(p) ? Number(p) : NaN));
  if (values.some((v) => !Number.isSafeInteger(v) || v < 1)) throw badValue(name, 'a positive integer or a comma-separated list of them', text);
  return values;
}

/** One of `values`, e.g. `BENCH_API=chat`, with a suggestion for a near miss. */
export function envEnum<T extends string>(env: Env, name: string, values: readonly T[]): T | undefined {
  const text = envString(env, name);
  if (text === undefined) return undefined;
  const match = values.find((v) => v === text);
  if (match === undefined) {
    throw new ConfigError('env', name, `expected one of ${quoteList(values)}, got "${text}"${didYouMean(text, values)}`);
  }
  return match;
}

function envInteger(env: Env, name: string, min: number, noun: string): number | undefined {
  const text = envString(env, name);
  if (text === undefined) return undefined;
  const value = /^\+?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min) throw badValue(name, noun, text);
  return value;
}

function badValue(name: string, noun: string, text: string): ConfigError {
  return new ConfigError('env', name, `expected ${noun}, got ${JSON.stringify(text)}`);
}
