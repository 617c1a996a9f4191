import { defineConfig } from 'vitest/config';
import { MEASURING_NODE_FLAGS } from './lib/load/measuring-process.ts';
import { createRunInfo } from './lib/report/run-info.ts';
import { BenchError } from './lib/errors/bench-error.ts';
import { settings } from './lib/settings/registry.ts';
import { llmdReporters } from './reporters/index.ts';

/** One identity per `vitest run`: every suite writes to `results/<stamp>-<suite>/`. */
const run = createRunInfo();
/** BENCH_TEST_TIMEOUT_S, range-checked: a bad value is one line naming the variable. */
const testTimeoutS = testTimeoutSeconds();

/**
 * The benchmark suites users run: `npx vitest run suites/latency`. (The project's own tests use
 * `test/vitest.config.ts`, through `npm test`.)
 */
export default defineConfig({
  test: {
    include: ['suites/**/*.test.ts'],
    provide: { llmdRun: run },
    reporters: ['default', ...llmdReporters(run)],
    // Benchmarks against one target must not overlap: a second suite's load would distort the first's numbers.
    fileParallelism: false,
    pool: 'forks',
    // The workers measure: fewer GC pauses, fewer late chunk timestamps (see measuring-process.ts).
    execArgv: [...MEASURING_NODE_FLAGS],
    testTimeout: testTimeoutS * 1000,
    // Starting the simulator (tokenizer load) or checking an endpoint happens in fixtures, on first use.
    hookTimeout: 120_000,
  },
});

/**
 * Seconds each test may run (default 1800). A bad value stops here with the one-line message and
 * exit code 1: thrown from a config file, it would come wrapped in Vitest's start-up error.
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
