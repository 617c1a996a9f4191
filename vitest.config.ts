import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { llmd } from './api/config.ts';

/**
 * The benchmark suites users run: `npx vitest run suites/latency`. (The project's own tests use
 * `test/vitest.config.ts`, through `npm test`.) The suites import `vitest-llm-d` as a user's
 * would; here it resolves to the sources.
 */
export default defineConfig({
  plugins: [llmd()],
  resolve: {
    alias: [
      { find: /^vitest-llm-d$/, replacement: fileURLToPath(new URL('./api/index.ts', import.meta.url)) },
      { find: /^vitest-llm-d\/(config|reporters)$/, replacement: fileURLToPath(new URL('./api/$1.ts', import.meta.url)) },
    ],
  },
  test: { include: ['suites/**/*.test.ts'] },
});
