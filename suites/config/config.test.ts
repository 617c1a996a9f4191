/**
 * Runs a config you already have: `BENCH_CONFIG=config.yaml npx vitest run suites/config` runs
 * every workload of an llm-d well-lit-path benchmark config.yaml (or every pair of a harness
 * matrix), in file order, one test each, against the file's endpoint, and asserts the default SLO
 * profile. Without BENCH_CONFIG it runs the bundled example, examples/well-lit/config.yaml, on the
 * embedded simulator (shorten its stages with BENCH_DURATION=2). The file's hooks.pre_workload and
 * hooks.post_workload (or BENCH_PRE_WORKLOAD, BENCH_POST_WORKLOAD) run around each `bench.run`;
 * its description goes into every report.
 */
import { describe } from 'vitest';
import { expect, loadScenarios } from 'vitest-llm-d';

const config = loadScenarios(process.env.BENCH_CONFIG || new URL('../../examples/well-lit/config.yaml', import.meta.url));
const { test } = config;

describe(`config ${config.source}`, () => {
  for (const name of config.names) {
    test(
      name,
      async ({ bench }) => {
        const result = await bench.run(config.scenario(name));
        expect(result).toMeetSLO();
      },
      config.testTimeout,
    );
  }
});
