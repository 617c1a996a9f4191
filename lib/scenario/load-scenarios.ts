/**
 * How every suite loads its scenarios: one loader for a path, whatever the file. Which reader
 * reads it is decided by its top-level keys (or named by the caller): `scenarios` is this
 * tool's own scenario file (`loadScenarioFile`), with `defaults` too the actuation suite's
 * (`loadActuationFile`); anything else is a config users already have, read as `BENCH_CONFIG`
 * is (`loadWellLitConfig`: an llm-d-benchmark config, a harness matrix, a bare inference-perf
 * config) and prepared to run. A test file's scenarios sit beside it: `<test file>.yaml`, or
 * `<folder>.yaml` (`suites/latency/latency.yaml` for `suites/latency/latency.test.ts`).
 *
 * A benchmark suite (`Suite`) carries the environment it runs in: the process's, plus a config's
 * `env` entries that the process does not set. Everything its tests read settings from (target,
 * provisioning, hooks, measuring) reads this one.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadActuationFile } from '../actuation/config.ts';
import { parseYamlDocument, readConfigText } from '../config/load-file.ts';
import { type LoadedScenarioFile, loadScenarioFile } from '../config/resolve-scenarios.ts';
import type { Scenario } from '../config/schema/scenario.ts';
import type { Env } from '../config/substitute.ts';
import { loadWellLitConfig } from '../config/well-lit/load-config.ts';
import { prepareWellLitRun } from '../config/well-lit/prepare-run.ts';
import { TOP_LEVEL_MATRIX_KEYS } from '../config/well-lit/sections-schema.ts';
import type { WellLitConfig, WellLitRun } from '../config/well-lit/index.ts';
import { ConfigError } from '../errors/config-error.ts';

/** One scenario of a suite file, as a test runs it. */
export interface ScenarioRef {
  suite: Suite;
  name: string;
  config: Scenario;
}

/** The config a suite runs (`BENCH_CONFIG`, or the bundled example): as read, as prepared, and which. */
export interface SuiteConfig {
  config: WellLitConfig;
  run: WellLitRun;
  /** True when `BENCH_CONFIG` is unset and the bundled example runs. */
  bundled: boolean;
}

/** A suite's scenario file (`suites/<name>/<name>.yaml`), loaded with the environment's overrides. */
export class Suite {
  constructor(
    /** Suite name: the folder under `suites/`. */
    readonly name: string,
    readonly file: LoadedScenarioFile,
    /** The environment the suite runs in. */
    readonly env: Env = process.env,
    /** The config the suite runs, when it runs one. */
    readonly config: SuiteConfig | null = null,
  ) {}

  /** Names of the scenarios in file order. */
  get names(): string[] {
    return Object.keys(this.file.config.scenarios);
  }

  /** A scenario by name; an unknown name is a config error listing the known ones. */
  scenario(name: string): ScenarioRef {
    const config = this.file.config.scenarios[name];
    if (!config) throw new ConfigError(this.file.source, 'scenarios', `no scenario "${name}" (scenarios: ${this.names.join(', ')})`);
    return { suite: this, name, config };
  }
}

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
 * The scenario file of a test file: `fileName` beside it when given; else `<test file>.yaml`
 * (`load.test.ts` -> `load.yaml`) when it exists, else `<folder>.yaml`.
 */
export function scenarioFileBeside(testFile: string, fileName?: string): string {
  const dir = dirname(testFile);
  if (fileName !== undefined) return join(dir, fileName);
  const own = join(dir, `${basename(testFile).replace(/(\.(test|spec))?\.[cm]?[jt]sx?$/, '')}.yaml`);
  return existsSync(own) ? own : join(dir, `${basename(dir)}.yaml`);
}

/** How to load a suite's scenarios. */
export interface LoadScenariosOptions {
  /** The process's environment: `${VAR}`, `BENCH_*` overrides. */
  env: Env;
  cwd: string;
  /** The suite's name (the folder under `suites/`). */
  suite: string;
  /** The reader to use, whatever the file's keys say: `config` reads it as `BENCH_CONFIG` is. Default: from the keys. */
  as?: 'scenarios' | 'actuation' | 'config';
  /** Said with "file not found" of a config, e.g. `named by BENCH_CONFIG`. */
  namedBy?: string;
  /** The config is the bundled example (`BENCH_CONFIG` unset). */
  bundled?: boolean;
}

/** An actuation suite's file, loaded with the environment's overrides. */
export type ActuationScenarios = ReturnType<typeof loadActuationFile>;

/** A benchmark suite from its own scenario file. */
export type LoadedSuiteFile = { kind: 'scenarios'; suite: Suite };
/** A benchmark suite running a config users already have. */
export type LoadedConfig = { kind: 'config'; suite: Suite; config: SuiteConfig };
/** An actuation suite's file and environment. */
export type LoadedActuation = { kind: 'actuation'; suite: string; file: ActuationScenarios; env: Env };
/** A suite's scenarios, by the reader that read them. */
export type LoadedScenarios = LoadedSuiteFile | LoadedConfig | LoadedActuation;

/** Loads the scenarios at `path` (relative to `cwd`); a bad file fails with one error naming the file and every problem. */
export function loadScenarios(path: string, options: LoadScenariosOptions & { as: 'scenarios' }): LoadedSuiteFile;
export function loadScenarios(path: string, options: LoadScenariosOptions & { as: 'config' }): LoadedConfig;
export function loadScenarios(path: string, options: LoadScenariosOptions & { as: 'actuation' }): LoadedActuation;
export function loadScenarios(path: string, options: LoadScenariosOptions): LoadedScenarios;
export function loadScenarios(path: string, options: LoadScenariosOptions): LoadedScenarios {
  const { env, cwd, suite } = options;
  const kind = options.as ?? scenarioFileKind(path, cwd).kind;
  if (kind === 'actuation') return { kind, suite, file: loadActuationFile(path, env, cwd), env };
  if (kind === 'scenarios') return { kind, suite: new Suite(suite, loadScenarioFile(path, { env, cwd }), env) };
  const config = loadWellLitConfig(path, { env, cwd, ...(options.namedBy ? { namedBy: options.namedBy } : {}) });
  const run = prepareWellLitRun(config, env);
  const prepared: SuiteConfig = { config, run, bundled: options.bundled ?? false };
  // The file's `env` entries join the suite's environment where the process does not set them.
  return { kind: 'config', suite: new Suite(suite, run.file, { ...env, ...run.envToSet }, prepared), config: prepared };
}
