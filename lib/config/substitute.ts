/**
 * Environment variable substitution in config files, as GNU gettext's `envsubst` does it
 * (gettext-runtime/src/envsubst.c, `subst_from_stdin`): `$NAME` and `${NAME}` are replaced, a
 * name being `[A-Za-z_][A-Za-z0-9_]*` (the longest run after `$`), and a `$` not followed by a
 * name or `{` stays as written (`$5`, `$(POD_IP)`, a trailing `$`). It runs on the parsed YAML
 * document, one string scalar at a time, never on the raw text, so a substituted value cannot
 * change the file's structure (a value containing `: ` or a newline stays one string). Map keys
 * are never substituted.
 *
 * Where this differs from envsubst, on purpose:
 * - an unset variable is a problem, not the empty string (a set but empty one substitutes "");
 * - `${NAME:-default}` gives the default when the variable is unset or empty;
 * - a doubled `$` in front of a reference makes it literal: `$${NAME}` is `${NAME}`, `$$NAME`
 *   is `$NAME`; any other `$$` stays `$$`;
 * - a `${` that is not a well-formed reference (`${1X}`, `${X:def}`, no `}`) is a problem.
 *
 * Problems are collected, never thrown one at a time: `substituteDocumentCollect` returns them
 * all with their paths; `substituteDocument` throws one `ConfigError` listing them all. A caller
 * may say where an unset variable does not matter (`unsetAllowed`); such a value keeps its
 * unset references as written, and is reported under `kept`.
 *
 * A plain (unquoted) scalar that contained a reference is re-read as YAML would read it once
 * substituted, so `concurrency: ${CONCURRENCY:-8}` is the number 8; quote it (`"${PORT}"`) to
 * keep a string.
 */
import { isAlias, isMap, isScalar, isSeq, parse as parseYaml } from 'yaml';
import type { Document, Scalar } from 'yaml';
import { ConfigError } from '../errors/config-error.ts';
import { formatPath } from './format-issues.ts';
import { isSecretName } from './redact.ts';
import type { Env } from '../settings/setting.ts';

/** Environment to substitute from: `process.env` or a test's own record. */
export type { Env } from '../settings/setting.ts';

/** Where a string sits, for error messages: the file and the path inside it. */
export interface SubstitutionSite {
  /** File name as shown to the user, e.g. `targets.yaml`. */
  source: string;
  /** Path inside the file, e.g. `targets[0].headers.Authorization`. */
  path: string;
}

/**
 * Which references are read. `envsubst` (the default): `$NAME` and `${NAME}`. `braced`: only
 * `${NAME}`, every bare `$` is literal; for Kubernetes manifests, whose `$NAME` belongs to the
 * container's shell.
 */
export type SubstitutionSyntax = 'envsubst' | 'braced';

/** A string after substitution. */
export interface Substituted {
  /** The string with every reference replaced; a reference to an unset variable stays as written. */
  value: string;
  /** Number of references replaced (escapes and unset variables not counted). */
  references: number;
  /** Values taken from environment variables whose names look secret (see `isSecretName`); defaults excluded. */
  secrets: string[];
  /** Unset variables referenced without a default, once each, in order of appearance. */
  unset: string[];
  /** Malformed references, one clause each: `unterminated "${" ...`. */
  malformed: string[];
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const BRACED = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^]*))?$/;

/** Substitutes the references in one string, collecting every problem. */
export function substituteText(text: string, env: Env, syntax: SubstitutionSyntax = 'envsubst'): Substituted {
  const out: Substituted = { value: '', references: 0, secrets: [], unset: [], malformed: [] };
  const startsReference = (at: number): boolean => text[at] === '{' || (syntax === 'envsubst' && nameAt(text, at) !== undefined);
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '$') {
      out.value += text[i];
      i += 1;
    } else if (text[i + 1] === '$' && startsReference(i + 2)) {
      out.value += '$'; // the escape: what follows is copied as plain text
      i += 2;
    } else if (text[i + 1] === '{') {
      i = braced(text, i, env, out);
    } else {
      const name = syntax === 'envsubst' ? nameAt(text, i + 1) : undefined;
      if (name === undefined) {
        out.value += '$';
        i += 1;
      } else {
        resolve(name, undefined, `$${name}`, env, out);
        i += 1 + name.length;
      }
    }
  }
  out.unset = [...new Set(out.unset)];
  return out;
}

/** `${...}` at `start`; returns where scanning continues. */
function braced(text: string, start: number, env: Env, out: Substituted): number {
  const close = text.indexOf('}', start + 2);
  if (close < 0) {
    out.malformed.push('unterminated "${" (write "$${" for a literal "${")');
    out.value += text.slice(start);
    return text.length;
  }
  const inner = text.slice(start + 2, close);
  const match = BRACED.exec(inner);
  if (!match) {
    out.malformed.push(`invalid variable reference "\${${inner}}": expected \${NAME} or \${NAME:-default}`);
    out.value += text.slice(start, close + 1);
  } else resolve(match[1]!, match[2], text.slice(start, close + 1), env, out);
  return close + 1;
}

function resolve(name: string, fallback: string | undefined, written: string, env: Env, out: Substituted): void {
  const set = env[name];
  if (fallback !== undefined && (set === undefined || set === '')) out.value += fallback;
  else if (set !== undefined) {
    out.value += set;
    // Only values from the environment: a default is written in the file for all to see.
    if (set !== '' && isSecretName(name)) out.secrets.push(set);
  } else {
    out.value += written;
    out.unset.push(name);
    return;
  }
  out.references += 1;
}

function nameAt(text: string, at: number): string | undefined {
  NAME.lastIndex = at;
  return NAME.exec(text)?.[0];
}

