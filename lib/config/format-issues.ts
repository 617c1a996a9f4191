/**
 * Turning zod's validation issues into the one-line errors users see:
 * `targets.yaml: targets[1].base_url: required`,
 * `targets.yaml: targets[0]: unknown key "base_ur" (did you mean "base_url"?)`.
 * With several issues the first is shown in full and the rest by path:
 * `... (and 2 more: targets[2].api, scenarios.quick.load)`.
 *
 * Messages are produced by a per-parse zod error map, so any message a schema sets itself
 * (`z.string().regex(re, 'must be ...')`) wins over these defaults. Values are quoted in
 * messages only through `redactText`, so a value that came from a secret never appears.
 */
import type { z } from 'zod';
import { ConfigError } from '../errors/config-error.ts';
import { closestName, didYouMean, quoteList } from './closest-name.ts';
import { redactText } from './redact.ts';

/** One validation problem: where it is and why. */
interface ConfigIssue {
  /** Path inside the file, `targets[1].base_url`; empty for the top level. */
  path: string;
  /** Why it is wrong, one clause: `required`, `expected a number, got "ten"`. */
  reason: string;
}

type RawIssue = z.core.$ZodRawIssue;

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;
const MAX_LISTED_PATHS = 5;

/** `['targets', 1, 'base_url']` → `targets[1].base_url`; odd keys are quoted: `headers["a.b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (PLAIN_KEY.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/**
 * Validates `value` against `schema` and returns zod's output, or throws one `ConfigError`
 * naming `source` and the first issue's path. Secrets are redacted from the message.
 */
export function validateConfig<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: { source: string; secrets?: readonly string[] },
): z.output<S> {
  const secrets = options.secrets ?? [];
  const knownKeys = new Map<string, string[]>();
  const context: MessageContext = { knownKeys, show: (v) => show(v, secrets) };
  const result = schema.safeParse(value, { error: (issue) => issueMessage(issue, context) });
  if (result.success) return result.data;
  const issues = describeIssues(result.error.issues, knownKeys);
  const [first, ...rest] = issues;
  if (!first) throw new ConfigError(options.source, '', 'invalid configuration');
  let reason = first.reason;
  if (rest.length > 0) {
    const paths = [...new Set(rest.map((i) => i.path || '(top level)'))];
    const shown = paths.slice(0, MAX_LISTED_PATHS).join(', ') + (paths.length > MAX_LISTED_PATHS ? ', …' : '');
    reason += ` (and ${rest.length} more: ${shown})`;
  }
  throw new ConfigError(options.source, redactText(first.path, secrets), redactText(reason, secrets));
}

/**
 * Issues as `{ path, reason }`, in zod's order, with each unknown key reported on its own and a
 * `required` issue dropped when an unknown key in the same object is its likely misspelling
 * (`base_ur` for a missing `base_url` is one mistake, not two).
 */
function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  knownKeys: ReadonlyMap<string, string[]>,
): ConfigIssue[] {
  const out: Array<ConfigIssue & { covers?: string }> = [];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    if (issue.code !== 'unrecognized_keys') {
      out.push({ path, reason: issue.message });
      continue;
    }
    const known = knownKeys.get(path) ?? [];
    for (const key of issue.keys) {
      const guess = closestName(key, known);
      if (guess === undefined) out.push({ path, reason: `unknown key "${key}"` });
      else {
        const covers = formatPath([...issue.path, guess]);
        out.push({ path, reason: `unknown key "${key}" (did you mean "${guess}"?)`, covers });
      }
    }
  }
  const covered = new Set(out.flatMap((i) => (i.covers ? [i.covers] : [])));
  return out
    .filter((i) => !(covered.has(i.path) && i.reason.startsWith('required')))
    .map(({ path, reason }) => ({ path, reason }));
}

/** What the error map needs besides the issue. */
interface MessageContext {
  /** Filled in: the keys each strict object knows, by path, for "did you mean". */
  knownKeys: Map<string, string[]>;
  /** Describes an input value for "got ...", with secrets redacted. */
  show: (value: unknown) => string;
}

