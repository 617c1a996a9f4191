/**
 * Small zod builders shared by the well-lit-path schemas: keys accepted without effect, choices
 * whose known-but-unsupported values get their own reason, and token counts.
 */
import { z } from 'zod';
import { didYouMean, quoteList } from '../closest-name.ts';
import { ignoredReason } from './key-policy.ts';

/** A key accepted with any value and no effect; its reason comes from the key policy (`pattern`). */
export function accepted(pattern: string) {
  return z.unknown().optional().describe(`Accepted, no effect: ${ignoredReason(pattern)}.`);
}

/**
 * One of `supported`; a value in `unsupported` fails with its own reason
 * (`trace_replay: not supported (trace replay is not supported)`), anything else with the list.
 */
export function choice<const T extends readonly [string, ...string[]]>(supported: T, unsupported: Readonly<Record<string, string>> = {}) {
  return z.string({ error: `expected one of ${quoteList(supported)}` }).transform((value, ctx): T[number] => {
    if ((supported as readonly string[]).includes(value)) return value as T[number];
    const reason = unsupported[value];
    ctx.addIssue({
      code: 'custom',
      message: reason
        ? `${JSON.stringify(value)}: not supported (${reason})`
        : `expected one of ${quoteList(supported)}, got ${JSON.stringify(value)}${didYouMean(value, supported)}`,
    });
    return z.NEVER;
  });
}

/** A whole number of tokens (>= 1). */
export function tokens(what = 'tokens') {
  const error = `expected a positive integer (${what})`;
  return z.number({ error }).int({ error }).min(1, { error });
}

/** Seconds, > 0. */
export function seconds() {
  return z.number({ error: 'expected a number of seconds' }).positive({ error: 'expected a positive number of seconds' });
}
