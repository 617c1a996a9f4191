import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../../lib/errors/index.ts';
import { describeIssue, didYouMean } from './option-errors.ts';
import { fieldInfo, type FieldInfo } from '../../lib/config/schema/sim-option-types.ts';
import { SimOptionsBaseSchema, SimOptionsSchema, type SimOptions } from './options.ts';

/** The result of parsing `vitest-llm-d sim` arguments. */
export interface ParsedSimArgs {
  /** Validated options with the profile applied. */
  options: SimOptions;
  /** `--help` or `-h` was given: print {@link simHelp} instead of starting. */
  help: boolean;
}

interface Flag {
  /** Key path in the options object, e.g. `['faults', 'error_rate']`. */
  path: string[];
  info: FieldInfo;
}

const SOURCE = 'sim';

/** Every option as a CLI flag: kebab-case keys, dotted for nested objects (`faults.error-rate`). */
function collectFlags(shape: Record<string, z.ZodType>, prefix: string[] = [], out = new Map<string, Flag>()): Map<string, Flag> {
  for (const [key, schema] of Object.entries(shape)) {
    const info = fieldInfo(schema);
    const path = [...prefix, key];
    if (info.kind === 'object' && info.shape) collectFlags(info.shape, path, out);
    else out.set(path.map((k) => k.replaceAll('_', '-')).join('.'), { path, info });
  }
  return out;
}

const FLAGS = collectFlags(SimOptionsBaseSchema.shape);

function coerce(raw: string, info: FieldInfo): unknown {
  if (info.nullable && raw === 'null') return null;
  switch (info.kind) {
    case 'number':
      return raw.trim() === '' ? Number.NaN : Number(raw);
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      return raw;
    case 'number[]':
      return raw.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)));
    case 'string[]':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let o = target;
  for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[path[path.length - 1]!] = value;
}

function loadConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, '', `not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(file, '', 'expected a mapping of options');
  return parsed as Record<string, unknown>;
}

/** The environment variable that turns on vLLM's development endpoints. */
export const DEV_MODE_ENV = 'VLLM_SERVER_DEV_MODE';

/**
 * `dev_mode` from `VLLM_SERVER_DEV_MODE` as vLLM reads it (`bool(int(value))`: an integer, true
 * unless 0); undefined when unset.
 */
export function devModeFromEnv(env: NodeJS.ProcessEnv): boolean | undefined {
  const raw = env[DEV_MODE_ENV];
  if (raw === undefined) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new ConfigError(SOURCE, DEV_MODE_ENV, `expected an integer (0 or 1), got ${JSON.stringify(raw)}`);
  return Number(raw) !== 0;
}

/**
 * Parses `vitest-llm-d sim` flags into validated options. Flags are the option keys in
 * kebab-case (`--itl-ms 150`, `--models a,b`, `--faults.error-rate 0.1`, `--prefix-caching false`
 * or `--no-prefix-caching`, `--flag=value`); `--config file.yaml|json` loads options from a file
 * first and flags override it. `dev_mode`, when neither sets it, comes from `VLLM_SERVER_DEV_MODE`
 * in `env` as vLLM reads it. Throws a {@link ConfigError} whose message is one line naming the
 * flag: `sim: --itl-ms: expected a non-negative number, got "abc"`.
 */
export function parseSimArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedSimArgs {
  const flags: Record<string, unknown> = {};
  const raw = new Map<string, string>();
  let file: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new ConfigError(SOURCE, arg, 'unexpected argument (options start with --)');
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) [name, value] = [name.slice(0, eq), name.slice(eq + 1)];
    let flag = FLAGS.get(name);
    if (!flag && name.startsWith('no-') && FLAGS.get(name.slice(3))?.info.kind === 'boolean' && value === undefined) {
      flag = FLAGS.get(name.slice(3));
      value = 'false';
    }
    if (name === 'config') {
      file = value ?? argv[++i];
      if (file === undefined) throw new ConfigError(SOURCE, '--config', 'expected a file path');
      continue;
    }
    if (!flag) {
      const hint = didYouMean(name, [...FLAGS.keys(), 'config', 'help']);
      throw new ConfigError(SOURCE, `--${name}`, `unknown option${hint ? ` (did you mean --${hint}?)` : ''}`);
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (flag.info.kind === 'boolean' && (next === undefined || next.startsWith('-'))) value = 'true';
      else if (next === undefined) throw new ConfigError(SOURCE, `--${name}`, 'expected a value');
      else value = argv[++i]!;
    }
    setPath(flags, flag.path, coerce(value, flag.info));
    raw.set(flag.path.join('.'), value);
  }

  const fromFile = file === undefined ? {} : loadConfigFile(file);
  const merged: Record<string, unknown> = { ...fromFile, ...flags };
  if (fromFile.faults !== undefined || flags.faults !== undefined) {
    merged.faults = { ...(fromFile.faults as object | undefined), ...(flags.faults as object | undefined) };
  }
  if (merged.dev_mode === undefined) {
    const fromEnv = devModeFromEnv(env);
    if (fromEnv !== undefined) merged.dev_mode = fromEnv;
  }
  const result = SimOptionsSchema.safeParse(merged);
  if (!result.success) {
    // An issue inside a list (`faults.error_statuses.1`) belongs to the flag that set the list.
    const flagPath = (path: string[]): string[] | undefined => {
      for (let n = path.length; n > 0; n--) if (raw.has(path.slice(0, n).join('.'))) return path.slice(0, n);
      return undefined;
    };
    const problem = describeIssue(result.error, merged, (path) => {
      const p = flagPath(path);
      return p && JSON.stringify(raw.get(p.join('.')));
    });
    const fromFlag = flagPath(problem.path);
    if (fromFlag || file === undefined) {
      const flagName = (fromFlag ?? problem.path).map((k) => k.replaceAll('_', '-')).join('.');
      throw new ConfigError(SOURCE, flagName ? `--${flagName}` : '', problem.reason);
    }
    throw new ConfigError(file, problem.path.join('.'), problem.reason);
  }
  return { options: result.data, help };
}

const PLACEHOLDER: Record<FieldInfo['kind'], string> = {
  number: '<number>',
  boolean: '[true|false]',
  string: '<text>',
  enum: '<name>',
  'number[]': '<n,n,...>',
  'string[]': '<a,b,...>',
  object: '',
};

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** The `vitest-llm-d sim --help` text, generated from the options schema. */
export function simHelp(): string {
  const out = [
    'Usage: vitest-llm-d sim [--config file.yaml|json] [--<option> <value> ...]',
    '',
    'Runs the embedded vLLM-compatible SIMULATOR in the foreground (Ctrl-C stops it).',
    'Its numbers are simulated: they never describe real hardware.',
    '',
    'Options (kebab-case of the config keys; nested keys are dotted):',
    '  --config <file>',
    '      YAML or JSON file of options (snake_case keys); flags override it.',
    '  --help, -h',
    '      Print this help.',
  ];
  for (const [name, flag] of FLAGS) {
    const values = flag.info.values ? `<${flag.info.values.join('|')}>` : PLACEHOLDER[flag.info.kind];
    out.push(`  --${name} ${values}`, ...wrap(flag.info.description, 92, '      '));
  }
  return `${out.join('\n')}\n`;
}

/** Every CLI flag name (without `--`), for tests and shell completion. */
export function simFlagNames(): string[] {
  return [...FLAGS.keys()];
}
