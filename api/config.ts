/**
 * `vitest-llm-d/config`: the Vitest plugin that makes a project's tests benchmark suites.
 *
 * ```ts
 * // vitest.config.ts
 * import { defineConfig } from 'vitest/config';
 * import { llmd } from 'vitest-llm-d/config';
 *
 * export default defineConfig({ plugins: [llmd()], test: { include: ['bench/**\/*.test.ts'] } });
 * ```
 */
import type { Plugin, TestUserConfig } from 'vitest/config';
import { BenchError } from '../lib/errors/bench-error.ts';
import { MEASURING_NODE_FLAGS } from '../lib/load/measuring-process.ts';
import { createRunInfo, type RunInfo } from '../lib/report/run-info.ts';
import { settings } from '../lib/settings/registry.ts';
import { llmdReporters } from '../reporters/index.ts';

export type { RunInfo } from '../lib/report/run-info.ts';

/** Options of {@link llmd}. */
export interface LlmdOptions {
  /** The run's identity (stamp, results folder) shared by the reporters and the fixtures; default `createRunInfo()` of `vitest-llm-d/reporters`, made when Vitest reads the config. */
  run?: RunInfo;
}

/** What the plugin sets when the user's config leaves it unset. */
type TestDefaults = TestUserConfig;

/**
 * The vitest-llm-d plugin: `defineConfig({ plugins: [llmd()] })`. For every setting your config
 * leaves unset it adds what a benchmark run needs; a value you set is kept:
 *
 * - `reporters`: `'default'` and the plugin's (terminal tables, the run folder
 *   `results/<stamp>-<suite>/` with summary.json, junit.xml and report.html, `BENCH_PUBLISH`);
 *   with reporters of your own, the plugin's come after them;
 * - `provide: { llmdRun }`: the run's identity, for the fixtures;
 * - `pool: 'forks'` and `fileParallelism: false`: one benchmark file at a time, so two suites'
 *   load never overlaps on one target;
 * - `execArgv`: the measuring workers' Node flags (fewer GC pauses);
 * - `testTimeout`: `BENCH_TEST_TIMEOUT_S` (default 1800 s); `hookTimeout`: 120 s (the simulator
 *   starts, or the endpoint is checked, on first use).
 *
 * A bad `BENCH_TEST_TIMEOUT_S` stops Vitest with the one-line message and exit code 1.
 */
export function llmd(options: LlmdOptions = {}): Plugin {
  /** One identity per plugin, however often Vite asks for the config: every suite of the run writes to `results/<stamp>-<suite>/`. */
  let run = options.run;
  return {
    name: 'vitest-llm-d',
    config(user) {
      const own: TestDefaults = (user as { test?: TestDefaults }).test ?? {};
      run ??= createRunInfo();
      const test: TestDefaults = {};
      // Vite merges a plugin's arrays after the user's: the plugin's reporters follow the user's own.
      test.reporters = own.reporters === undefined ? ['default', ...llmdReporters(run)] : llmdReporters(run);
      if (own.provide?.llmdRun === undefined) test.provide = { llmdRun: run };
      if (own.pool === undefined) test.pool = 'forks';
      if (own.fileParallelism === undefined) test.fileParallelism = false;
      if (own.execArgv === undefined) test.execArgv = [...MEASURING_NODE_FLAGS];
      if (own.testTimeout === undefined) test.testTimeout = testTimeoutSeconds() * 1000;
      if (own.hookTimeout === undefined) test.hookTimeout = 120_000;
      return { test };
    },
  };
}

/**
 * Seconds each test may run (BENCH_TEST_TIMEOUT_S, default 1800). A bad value stops here with
 * the one-line message and exit code 1: thrown from a plugin, it would come wrapped in Vitest's
 * start-up error.
 */
function testTimeoutSeconds(): number {
  try {
    return settings(process.env).get('BENCH_TEST_TIMEOUT_S');
  } catch (err) {
    if (!(err instanceof BenchError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
