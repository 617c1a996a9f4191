/**
 * A user's project, as the README tells one to write it: a `vitest.config.ts` with `llmd()`, and
 * one test file with public imports only, running one YAML scenario (`<file>.yaml` beside it) and
 * one `defineScenario` against the embedded simulator. `vitest run` in that folder writes the
 * run folder (summary.json, junit.xml, report.html) through the plugin's reporters, and a test
 * whose SLO is not met fails the run (exit code 1). `vitest-llm-d` resolves to the sources here
 * (an alias); the packed-tarball test checks the same against the built package.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { FAST_SIM_TARGETS, runSuites, workspace } from '../e2e/run-suite.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The project lives in the repository, so `vitest` resolves from its node_modules as from a user's. */
const project = mkdtempSync(join(ROOT, 'test/api/.user-project-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const CONFIG = `
import { defineConfig } from 'vitest/config';
import { llmd } from ${JSON.stringify(join(ROOT, 'api/config.ts'))};

export default defineConfig({
  plugins: [llmd()],
  resolve: { alias: [{ find: /^vitest-llm-d$/, replacement: ${JSON.stringify(join(ROOT, 'api/index.ts'))} }] },
  test: { include: ['bench/**/*.bench.ts'] },
});
`;

const YAML = `
scenarios:
  quick:
    num_requests: 6
    load: { type: concurrency, concurrency: 2 }
    data: { type: synthetic, prompt_tokens: [32], max_tokens: [8] }
    slo: { max_schedule_lag_p99_ms: 1000 }
`;

/**
 * The suite of the README's "write your own suite", plus one SLO no stack meets. The client's
 * schedule-lag floor is raised: the machine running the tests is shared, and a stalled client
 * would fail the other two tests as invalid runs.
 */
const SUITE = `
import { describe } from 'vitest';
import { defineScenario, expect, loadScenarios, test } from 'vitest-llm-d';

const scenarios = loadScenarios(import.meta.url); // bench/my.bench.yaml, beside this file
const small = defineScenario({
  name: 'small',
  num_requests: 8,
  load: { type: 'concurrency', concurrency: 2 },
  data: { type: 'synthetic', prompt_tokens: [64], max_tokens: [16] },
  slo: { max_schedule_lag_p99_ms: 1000 },
});

describe('my stack', () => {
  test('quick, from YAML', async ({ bench }) => expect(await bench.run(scenarios.scenario('quick'))).toMeetSLO());
  test('small, written here', async ({ bench }) => expect(await bench.run(small)).toMeetSLO('mlperf-standard'));
  test('an SLO no stack meets', async ({ bench }) => expect(await bench.run(small)).toMeetSLO({ ttft_p95_ms: 0.001 }));
});
`;

describe("a user's project with llmd() and public imports", () => {
  test('runs a YAML scenario and a defineScenario on the simulator, writes the run folder, and fails on the unmet SLO', async () => {
    writeFileSync(join(project, 'vitest.config.ts'), CONFIG);
    mkdirSync(join(project, 'bench'));
    writeFileSync(join(project, 'bench/my.bench.yaml'), YAML);
    writeFileSync(join(project, 'bench/my.bench.ts'), SUITE);
    const run = await runSuites([], workspace(FAST_SIM_TARGETS), {}, 120_000, project);

    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(/1 failed \| 2 passed/);
    expect(run.output).toContain('bench/small  SIMULATOR');
    expect(run.output).toMatch(/SLO not met[\s\S]*ttft/);
    const dir = run.runDirs.bench!;
    for (const f of ['summary.json', 'junit.xml', 'report.html']) expect(existsSync(join(dir, f)), f).toBe(true);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { suite: string; tests: Array<{ scenario: string }>; failed_tests: unknown[] };
    expect(summary.suite).toBe('bench');
    expect(summary.tests.map((t) => t.scenario)).toEqual(['quick', 'small', 'small']);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toMatch(/<failure/);
  }, 150_000);
});
