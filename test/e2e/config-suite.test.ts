/**
 * `suites/config` as a user runs it: the bundled well-lit-path example on the embedded simulator
 * (BENCH_CONFIG unset), a harness matrix, a config whose endpoint is unreachable, one with
 * unsupported keys, and one carrying an API key that must not leak.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { spawnSimulator } from '../../sim/vllm/spawn.ts';
import { FAST_SIM_TARGETS, readTree, runSuites, runSuitesOnceValid, workspace } from './run-suite.ts';
import type { SuiteRun } from './run-suite.ts';
import { closedPort } from '../http/drive.ts';

interface SummaryTest {
  scenario: string;
  target_kind: string;
  results: { total_requests: number; successful: number; success_rate: number };
  workload: { overrides: Array<{ path: string; value: unknown; source: string }> };
}

function summaryOf(run: SuiteRun): { tests: SummaryTest[] } {
  return JSON.parse(readFileSync(join(run.runDirs.config!, 'summary.json'), 'utf8'));
}

/**
 * The run finished every test: exit 0, or 1 with SLO verdicts as the only failures (a loaded CI
 * machine can make the client fall behind a 20 req/s stage, which toMeetSLO reports as invalid).
 */
function expectCompleted(run: SuiteRun): void {
  expect(run.output).not.toMatch(/ConfigError|TargetError|TypeError|ReferenceError|Test timed out/);
  if (run.code !== 0) {
    expect(run.code, run.output).toBe(1);
    const failures = run.output.match(/^\s*(?:\w*Error): .*$/gm) ?? [];
    for (const f of failures) expect(f, run.output).toMatch(/SLO not met/);
  }
}


