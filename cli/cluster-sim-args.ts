/**
 * Command-line arguments of `vitest-llm-d cluster-sim`: every cluster simulator option as a
 * kebab-case flag (`--gpus-per-node 4`), nested ones dotted (`--timing.vllm-load-ms 30000`,
 * `--dual-pods.sleeper-limit 1`), `--no-dual-pods` to run without the controller, and
 * `--config <file>` for a YAML or JSON file of options that flags then override. Values are
 * coerced by the option's type and validated by the same schema as code, so every source gives
 * the same one-line error.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { closestName } from '../lib/config/closest-name.ts';
import { ConfigError } from '../lib/errors/index.ts';
import { DualPodsOptionsSchema } from '../sim/cluster/behaviour/dual-pods/index.ts';
import { ClusterSimOptionsSchema, resolveClusterSimOptions, type ClusterSimOptions } from '../sim/cluster/cluster-options.ts';
import { fieldInfo, type FieldInfo } from '../lib/config/schema/sim-option-types.ts';

/** The parsed command line. */
export interface ParsedClusterSimArgs {
  options: ClusterSimOptions;
  /** `--help` / `-h` was given. */
  help: boolean;
}

interface Flag {
  path: string[];
  info: FieldInfo;
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function collect(shape: Record<string, z.ZodType>, prefix: string[], out: Map<string, Flag>): void {
  for (const [key, schema] of Object.entries(shape)) {
    const info = fieldInfo(schema);
    const path = [...prefix, key];
    if (info.kind === 'object' && info.shape) collect(info.shape, path, out);
    else out.set(path.map(kebab).join('.'), { path, info });
  }
}

function flags(): Map<string, Flag> {
  const out = new Map<string, Flag>();
  const top: Record<string, z.ZodType> = { ...ClusterSimOptionsSchema.shape };
  delete top.dualPods;
  collect(top, [], out);
  collect(DualPodsOptionsSchema.shape as Record<string, z.ZodType>, ['dualPods'], out);
  return out;
}

const FLAGS = flags();

function coerce(flag: string, raw: string, info: FieldInfo): unknown {
  if (info.nullable && raw === 'null') return null;
  if (info.kind === 'number') {
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (Number.isNaN(n)) throw new ConfigError('cluster-sim', `--${flag}`, `expected a number, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (info.kind === 'boolean') {
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    throw new ConfigError('cluster-sim', `--${flag}`, `expected true or false, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let o = target;
  for (const k of path.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[path[path.length - 1]!] = value;
}

function readConfig(file: string): Record<string, unknown> {
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

/** Parses `cluster-sim` arguments; throws a `ConfigError` with one clear line on a bad flag or value. */
export function parseClusterSimArgs(argv: readonly string[]): ParsedClusterSimArgs {
  let base: Record<string, unknown> = {};
  let source = 'cluster-sim';
  const set: Array<[string[], unknown]> = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { options: resolveClusterSimOptions({}), help: true };
    if (!arg.startsWith('--')) throw new ConfigError('cluster-sim', '', `unexpected argument ${JSON.stringify(arg)} (options are --name value)`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === 'no-dual-pods') {
      set.push([['dualPods'], false]);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (name === 'config') {
      if (value === undefined) throw new ConfigError('cluster-sim', '--config', 'expected a file name');
      base = readConfig(value);
      source = value;
      continue;
    }
    const flag = FLAGS.get(name);
    if (!flag) {
      const hint = closestName(name, [...FLAGS.keys(), 'config', 'no-dual-pods']);
      throw new ConfigError('cluster-sim', `--${name}`, `unknown option${hint ? ` (did you mean --${hint}?)` : ''}`);
    }
    if (value === undefined) throw new ConfigError('cluster-sim', `--${name}`, 'expected a value');
    set.push([flag.path, coerce(name, value, flag.info)]);
  }
  const input = structuredClone(base);
  for (const [path, value] of set) {
    if (path[0] === 'dualPods' && input.dualPods === false && path.length > 1) input.dualPods = {};
    setPath(input, path, value);
  }
  return { options: resolveClusterSimOptions(input, source === 'cluster-sim' ? 'cluster-sim' : source), help: false };
}

/** The `--help` text: every flag with its description (which states the default). */
export function clusterSimHelp(): string {
  const lines = ['Usage: vitest-llm-d cluster-sim [--config file] [--<option> value ...]', '', 'Runs the embedded Kubernetes cluster simulator in the foreground and prints its kubeconfig.', '', 'Options:'];
  const rows: Array<[string, string]> = [
    ['--config <file>', 'YAML or JSON file of options (camelCase keys as below); flags override it.'],
    ['--no-dual-pods', 'Run without the dual-pods controller and launcher populator.'],
    ...[...FLAGS.entries()].map(([name, f]): [string, string] => [`--${name} <${f.info.kind === 'enum' ? (f.info.values ?? []).join('|') : f.info.kind}>`, f.info.description]),
  ];
  const width = Math.min(44, Math.max(...rows.map(([a]) => a.length)));
  for (const [a, b] of rows) lines.push(`  ${a.padEnd(width)}  ${b}`);
  return `${lines.join('\n')}\n`;
}
