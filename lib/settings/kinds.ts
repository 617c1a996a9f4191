/**
 * The value kinds of the settings registry: zod schemas from the variable's text to its value.
 * Each failure is one message in the words users see, `expected a positive integer, got "abc"`,
 * which the registry prefixes with the variable (`env: BENCH_CONCURRENCY: ...`). A schema gets
 * the text as set (never empty or blank: those mean "not set") and trims it itself, so a kind
 * that quotes the text as given can.
 */
import { z } from 'zod';
import { didYouMean, quoteList } from '../config/closest-name.ts';
import { MAX_TIMER_S, TIMER_LIMIT_TEXT } from '../config/schema/timer-limit.ts';

/** A schema for one variable's text, and how its type reads in the reference page. */
export interface SettingKind<T> {
  schema: z.ZodType<T, string>;
  /** e.g. `integer >= 1`, `seconds > 0`, `one of exact, inference-perf`. */
  type: string;
}

/** A plain decimal number, optionally with an exponent: `2.5`, `.5`, `1e3`. */
const NUMBER = /^\+?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A kind from a parser: `parse` returns the value, or `undefined` when the (trimmed) text is
 * unusable, in which case `message(trimmed, raw)` is the error.
 */
export function kind<T>(type: string, parse: (text: string, raw: string) => T | undefined, message: (text: string, raw: string) => string): SettingKind<T> {
  const schema = z.string().transform((raw, ctx) => {
    const text = raw.trim();
    const value = parse(text, raw);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: message(text, raw) });
      return z.NEVER;
    }
    return value;
  });
  return { schema, type };
}

const expected = (noun: string) => (text: string): string => `expected ${noun}, got ${JSON.stringify(text)}`;

function integer(min: number, noun: string, type: string): SettingKind<number> {
  return kind(type, (t) => {
    const v = /^\+?\d+$/.test(t) ? Number(t) : NaN;
    return Number.isSafeInteger(v) && v >= min ? v : undefined;
  }, expected(noun));
}

function decimal(type: string, noun: string, ok: (v: number) => boolean): SettingKind<number> {
  return kind(type, (t) => {
    const v = NUMBER.test(t) ? Number(t) : NaN;
    return Number.isFinite(v) && ok(v) ? v : undefined;
  }, expected(noun));
}

/** Any text, trimmed; `type` says what it holds (a path, a URL checked where it is used, ...). */
export function text(type = 'text'): SettingKind<string> {
  return kind(type, (t) => t, () => '');
}

/** An integer >= 1, e.g. `BENCH_CONCURRENCY=8`. */
export const positiveInt = integer(1, 'a positive integer', 'integer >= 1');

/** An integer >= 0, e.g. `BENCH_WARMUP_REQUESTS=0`. */
export const nonNegativeInt = integer(0, 'a non-negative integer', 'integer >= 0');

/** A finite number > 0, e.g. `BENCH_RATE=2.5`. */
export const positiveNumber = decimal('number > 0', 'a positive number', (v) => v > 0);

/** A finite number >= 0, e.g. `BENCH_PAUSE=0` (the decimal form has no sign). */
export const nonNegativeNumber = decimal('number >= 0', 'a number >= 0', () => true);

/** A number in (0, 1], e.g. `BENCH_PREFIX_MIN_HIT_RATE=0.5`. */
export const fraction = decimal('number in (0, 1]', 'a number > 0 and <= 1', (v) => v > 0 && v <= 1);

/** Seconds for a Node.js timer: > 0, at most 2^31 - 1 ms (see `config/schema/timer-limit.ts`). */
export const timerSeconds = decimal('seconds > 0', `a positive number of seconds, ${TIMER_LIMIT_TEXT}`, (v) => v > 0 && v <= MAX_TIMER_S);

/** As {@link timerSeconds}, 0 allowed. */
export const timerSecondsOrZero = decimal('seconds >= 0', `a number of seconds >= 0, ${TIMER_LIMIT_TEXT}`, (v) => v >= 0 && v <= MAX_TIMER_S);

/** A comma-separated list of integers >= 1, e.g. `BENCH_CONCURRENCY=1,5,10` (one value is a list of one). */
export const positiveIntList: SettingKind<number[]> = kind('integer >= 1, or a list 1,5,10', (t) => {
  const values = t.split(',').map((p) => p.trim()).map((p) => (/^\+?\d+$/.test(p) ? Number(p) : NaN));
  return values.some((v) => !Number.isSafeInteger(v) || v < 1) ? undefined : values;
}, expected('a positive integer or a comma-separated list of them'));

/** One of `values`, e.g. `BENCH_API=chat`, with a suggestion for a near miss. */
export function oneOf<T extends string>(values: readonly T[]): SettingKind<T> {
  return kind(`one of ${values.join(', ')}`, (t) => values.find((v) => v === t), (t) => `expected one of ${quoteList(values)}, got "${t}"${didYouMean(t, values)}`);
}

/** An integer from `min` to `max`, e.g. a port: `expected an integer in 1..65535, got "x"`. */
export function intRange(min: number, max: number): SettingKind<number> {
  return kind(`integer ${min}..${max}`, (t) => {
    const v = /^\d+$/.test(t) ? Number(t) : NaN;
    return v >= min && v <= max ? v : undefined;
  }, (t) => `expected an integer in ${min}..${max}, got ${JSON.stringify(t)}`);
}

/** Any finite number as JavaScript reads it, negative too (a measured clock offset). */
export const anyNumber = kind('number', (t) => {
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}, expected('a number'));

/** `1`/`true`/`yes` or `0`/`false`/`no`, any case. */
export const flag = kind('1 or 0 (true/false, yes/no)', (t) => {
  const v = t.toLowerCase();
  return ['1', 'true', 'yes'].includes(v) ? true : ['0', 'false', 'no'].includes(v) ? false : undefined;
}, (t) => `expected 1 or 0, got "${t.toLowerCase()}"`);

/** `true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off`, any case. */
export const bool = kind('true or false (1/0, yes/no, on/off)', (t) => {
  const v = t.toLowerCase();
  return ['true', '1', 'yes', 'on'].includes(v) ? true : ['false', '0', 'no', 'off'].includes(v) ? false : undefined;
}, expected('true or false'));

/** Exactly `1` or `0`. */
export const bit = kind('1 or 0', (t) => (t === '1' ? true : t === '0' ? false : undefined), expected('1 or 0'));
