/**
 * Every problem of a well-lit-path config, collected and thrown as one `ConfigError` that lists
 * them all by full path, so one run shows everything to fix:
 *
 * ```
 * config.yaml: 2 problems (nothing was run):
 *   workload.chatbot.load.num_workers: not supported (vitest-llm-d sizes its own workers)
 *   workload.chatbot.data.type: "mock": not supported (...)
 * ```
 *
 * Unknown keys are named with a "did you mean"; known but unsupported keys with their reason
 * (`key-policy.ts`). Values are quoted only through `redactText`, so a secret never appears.
 */
import type { z } from 'zod';
import { ConfigError } from '../../errors/config-error.ts';
import { closestName, quoteList } from '../closest-name.ts';
import { formatPath } from '../format-issues.ts';
import { redactText } from '../redact.ts';
import { ruleFor } from './key-policy.ts';
import { NOUNS } from '../format-issues.ts';

/** One problem: where, and why. */
export interface WellLitIssue {
  path: string;
  reason: string;
}

type RawIssue = z.core.$ZodRawIssue;

/** Collects the problems of one file. */
export class IssueList {
  readonly items: WellLitIssue[] = [];

  constructor(
    /** The file as shown in messages. */
    readonly source: string,
    /** Values never to show. */
    readonly secrets: string[] = [],
  ) {}

  /** Records a problem at `path`. */
  add(path: readonly PropertyKey[], reason: string): void {
    this.items.push({ path: formatPath(path), reason: redactText(reason, this.secrets) });
  }

  /**
   * Validates `value` (found at `at` in the file) against `schema`; records every issue and
   * returns the output, or `undefined` when anything failed.
   */
  parse<S extends z.ZodType>(schema: S, value: unknown, at: readonly PropertyKey[]): z.output<S> | undefined {
    const known = new Map<string, string[]>();
    const result = schema.safeParse(value, { error: (issue) => this.message(issue, known) });
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const path = [...at, ...issue.path];
      if (issue.code !== 'unrecognized_keys') {
        this.add(path, issue.message);
        continue;
      }
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const rule = ruleFor(keyPath);
        if (rule?.status === 'rejected') this.add(keyPath, `not supported (${rule.reason})`);
        else {
          const guess = closestName(key, known.get(formatPath(issue.path)) ?? []);
          this.add(keyPath, `unknown key${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`);
        }
      }
    }
    return undefined;
  }

  /** Removes the problems whose path (as shown: `workload.x.load.type`) `matches`. */
  drop(matches: (path: string) => boolean): void {
    const keep = this.items.filter((i) => !matches(i.path));
    this.items.splice(0, this.items.length, ...keep);
  }

  /** Throws the one `ConfigError` listing every problem, if there is any. */
  throwIfAny(): void {
    const [first, ...rest] = this.items;
    if (!first) return;
    if (rest.length === 0) throw new ConfigError(this.source, first.path, first.reason);
    const lines = this.items.map((i) => `  ${i.path || '(top level)'}: ${i.reason}`);
    throw new ConfigError(this.source, '', `${this.items.length} problems (nothing was run):\n${lines.join('\n')}`);
  }

  /** The error map: one clause per issue, values redacted. */
  private message(issue: RawIssue, known: Map<string, string[]>): string | undefined {
    const show = (v: unknown): string => {
      if (v === null) return 'an empty value';
      if (Array.isArray(v)) return 'a list';
      if (typeof v === 'object') return 'a mapping';
      const text = redactText(String(v), this.secrets);
      return typeof v === 'string' ? JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text) : text;
    };
    switch (issue.code) {
      case 'invalid_type':
        return issue.input === undefined ? 'required' : `expected ${NOUNS[issue.expected] ?? issue.expected}, got ${show(issue.input)}`;
      case 'too_small':
        if (issue.origin === 'array') return `expected at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
        if (issue.origin === 'string') return 'must not be empty';
        return `expected a number ${issue.inclusive === false ? '>' : '>='} ${issue.minimum}, got ${show(issue.input)}`;
      case 'too_big':
        if (issue.origin === 'array') return `expected at most ${issue.maximum} items`;
        return `expected a number ${issue.inclusive === false ? '<' : '<='} ${issue.maximum}, got ${show(issue.input)}`;
      case 'invalid_value':
        return `expected ${quoteList(issue.values.map(String))}, got ${show(issue.input)}`;
      case 'invalid_union':
        return 'does not match any allowed form';
      case 'invalid_format':
        return issue.format === 'regex' && issue.pattern ? `must match ${issue.pattern}` : `expected a valid ${issue.format}`;
      case 'unrecognized_keys': {
        const shape = (issue.inst?._zod.def as { shape?: Record<string, unknown> } | undefined)?.shape;
        known.set(formatPath(issue.path ?? []), shape ? Object.keys(shape) : []);
        return `unknown keys ${quoteList(issue.keys)}`;
      }
      default:
        return undefined;
    }
  }
}

