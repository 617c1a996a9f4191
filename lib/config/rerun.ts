/**
 * Reading back a run folder's `config.yaml` for `vitest-llm-d rerun`, which sets
 * `BENCH_RERUN=<run folder>` so each suite file's scenarios are taken from the folder instead of
 * the suite's own files. `lib/run-folder/resolved-config.ts` writes the file.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../errors/config-error.ts';
import { isSecretName, REDACTED } from './redact.ts';
import { settings } from '../settings/registry.ts';

/** The `schema` of a run folder's `config.yaml`. */
export const RESOLVED_CONFIG_SCHEMA = 'vitest-llm-d/resolved-config@1';

/** The parsed `config.yaml` of a run folder. */
export interface ResolvedConfig {
  schema: typeof RESOLVED_CONFIG_SCHEMA;
  suite: string;
  run: string;
  /** Test files of the suite that ran, relative to the working directory. */
  test_files: string[];
  /** `BENCH_*` settings of the run (secret-looking ones not repeated: `***`). */
  settings: Record<string, string>;
  /** Secret-looking variables that were set (names only; a rerun needs them from the caller's environment). */
  secrets: string[];
  /** Targets measured (for reading; `settings` selects the target on a rerun). */
  targets: Array<{ name: string; kind: string; origin: string; base_url: string; model: string }>;
  /** Per scenario file: its scenarios as they ran, its custom SLO profiles and simulator settings. */
  files: Record<string, { scenarios: Record<string, unknown>; slo_profiles?: Record<string, unknown>; simulator?: Record<string, unknown> }>;
}

/** Settings that describe this machine or this invocation, not the run: not repeated. */
const NOT_REPEATED = new Set([
  'BENCH_RERUN', 'BENCH_RESULTS_DIR', 'BENCH_PUBLISH',
  // A distributed run's per-process wiring (lib/distributed/README.md), not settings of the run.
  'BENCH_RUN_STAMP', 'BENCH_RUN_ID', 'BENCH_SHARE', 'BENCH_MERGE', 'BENCH_COORDINATOR', 'BENCH_COORDINATOR_PORT',
  'BENCH_CLOCK_OFFSET_MS', 'BENCH_CLOCK_OFFSET_BOUND_MS', 'BENCH_PARALLELISM', 'BENCH_LAUNCH_STREAM',
]);

/** Reads a run folder's `config.yaml`; errors name the file and what is wrong. */
export function readResolvedConfig(folder: string): ResolvedConfig & { path: string } {
  const path = join(resolve(folder), 'config.yaml');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found (is this a run folder written by vitest-llm-d 0.1 or later? it needs config.yaml)' : (err as Error).message;
    throw new ConfigError(path, '', why);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(path, '', `not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const c = doc as Partial<ResolvedConfig> | null;
  if (!c || typeof c !== 'object' || c.schema !== RESOLVED_CONFIG_SCHEMA) {
    throw new ConfigError(path, 'schema', `expected ${RESOLVED_CONFIG_SCHEMA}, got ${JSON.stringify(c && typeof c === 'object' ? c.schema : c)}`);
  }
  if (!Array.isArray(c.test_files) || c.test_files.length === 0) throw new ConfigError(path, 'test_files', 'no test files recorded');
  return { ...(c as ResolvedConfig), settings: c.settings ?? {}, secrets: c.secrets ?? [], files: c.files ?? {}, targets: c.targets ?? [], path };
}

/**
 * The environment of a rerun: the recorded settings (except those naming this machine's folders
 * and the secrets, which must come from the caller's environment), then the caller's own
 * environment on top (so `BENCH_NUM_REQUESTS=5` still shortens a rerun), then `BENCH_RERUN`.
 * Returns the environment, and the recorded settings that were not repeated and why.
 */
export function rerunEnv(config: ResolvedConfig & { path: string }, folder: string, env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; notRepeated: string[] } {
  const out: NodeJS.ProcessEnv = {};
  const notRepeated: string[] = [];
  for (const [k, v] of Object.entries(config.settings)) {
    if (NOT_REPEATED.has(k) || v === REDACTED || isSecretName(k)) continue;
    out[k] = v;
  }
  for (const k of config.secrets) if (!env[k]) notRepeated.push(`${k} (a secret: set it in your environment)`);
  return { env: { ...out, ...env, BENCH_RERUN: resolve(folder) }, notRepeated };
}

/**
 * The scenarios a rerun takes from its folder for one scenario file (`source` as messages show
 * it), or null when `BENCH_RERUN` is unset or the folder has none for that file.
 */
export function rerunScenarios(env: NodeJS.ProcessEnv, source: string): { folder: string; file: ResolvedConfig['files'][string] } | null {
  const folder = settings(env).get('BENCH_RERUN');
  if (folder === undefined) return null;
  const config = readResolvedConfig(folder);
  const file = config.files[source];
  return file ? { folder: resolve(folder), file } : null;
}