describe('suites/config as a user runs it', () => {
  test('without BENCH_CONFIG it runs the bundled example, every workload in turn, on the embedded simulator, and says so', async () => {
    const run = await runSuites(['suites/config'], workspace(), { BENCH_DURATION: '2', BENCH_TARGETS_FILE: '' }, 240_000);
    expectCompleted(run);
    expect(run.output).toContain('config/sanity_random  SIMULATOR');
    expect(run.output).toContain('config/shared_prefix_synthetic  SIMULATOR');
    // The workload line wraps at 80 columns (continuation lines indented by 4): joined back for the check.
    expect(run.output.replace(/\n {4,}/g, ' ')).toMatch(/7 stages: 2\/s × 2 s, 5\/s × 2 s, .*, 20\/s × 2 s/);
    const { tests } = summaryOf(run);
    expect(tests.map((t) => t.scenario)).toEqual(['sanity_random', 'shared_prefix_synthetic']);
    for (const t of tests) {
      expect(t.target_kind).toBe('simulator');
      expect(t.results.total_requests).toBeGreaterThan(0);
      expect(t.results.success_rate).toBe(1);
      const paths = t.workload.overrides.map((o) => o.path);
      expect(paths).toEqual(expect.arrayContaining(['endpoint.base_url', 'env.RAYON_NUM_THREADS', 'control.work_dir']));
      expect(t.workload.overrides.find((o) => o.path === 'endpoint.base_url')).toMatchObject({
        value: 'embedded simulator',
        source: expect.stringContaining('instead of http://infra-inference-scheduling-inference-gateway.dean-ns.svc.cluster.local:80'),
      });
    }
    expect(tests[0]!.workload.overrides.map((o) => o.path)).toContain('workload.sanity_random.data.input_distribution.std');
  });

  test('BENCH_CONFIG=matrix.yaml: one concurrency sweep per isl_osl pair, over the chat API', async () => {
    const run = await runSuites(['suites/config'], workspace(FAST_SIM_TARGETS), {
      BENCH_CONFIG: 'examples/well-lit/matrix.yaml',
      BENCH_TARGET: 'fast-sim',
      BENCH_CONCURRENCY: '1,2',
      BENCH_NUM_REQUESTS: '4',
      BENCH_MAX_TOKENS: '8',
    });
    expectCompleted(run);
    const { tests } = summaryOf(run);
    expect(tests.map((t) => t.scenario)).toEqual(['isl_osl_matrix.isl1024_osl1024', 'isl_osl_matrix.isl1024_osl8192', 'isl_osl_matrix.isl8192_osl1024']);
    for (const t of tests) expect(t.results).toMatchObject({ total_requests: 8, success_rate: 1 });
    expect(run.output.replace(/\n {4,}/g, ' ')).toContain('chat (stream), sweep over concurrency 1, 2');
  });

  test("inference-perf's own example configs run unchanged: BENCH_CONFIG=<its file>, on the embedded simulator", async () => {
    const fixtures = join(process.cwd(), 'test/fixtures/inference-perf');
    for (const [file, perStage] of [['config-random.yml', [2]], ['config-shared-prefix-distributions.yml', [2, 4]]] as const) {
      // The files' stages are 30 s: BENCH_DURATION and BENCH_PAUSE shorten them (int(rate × 2) requests a stage), nothing else changes.
      const run = await runSuitesOnceValid(['suites/config'], workspace(FAST_SIM_TARGETS), {
        BENCH_CONFIG: join(fixtures, file),
        BENCH_TARGET: 'fast-sim',
        BENCH_DURATION: '2',
        BENCH_PAUSE: '0.2',
      });
      expectCompleted(run);
      const name = file.replace(/\.yml$/, '');
      const { tests } = summaryOf(run);
      expect(tests.map((t) => t.scenario)).toEqual([name]);
      expect(tests[0]!.results).toMatchObject({ total_requests: perStage.reduce((a, b) => a + b, 0), success_rate: 1 });
      const table = run.output.replace(/\n {4,}/g, ' ');
      expect(table).toMatch(new RegExp(`config/${name}\\s+SIMULATOR`));
      expect(table).toContain("inference-perf's constant timer");
      if (perStage.length > 1) expect(table).toMatch(/\(pause 0\.2 s: [\d.]+ s idle, nothing sent\)/);
      // Not streamed (the files say nothing of streaming: inference-perf's default), so judged on what can be.
      expect(table).toMatch(/TTFT p95, TPOT p95 not judged \(not measurable: non-streaming\)/);
    }
  });

  test('an unreachable endpoint fails every test within seconds, naming the URL', async () => {
    const dir = workspace();
    const port = await closedPort();
    const config = readFileSync(join(import.meta.dirname, '../../examples/well-lit/config.yaml'), 'utf8').replaceAll(
      'http://infra-inference-scheduling-inference-gateway.dean-ns.svc.cluster.local:80',
      `http://127.0.0.1:${port}`,
    );
    writeFileSync(join(dir, 'config.yaml'), config);
    const run = await runSuites(['suites/config'], dir, { BENCH_CONFIG: join(dir, 'config.yaml'), BENCH_TARGETS_FILE: '' });
    expect(run.code).toBe(1);
    expect(run.output).toContain(`TargetError: http://127.0.0.1:${port}/v1/models: connection refused`);
    expect(run.output).toMatch(/2 failed/);
    expect(run.ms).toBeLessThan(40_000);
  });

  test('unsupported keys stop the run before anything is sent, all named in one error', async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, 'config.yaml'),
      'endpoint: { base_url: http://127.0.0.1:9 }\nworkload:\n  w:\n    load: { num_workers: 8, sweep: { type: linear }, stages: [{ rate: 1, duration: 1 }] }\n    data: { type: mock }\n',
    );
    const run = await runSuites(['suites/config'], dir, { BENCH_CONFIG: join(dir, 'config.yaml'), BENCH_TARGETS_FILE: '' });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/config\.yaml: 2 problems \(nothing was run\):/);
    expect(run.output).toContain("workload.w.load.sweep: not supported (inference-perf's automatic rate sweep is not supported");
    // A worker count cannot change what is measured: accepted, not among the problems.
    expect(run.output).not.toContain('num_workers');
    expect(run.output).toContain('workload.w.data.type: "mock": not supported');
  });

  test('BENCH_CONFIG=config.yaml BENCH_BASE_URL=<a port-forward> npx vitest run suites/config: the URL replaces only the endpoint', async () => {
    const sim = await spawnSimulator({ tokenizer: 'words', time_scale: 0.05 });
    try {
      const dir = workspace();
      writeFileSync(
        join(dir, 'config.yaml'),
        'endpoint: { stack_name: cluster, model: Qwen/Qwen3-0.6B, base_url: http://gateway.bench.svc.cluster.local:80 }\nworkload:\n  quick:\n    load: { type: concurrent, stages: [{ concurrency_level: 1, num_requests: 2 }] }\n    api: { type: chat, streaming: true }\n    data: { type: random, input_distribution: { min: 8, max: 16, mean: 12, std_dev: 2 }, output_distribution: { min: 4, max: 8, mean: 6, std_dev: 1 } }\n',
      );
      const run = await runSuites(['suites/config'], dir, { BENCH_CONFIG: join(dir, 'config.yaml'), BENCH_BASE_URL: sim.url, BENCH_TARGETS_FILE: '' });
      expectCompleted(run);
      expect(run.output).toContain(`config/quick  endpoint ${sim.url}`);
      const [t] = summaryOf(run).tests;
      expect(t!.results).toMatchObject({ total_requests: 2, success_rate: 1 });
      expect(t!.workload.overrides.find((o) => o.path === 'endpoint.base_url')?.source).toMatch(/BENCH_BASE_URL/);
    } finally {
      await sim.stop();
    }
  });

  test("server.api_key reaches the endpoint but never the output or the results folder", async () => {
    const sim = await spawnSimulator({ tokenizer: 'words', time_scale: 0.05 });
    const key = 'sk-e2e-config-DO-NOT-LEAK-83b1';
    try {
      const dir = workspace();
      writeFileSync(
        join(dir, 'config.yaml'),
        `endpoint: { stack_name: local, model: Qwen/Qwen3-0.6B, base_url: ${sim.url} }\nworkload:\n  quick:\n    load: { type: concurrent, stages: [{ concurrency_level: 1, num_requests: 2 }] }\n    api: { type: chat, streaming: true }\n    server: { base_url: ${sim.url}, api_key: ${key} }\n    data: { type: random, input_distribution: { min: 8, max: 16, mean: 12, std_dev: 2 }, output_distribution: { min: 4, max: 8, mean: 6, std_dev: 1 } }\n`,
      );
      const run = await runSuites(['suites/config'], dir, { BENCH_CONFIG: join(dir, 'config.yaml'), BENCH_TARGETS_FILE: '' });
      expectCompleted(run);
      expect(run.output).toContain(`config/quick  endpoint ${sim.url}`);
      expect(run.output).not.toContain(key);
      expect(readTree(run.resultsDir)).not.toContain(key);
      expect(summaryOf(run).tests[0]!.results).toMatchObject({ total_requests: 2, success_rate: 1 });
    } finally {
      await sim.stop();
    }
  });
});