/** Substitutes the references in one string; throws one `ConfigError` naming `site` and every problem. */
export function substituteString(text: string, env: Env, site: SubstitutionSite, syntax?: SubstitutionSyntax): Substituted {
  const result = substituteText(text, env, syntax);
  const reasons = [...result.malformed, ...result.unset.map(unsetReason)];
  if (reasons.length > 0) throw new ConfigError(site.source, site.path, reasons.join('; '));
  return result;
}

/** One problem of a document, at the path where the value is written. */
export interface SubstitutionProblem {
  path: PropertyKey[];
  reason: string;
  /** Every path the value appears at: `path`, then where aliases use it. */
  usedAt: PropertyKey[][];
}

/** A value left with references to unset variables because they do not matter where it is used: one per path. */
export interface KeptValue {
  path: PropertyKey[];
  /** The value: set variables substituted, unset ones as written. */
  value: string;
  /** The unset variables. */
  unset: string[];
  /** Why they do not matter there (from `unsetAllowed`). */
  reason: string;
}

/** What substituting a document found. */
export interface DocumentSubstitution {
  /** Secret-looking substituted values, once each: redact them wherever the config is shown. */
  secrets: string[];
  /** Every problem, in document order. */
  problems: SubstitutionProblem[];
  kept: KeptValue[];
}

/** How to substitute a document. */
export interface SubstituteOptions {
  syntax?: SubstitutionSyntax;
  /**
   * Why an unset variable in the value at `path` does not matter, or undefined when it does.
   * A value reached through aliases is asked about at every path it appears; it is kept only
   * when none of them needs it.
   */
  unsetAllowed?: (path: readonly PropertyKey[]) => string | undefined;
}

/**
 * Substitutes every string scalar of a parsed YAML document in place and returns every problem
 * with its path, the values kept with unset references, and the secret-looking values substituted.
 */
export function substituteDocumentCollect(doc: Document, env: Env, options: SubstituteOptions = {}): DocumentSubstitution {
  const result: DocumentSubstitution = { secrets: [], problems: [], kept: [] };
  for (const [scalar, paths] of scalarPaths(doc)) {
    const original = scalar.value as string;
    const sub = substituteText(original, env, options.syntax);
    const at = paths[0]!;
    result.secrets.push(...sub.secrets);
    for (const reason of sub.malformed) result.problems.push({ path: at, reason, usedAt: paths });
    if (sub.unset.length > 0) {
      const reasons = paths.map((p) => options.unsetAllowed?.(p));
      const needed = reasons.findIndex((r) => r === undefined);
      if (needed >= 0) {
        const where = needed === 0 ? '' : ` (the value is used at ${formatPath(paths[needed]!)})`;
        for (const name of sub.unset) result.problems.push({ path: at, reason: `${unsetReason(name)}${where}`, usedAt: paths });
        continue;
      }
      paths.forEach((p, i) => result.kept.push({ path: p, value: sub.value, unset: sub.unset, reason: reasons[i]! }));
      scalar.value = sub.value;
      continue;
    }
    if (sub.value === original) continue;
    scalar.value = scalar.type === 'PLAIN' && sub.references > 0 ? retype(sub.value) : sub.value;
  }
  result.secrets = [...new Set(result.secrets)];
  return result;
}

/**
 * Substitutes every string scalar of a parsed YAML document in place and returns the
 * secret-looking values it substituted, so errors and reports can redact them. Throws one
 * `ConfigError` naming every problem and its path.
 */
export function substituteDocument(doc: Document, env: Env, source: string, options: SubstituteOptions = {}): { secrets: string[] } {
  const { secrets, problems } = substituteDocumentCollect(doc, env, options);
  const [first, ...rest] = problems;
  if (!first) return { secrets };
  if (rest.length === 0) throw new ConfigError(source, formatPath(first.path), first.reason);
  const lines = problems.map((p) => `  ${formatPath(p.path) || '(top level)'}: ${p.reason}`);
  throw new ConfigError(source, '', `${problems.length} problems with environment variables:\n${lines.join('\n')}`);
}

function unsetReason(name: string): string {
  return `environment variable ${name} is not set`;
}

/** Alias expansion stops past this many visited nodes (the parser's alias limit reports such a file). */
const MAX_VISITS = 100_000;

/** Every string scalar with every path it appears at: where it is written first, then where aliases use it. */
function scalarPaths(doc: Document): Map<Scalar, PropertyKey[][]> {
  const out = new Map<Scalar, PropertyKey[][]>();
  const open = new Set<unknown>();
  let visits = 0;
  const walk = (node: unknown, path: PropertyKey[]): void => {
    if (++visits > MAX_VISITS || open.has(node)) return;
    if (isAlias(node)) {
      open.add(node);
      walk(node.resolve(doc), path);
      open.delete(node);
    } else if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        // A merge key (`<<: *base`) puts the merged entries at this map's own path.
        if (key === '<<' || typeof key === 'symbol') {
          if (isSeq(pair.value)) for (const item of pair.value.items) walk(item, path);
          else walk(pair.value, path);
        } else walk(pair.value, [...path, String(key)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, [...path, index]));
    } else if (isScalar(node) && typeof node.value === 'string') {
      const paths = out.get(node);
      if (paths) paths.push(path);
      else out.set(node, [path]);
    }
  };
  walk(doc.contents, []);
  return out;
}

/** A substituted plain scalar read as YAML reads plain scalars: numbers and booleans, else the string. */
function retype(text: string): unknown {
  try {
    const parsed: unknown = parseYaml(text);
    return typeof parsed === 'number' || typeof parsed === 'boolean' ? parsed : text;
  } catch {
    return text;
  }
}
