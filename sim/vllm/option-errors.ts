import type { z } from 'zod';
import { ConfigError } from '../../lib/errors/index.ts';
import { SimFaultsSchema, SimOptionsBaseSchema } from './options.ts';

/** One bad option: where it is (key path) and the one-line reason. */
export interface OptionProblem {
  /** Key path inside the options object, e.g. `['faults', 'error_rate']`; empty for the root. */
  path: string[];
  /** Reason without the location, e.g. `expected a non-negative number, got "abc"`. */
  reason: string;
}

/** Option keys of the object at `path` (root or `faults`), for did-you-mean suggestions. */
export function optionKeysAt(path: readonly string[]): string[] {
  if (path.length === 0) return Object.keys(SimOptionsBaseSchema.shape);
  if (path.length === 1 && path[0] === 'faults') return Object.keys(SimFaultsSchema.shape);
  return [];
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const lower = name.toLowerCase();
    let d = editDistance(lower, c.toLowerCase());
    // A truncated name (`itl` for `itl_ms`) is a likely typo too.
    if (lower.length >= 3 && c.toLowerCase().startsWith(lower)) d = Math.min(d, 1);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/**
 * Turns the first zod issue into an {@link OptionProblem}. `got` overrides the offending value
 * shown in the message (the CLI passes the raw flag text so the user sees what they typed).
 */
export function describeIssue(error: z.ZodError, input: unknown, got?: (path: string[]) => string | undefined): OptionProblem {
  const issue = error.issues[0];
  if (!issue) return { path: [], reason: 'invalid options' };
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const hint = didYouMean(key, optionKeysAt(path));
    return { path: [...path, key], reason: `unknown key${hint ? ` (did you mean ${hint}?)` : ''}` };
  }
  const shown = got?.(path) ?? formatValue(valueAt(input, issue.path));
  return { path, reason: shown === undefined ? issue.message : `${issue.message}, got ${shown}` };
}

function formatValue(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** Validation failure of options passed from code or a file, as a {@link ConfigError}. */
export function optionsError(source: string, error: z.ZodError, input: unknown): ConfigError {
  const p = describeIssue(error, input);
  return new ConfigError(source, p.path.join('.'), p.reason);
}
