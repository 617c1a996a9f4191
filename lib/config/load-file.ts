/**
 * Loading one YAML config file: read, parse, substitute `${VAR}`, validate. Each step fails
 * with one line naming the file: `targets.yaml: file not found`,
 * `targets.yaml:4:3: invalid YAML: Map keys must be unique`,
 * `targets.yaml: targets[0].headers.Authorization: environment variable API_TOKEN is not set`,
 * `targets.yaml: targets[1]: unknown key "base_ur" (did you mean "base_url"?)`.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { LineCounter, parseDocument, visit } from 'yaml';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors/config-error.ts';
import { validateConfig } from './format-issues.ts';
import { substituteDocument } from './substitute.ts';
import type { Env } from './substitute.ts';

/** How to load a config file. */
export interface LoadOptions {
  /** Environment for `${VAR}` substitution. */
  env: Env;
  /** Directory relative paths are resolved against, and shown relative to (default `process.cwd()`). */
  cwd?: string;
  /** Name to show in errors instead of the path relative to `cwd`. */
  source?: string;
  /** Added to a "file not found" error to say who named the file, e.g. `named by BENCH_TARGETS_FILE`. */
  namedBy?: string;
}

/** A validated config file. */
export interface LoadedConfig<T> {
  /** The validated config, defaults filled in. */
  value: T;
  /** The file as shown in messages, e.g. `targets.yaml` or `suites/latency/latency.yaml`. */
  source: string;
  /** Absolute path of the file. */
  path: string;
  /** Values substituted from secret-looking variables; redact them wherever the config is shown. */
  secrets: string[];
}

/**
 * Reads, parses, substitutes and validates one YAML file against `schema`; throws `ConfigError`
 * at the first step that fails.
 */
export function loadConfigFile<S extends z.ZodType>(
  file: string,
  schema: S,
  options: LoadOptions,
): LoadedConfig<z.output<S>> {
  const cwd = options.cwd ?? process.cwd();
  const path = resolve(cwd, file);
  const source = options.source ?? displayPath(path, cwd);
  const text = readConfigText(path, source, options.namedBy);
  const doc = parseYamlDocument(text, source);
  const { secrets } = substituteDocument(doc, options.env, source);
  const data = documentToValue(doc, source);
  const value = validateConfig(schema, data, { source, secrets });
  return { value, source, path, secrets };
}

/** `path` relative to `cwd` when it lies inside it, else absolute: how files are named in messages. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** The text of a file, or `ConfigError` `<source>: file not found` (or the OS's reason). */
export function readConfigText(path: string, source: string, namedBy?: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'file not found'
      : code === 'EACCES' ? 'permission denied'
      : code === 'EISDIR' ? 'is a directory, not a file'
      : `cannot read file: ${(err as Error).message}`;
    throw new ConfigError(source, '', namedBy ? `${reason} (${namedBy})` : reason, { cause: err });
  }
}

/**
 * Parses YAML text into a document (one per file), or throws `ConfigError` with source
 * `<source>:<line>:<column>` and the parser's reason for the first syntax error.
 */
export function parseYamlDocument(text: string, source: string): Document {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const [first, ...rest] = doc.errors;
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    const more = rest.length > 0 ? ` (and ${rest.length} more)` : '';
    throw new ConfigError(`${source}:${line}:${col}`, '', `invalid YAML: ${first.message}${more}`);
  }
  if (doc.contents === null) throw new ConfigError(source, '', 'file is empty');
  visit(doc, {
    Alias(_key, alias) {
      if (alias.resolve(doc) !== undefined) return;
      const { line, col } = lineCounter.linePos(alias.range?.[0] ?? 0);
      throw new ConfigError(`${source}:${line}:${col}`, '', `invalid YAML: alias *${alias.source} has no anchor &${alias.source} before it`);
    },
  });
  return doc;
}

function documentToValue(doc: Document, source: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError(source, '', `invalid YAML: ${(err as Error).message}`, { cause: err });
  }
}
