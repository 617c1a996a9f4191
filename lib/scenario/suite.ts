/**
 * A suite's scenarios as tests run them: the loaded scenario file, the environment the suite
 * runs in, and, for a suite that runs a config users already have (`BENCH_CONFIG`), that config
 * as read and prepared. The environment is the process's, plus a config's `env` entries that the
 * process does not set; everything the suite's tests read settings from (target, provisioning,
 * hooks, measuring) reads this one.
 */
import type { LoadedScenarioFile } from '../config/resolve-scenarios.ts';
import type { Scenario } from '../config/schema/scenario.ts';
import type { Env } from '../config/substitute.ts';
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
