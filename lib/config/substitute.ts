/**
 * `${VAR}` substitution in config files. It runs on the parsed YAML document, one string scalar
 * at a time, never on the raw text, so a substituted value cannot change the file's structure
 * (a value containing `: ` or a newline stays one string). Map keys are never substituted.
 *
 * Forms: `${VAR}` (the variable; an error when it is unset), `${VAR:-default}` (the default
 * when the variable is unset or empty), `$${` (a literal `${`). A `$` anywhere else is literal.
 *
 * A plain (unquoted) scalar that contained a reference is re-read as YAML would read it once
 * substituted, so `concurrency: ${CONCURRENCY:-8}` is the number 8; quote it
 * (`"${PORT}"`) to keep a string.
 */
import { isMap, isScalar, isSeq, parse as parseYaml } from 'yaml';
import type { Document, Scalar } from 'yaml';
import { ConfigError } from '../errors/config-error.ts';
import { formatPath } from './format-issues.ts';
import { isSecretName } from './redact.ts';

/** Environment to substitute from: `process.env` or a test's own record. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where a string sits, for error messages: the file and the path inside it. */
export interface SubstitutionSite {
  /** File name as shown to the user, e.g. `targets.yaml`. */
  source: string;
  /** Path inside the file, e.g. `targets[0].headers.Authorization`. */
  path: string;
}

/** A string after substitution. */
export interface Substituted {
  /** The string with every reference replaced. */
  value: string;
  /** Number of `${...}` references replaced (escapes not counted). */
  references: number;
  /** Values taken from environment variables whose names look secret (see `isSecretName`); defaults excluded. */
  secrets: string[];
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^]*))?$/;

/**
 * Substitutes the references in one string. Throws `ConfigError` naming `site` for an unset
 * variable without a default, an unterminated `${` or a malformed reference.
 */
export function substituteString(text: string, env: Env, site: SubstitutionSite): Substituted {
  let value = '';
  let references = 0;
  const secrets: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      value += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      value += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) {
      throw new ConfigError(site.source, site.path, 'unterminated "${" (write "$${" for a literal "${")');
    }
    const inner = text.slice(i + 2, close);
    const match = REFERENCE.exec(inner);
    const name = match?.[1];
    if (!match || name === undefined) {
      throw new ConfigError(
        site.source,
        site.path,
        `invalid variable reference "\${${inner}}": expected \${NAME} or \${NAME:-default}`,
      );
    }
    const fallback = match[2];
    const set = env[name];
    let replacement: string;
    if (fallback !== undefined && (set === undefined || set === '')) replacement = fallback;
    else if (set !== undefined) {
      replacement = set;
      // Only values from the environment: a default is written in the file for all to see.
      if (set !== '' && isSecretName(name)) secrets.push(set);
    } else throw new ConfigError(site.source, site.path, `environment variable ${name} is not set`);
    value += replacement;
    references += 1;
    i = close + 1;
  }
  return { value, references, secrets };
}

/**
 * Substitutes every string scalar of a parsed YAML document in place and returns the
 * secret-looking values it substituted, so errors and reports can redact them.
 */
export function substituteDocument(doc: Document, env: Env, source: string): { secrets: string[] } {
  const secrets: string[] = [];
  walk(doc.contents, [], (scalar, path) => {
    const original = scalar.value as string;
    const result = substituteString(original, env, { source, path: formatPath(path) });
    secrets.push(...result.secrets);
    if (result.value === original) return;
    scalar.value = scalar.type === 'PLAIN' && result.references > 0 ? retype(result.value) : result.value;
  });
  return { secrets: [...new Set(secrets)] };
}

type Visit = (scalar: Scalar, path: PropertyKey[]) => void;

function walk(node: unknown, path: PropertyKey[], visit: Visit): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      walk(pair.value, [...path, key], visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => walk(item, [...path, index], visit));
  } else if (isScalar(node) && typeof node.value === 'string') {
    visit(node, path);
  }
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
