/**
 * Runs a config you already have: `BENCH_CONFIG=config.yaml npx vitest run suites/config` runs
 * every workload of an llm-d well-lit-path benchmark config.yaml (or every pair of a harness
 * matrix), in file order, one test each, against the file's endpoint, and asserts the default SLO
 * profile. Without BENCH_CONFIG it runs the bundled example, examples/well-lit/config.yaml, on the
 * embedded simulator (shorten its stages with BENCH_DURATION=2). The file's hooks.pre_workload and
 * hooks.post_workload (or BENCH_PRE_WORKLOAD, BENCH_POST_WORKLOAD) run before and after each test;
 * its description goes into every report.
 */
import { describe } from 'vitest';
import { configSuite } from '../../fixtures/config-suite.ts';
import { expect } from '../../fixtures/index.ts';

const { suite, test, config, run } = configSuite(import.meta.url);

describe(`config ${config.source}`, () => {
  for (const name of suite.names) {
    test(
      name,
      async ({ bench, workloadHooks }) => {
        await workloadHooks.around(name, async () => {
          const result = await bench.run(suite.scenario(name), { overrides: run.notesFor(name) });
          expect(result).toMeetSLO();
        });
      },
      run.testTimeoutMs,
    );
  }
});
