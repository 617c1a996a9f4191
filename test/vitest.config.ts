import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { MEASURING_NODE_FLAGS } from '../lib/load/measuring-process.ts';

/**
 * The project's own tests (`npm test`). The benchmark suites that users run live in `suites/`
 * and use the root `vitest.config.ts`; tests here run them from code where they need to.
 */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  // Tests and their suites import `vitest-llm-d` as a user's would: the sources here.
  resolve: {
    alias: [
      { find: /^vitest-llm-d$/, replacement: fileURLToPath(new URL('../api/index.ts', import.meta.url)) },
      { find: /^vitest-llm-d\/(config|reporters)$/, replacement: fileURLToPath(new URL('../api/$1.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'sim/**/*.test.ts'],
    pool: 'forks',
    // Tests that check timing fidelity measure like the suites do (see measuring-process.ts).
    execArgv: [...MEASURING_NODE_FLAGS],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores in CI: one worker runs tests, the other core is left to the simulator processes
    // those tests start, so measured timings are not distorted by CPU contention.
    maxWorkers: 1,
    reporters: ['default'],
  },
});