/** The error map: one clause per issue code, in the words of a YAML file (list, mapping). */
function issueMessage(issue: RawIssue, { knownKeys, show }: MessageContext): string | undefined {
  const path = formatPath(issue.path ?? []);
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : `expected ${noun(issue.expected)}, got ${show(issue.input)}`;
    case 'too_small':
      return tooSmall(origin(issue), Number(issue.minimum), issue.inclusive !== false, show(issue.input));
    case 'too_big':
      return tooBig(origin(issue), Number(issue.maximum), issue.inclusive !== false, show(issue.input));
    case 'invalid_value':
      return oneOf(issue.values.map(String), issue.input, show);
    case 'invalid_union': {
      if (issue.discriminator === undefined) return 'does not match any allowed form';
      const input = issue.input as Record<string, unknown> | undefined;
      const options = (Array.isArray(issue.options) ? (issue.options as unknown[]) : []).map(String);
      const value = input?.[issue.discriminator];
      // A misspelt discriminator stops zod before it sees the key, so name the likely typo here.
      const typo = value === undefined && input ? Object.keys(input).find((k) => didYouMean(k, [issue.discriminator!])) : undefined;
      const hint = typo === undefined ? '' : ` (found unknown key "${typo}": did you mean "${issue.discriminator}"?)`;
      return oneOf(options, value, show) + hint;
    }
    case 'unrecognized_keys': {
      const shape = (issue.inst?._zod.def as { shape?: Record<string, unknown> } | undefined)?.shape;
      knownKeys.set(path, shape ? Object.keys(shape) : []);
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${quoteList(issue.keys)}`;
    }
    case 'invalid_format':
      if (issue.format === 'regex' && issue.pattern) return `must match ${issue.pattern}`;
      return `expected a valid ${issue.format}`;
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}, got ${show(issue.input)}`;
    case 'invalid_key': {
      const inner = (issue.issues as ReadonlyArray<{ message?: string }> | undefined)?.[0]?.message;
      return `invalid key${inner ? `: ${inner}` : ''}`;
    }
    default:
      return undefined;
  }
}

/** `int` for an integer schema's bounds (zod reports them with origin `number`). */
function origin(issue: RawIssue & { origin: string }): string {
  const format = (issue.schema as { format?: unknown } | undefined)?.format;
  return issue.origin === 'number' && typeof format === 'string' && format.includes('int') ? 'int' : issue.origin;
}

function oneOf(options: string[], input: unknown, show: (value: unknown) => string): string {
  if (input === undefined) return `required: one of ${quoteList(options)}`;
  const hint = typeof input === 'string' ? didYouMean(input, options) : '';
  return `expected one of ${quoteList(options)}, got ${show(input)}${hint}`;
}

function tooSmall(origin: string, min: number, inclusive: boolean, got: string): string {
  if (origin === 'array' || origin === 'set') return `expected at least ${min} item${min === 1 ? '' : 's'}`;
  if (origin === 'string') return min <= 1 ? 'must not be empty' : `expected at least ${min} characters`;
  const kind = origin === 'int' ? 'an integer' : 'a number';
  if (min === 0 && !inclusive) return `expected a positive ${origin === 'int' ? 'integer' : 'number'}, got ${got}`;
  return `expected ${kind} ${inclusive ? '>=' : '>'} ${min}, got ${got}`;
}

function tooBig(origin: string, max: number, inclusive: boolean, got: string): string {
  if (origin === 'array' || origin === 'set') return `expected at most ${max} item${max === 1 ? '' : 's'}`;
  if (origin === 'string') return `expected at most ${max} characters`;
  return `expected ${origin === 'int' ? 'an integer' : 'a number'} ${inclusive ? '<=' : '<'} ${max}, got ${got}`;
}

/** How an expected type reads in a message (`expected a list`). */
export const NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  tuple: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function noun(expected: string): string {
  return NOUNS[expected] ?? expected;
}

/**
 * A short description of an input value for "got ...": scalars quoted (secrets redacted before
 * long strings are shortened, so no prefix of a secret survives), collections by kind only.
 */
function show(value: unknown, secrets: readonly string[]): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value !== 'string') return redactText(String(value), secrets);
  const text = redactText(value, secrets);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
