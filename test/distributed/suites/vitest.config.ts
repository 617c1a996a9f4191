import { defineConfig } from 'vitest/config';
import base from '../../../vitest.config.ts';

/** The root suite config (reporters, pool, measuring flags) over the distributed tests' own suite (`*.suite.ts`, so `npm test` does not collect it). */
export default defineConfig({ ...base, test: { ...base.test, include: ['test/distributed/suites/**/*.suite.ts'] } });
