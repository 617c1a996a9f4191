/**
 * How every test loads its scenarios: one loader for a path, whatever the file. Which reader
 * reads it is decided by its top-level keys: `scenarios` is this tool's own scenario file
 * (`loadScenarioFile`), with `defaults` too an actuation file (`loadActuationFile`); anything
 * else is a config users already have, read as `BENCH_CONFIG` is (`loadWellLitConfig`: an
 * llm-d-benchmark config, a harness matrix, a bare inference-perf config) and prepared to run. A
 * test file's own scenarios sit beside it: `<test file>.yaml` (`suites/latency/latency.yaml` for
 * `suites/latency/latency.test.ts`).
 *
 * A set of benchmark scenarios carries the environment it runs in: the process's, plus a
 * config's `env` entries that the process does not set. Everything its tests read settings from
 * (target, provisioning, hooks, measuring) reads this one.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadActuationFile } from '../actuation/config.ts';
import { displayPath, parseYamlDocument, readConfigText } from '../config/load-file.ts';
import { loadScenarioFile } from '../config/resolve-scenarios.ts';
import type { Env } from '../config/substitute.ts';
import { loadWellLitConfig } from '../config/well-lit/load-config.ts';
import { prepareWellLitRun } from '../config/well-lit/prepare-run.ts';
import { TOP_LEVEL_MATRIX_KEYS } from '../config/well-lit/sections-schema.ts';
import type { ScenarioSet, SuiteConfig } from './scenario-set.ts';

/** What kind of file it is, and so which loader reads it. */
export type ConfigKind = 'scenarios' | 'actuation' | 'llm-d-benchmark' | 'harness-matrix' | 'inference-perf';

/** The loader for a file, from its top-level keys; a file that cannot be read goes to the config loader (kind null), which says why. */
export function scenarioFileKind(file: string, cwd: string): { kind: ConfigKind | null; reason: string } {
  let top: Record<string, unknown>;
  try {
    const path = resolve(cwd, file);
    const value: unknown = parseYamlDocument(readConfigText(path, file), file).toJS({ maxAliasCount: 1000 });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: null, reason: 'not a mapping of sections' };
    top = value as Record<string, unknown>;
  } catch {
    return { kind: null, reason: 'not readable as YAML' };
  }
  if ('scenarios' in top && 'defaults' in top) return { kind: 'actuation', reason: 'a vitest-llm-d actuation scenario file (top-level `defaults` and `scenarios`)' };
  if ('scenarios' in top) return { kind: 'scenarios', reason: 'a vitest-llm-d scenario file (top-level `scenarios`)' };
  if ('workload' in top) return { kind: 'llm-d-benchmark', reason: 'an llm-d-benchmark config (a `workload` section), read as BENCH_CONFIG is' };
  if (TOP_LEVEL_MATRIX_KEYS.some((k) => k in top)) return { kind: 'harness-matrix', reason: 'a harness matrix at the top level, read as BENCH_CONFIG is' };
  return { kind: 'inference-perf', reason: "an inference-perf config (top-level `load`, `api`, `server`, `data`), read as BENCH_CONFIG is" };
}

/**
 * The scenario file of a test file: `<test file>.yaml` beside it (`load.test.ts` -> `load.yaml`:
 * `.test`/`.spec` and the extension stripped), or `fileName` relative to its folder.
 */
export function scenarioFileBeside(testFile: string, fileName?: string): string {
  const dir = dirname(testFile);
  return fileName !== undefined ? resolve(dir, fileName) : join(dir, `${basename(testFile).replace(MODULE_EXTENSION, '')}.yaml`);
}

/** A test file's name ends so; a scenario file's does not. */
export const MODULE_EXTENSION = /(\.(test|spec))?\.[cm]?[jt]sx?$/;

/**
 * The file `loadScenarios(from, file?)` reads: a test module (`import.meta.url`) means the YAML
 * beside it (`scenarioFileBeside`); any other path or URL is the file itself, relative to `cwd`;
 * `file`, when given, is relative to the folder of `from`.
 */
export function scenarioPathOf(from: string | URL, file: string | undefined, cwd: string): string {
  const path = from instanceof URL || from.startsWith('file:') ? fileURLToPath(from) : resolve(cwd, from);
  if (MODULE_EXTENSION.test(path)) return scenarioFileBeside(path, file);
  return file === undefined ? path : resolve(dirname(path), file);
}

/** How to load a file's scenarios. */
export interface LoadScenariosOptions {
  /** The process's environment: `${VAR}`, `BENCH_*` overrides. */
  env: Env;
  cwd: string;
  /** Said with "file not found", e.g. `named by BENCH_CONFIG`. */
  namedBy?: string;
  /** The config is this package's bundled example: it runs on the embedded simulator. */
  bundled?: boolean;
}

/**
 * Loads the scenarios at `path` (relative to `cwd`), with the reader its top-level keys call for;
 * a bad file fails with one error naming the file and every problem.
 */
export function loadScenarios(path: string, options: LoadScenariosOptions): ScenarioSet {
  const { env, cwd } = options;
  const absolute = resolve(cwd, path);
  const source = displayPath(absolute, cwd);
  readConfigText(absolute, source, options.namedBy);
  const kind = scenarioFileKind(absolute, cwd).kind;
  if (kind === 'actuation') return { kind, source, file: loadActuationFile(absolute, env, cwd), env };
  if (kind === 'scenarios') {
    const file = loadScenarioFile(absolute, { env, cwd });
    return { kind: 'benchmark', source, file, env, config: null, ownTarget: file.config.simulator ? 'its simulator: section' : null };
  }
  const config = loadWellLitConfig(absolute, { env, cwd, ...(options.namedBy ? { namedBy: options.namedBy } : {}) });
  const run = prepareWellLitRun(config, env);
  const prepared: SuiteConfig = { config, run, bundled: options.bundled ?? false };
  // The file's `env` entries join the set's environment where the process does not set them.
  return { kind: 'benchmark', source: config.source, file: run.file, env: { ...env, ...run.envToSet }, config: prepared, ownTarget: "a config's endpoint" };
}
