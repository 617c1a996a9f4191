import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { spawnSimulator } from '../../sim/vllm/spawn.ts';
import { readJsonl, runSuitesOnceValid, workspace } from './run-suite.ts';

interface StageOut {
  label: string;
  sent: number;
  cut: number;
  offered: { rate: number | null; concurrency: number | null };
  results: { total_requests: number; throughput: { tokens_per_sec: number | null } };
  goodput: { requests: number; good: number };
  validity: { valid: boolean };
}
interface TestOut {
  scenario: string;
  stages: StageOut[];
  stop: { stage: string; rule: string; detail: string; lastGood: string | null } | null;
  knee?: { concurrency: number; plateau: boolean; conclusion: string };
  capacity?: { value: number | null; bracket: { passing: number | null; failing: number | null }; probes: Array<{ value: number; passed: boolean }>; conclusion: string };
}

function testsOf(runDir: string): TestOut[] {
  return (JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { tests: TestOut[] }).tests;
}

/*
 * The workload suites as a new user runs them, against the default embedded simulator (its
 * small-h100 profile: 16 decode slots, so throughput plateaus past 16 requests in flight), with
 * each stage shortened to 3 s (shorter stages are mostly ramp-up and drain, and their throughput
 * does not show the plateau). One vitest run, files one after another so they do not compete
 * for the two cores.
 */
describe('suites/throughput, suites/load and suites/stress as a new user runs them', () => {
  test('per-stage results, the knee, the capacity found and the breaking point', async () => {
    const dir = workspace('');
    const run = await runSuitesOnceValid(
      ['suites/throughput', 'suites/stress', 'suites/load', '--no-file-parallelism'],
      dir,
      { BENCH_DURATION: '3', BENCH_WARMUP_REQUESTS: '2', BENCH_TARGETS_FILE: '' },
      420_000,
    );
    expect(run.code, run.output).toBe(0);

    const [sweep, search] = testsOf(run.runDirs.throughput!);
    expect(sweep!.stages.map((s) => s.label)).toEqual(['concurrency 1', 'concurrency 5', 'concurrency 10', 'concurrency 20', 'concurrency 50']);
    expect(sweep!.knee).toMatchObject({ plateau: true });
    expect([10, 20]).toContain(sweep!.knee!.concurrency);
    expect(run.output).toContain('knee: throughput plateaus at concurrency');
    expect(search!.capacity!.value).toBeGreaterThan(1);
    expect(search!.capacity!.bracket.failing).toBeGreaterThan(search!.capacity!.value!);
    expect(search!.capacity!.probes.slice(0, 2).map((p) => [p.value, p.passed])).toEqual([[1, true], [100, false]]);
    // The capacity line wraps at 80 columns (continuation lines indented by 4): joined back for the check.
    expect(run.output.replace(/\n {4,}/g, ' ')).toMatch(/capacity: capacity [\d.]+ requests\/s\b.*[\d.]+ requests\/s fails/);

    const [stress] = testsOf(run.runDirs.stress!);
    expect(stress!.stop).toMatchObject({ rule: expect.stringMatching(/^(latency_p95|error_rate)$/) });
    expect(stress!.stages.at(-1)!.label).toBe(stress!.stop!.stage);
    expect(stress!.stop!.lastGood).toBe(stress!.stages.at(-2)!.label);
    expect(run.output).toMatch(/stopped at concurrency \d+ by rule latency_p95/);

    const [users] = testsOf(run.runDirs.load!);
    expect(users!.stages.map((s) => s.label)).toEqual(['ramp 10→100 users', '100 users']);
    expect(users!.stages[1]!.offered.concurrency).toBe(100);
    expect(run.output).toContain('SLO under-load @ 100 users: PASS');

    // Per-stage results in the run folder, one line a stage as each ended; requests carry their stage.
    for (const suite of ['throughput', 'stress', 'load']) {
      const file = join(run.runDirs[suite]!, 'stages.jsonl');
      expect(existsSync(file), file).toBe(true);
      const lines = readJsonl(file);
      const reported = testsOf(run.runDirs[suite]!).flatMap((t) => t.stages.map((s) => `${t.scenario}/${s.label}`));
      expect(lines.map((l) => `${l.scenario}/${l.label}`)).toEqual(expect.arrayContaining(reported));
      const requests = readJsonl(join(run.runDirs[suite]!, 'requests.jsonl')).filter((r) => !r.warmup);
      expect(requests.every((r) => typeof r.stage === 'number')).toBe(true);
    }
  }, 480_000);

  test('suites/multi-model: every model of the suite\'s simulated gateway, 503s retried, per-model results', async () => {
    const dir = workspace('');
    const run = await runSuitesOnceValid(['suites/multi-model'], dir, { BENCH_NUM_REQUESTS: '45', BENCH_TARGETS_FILE: '' });
    expect(run.code, run.output).toBe(0);
    const summary = JSON.parse(readFileSync(join(run.runDirs['multi-model']!, 'summary.json'), 'utf8')) as {
      tests: Array<{ models: Array<{ model: string; results: { total_requests: number; retries: { retries: number } } }>; results: { retries: { requests: number; recovered: number; exhausted: number } }; workload: { overrides: Array<{ path: string; source: string }> } }>;
    };
    const [t] = summary.tests;
    expect(t!.models.map((m) => [m.model, m.results.total_requests])).toEqual([
      ['Qwen/Qwen3-0.6B', 15],
      ['meta-llama/Llama-3.1-8B-Instruct', 15],
      ['ibm-granite/granite-3.3-8b-instruct', 15],
    ]);
    // The simulated gateway answers 5% of attempts with a 503; every one was retried and recovered.
    expect(t!.results.retries.exhausted).toBe(0);
    expect(t!.results.retries.recovered).toBe(t!.results.retries.requests);
    expect(t!.workload.overrides).toContainEqual(expect.objectContaining({ path: 'target.simulator', source: 'suites/multi-model/multi-model.yaml simulator:' }));
    // A model name longer than the 80-column table's name column gets a line of its own, its numbers on the next.
    expect(run.output).toMatch(/meta-llama\/Llama-3\.1-8B-Instruct\s+15\/15/);
  }, 180_000);
});

/*
 * suites/prefix-cache both ways the README runs it: its embedded simulator, and a vLLM server
 * named by BENCH_BASE_URL whose /metrics beside /v1 gives the server's hit rate. 16 requests per
 * scenario: two rounds of the 8 groups, so each has cold and warm requests. These tests are about
 * the warm/cold verdicts, not the client's validity (test/load/stall-watch.test.ts): with 16
 * requests one stall of the shared machine is past the default 1% stalled-request floor, so that
 * floor is set out of reach; the schedule-lag floor stays.
 */
describe('suites/prefix-cache as a new user runs it', () => {
  const ENV = { BENCH_NUM_REQUESTS: '16', BENCH_MAX_STALLED_SHARE: '1', BENCH_TARGETS_FILE: '' };
  const checks = (output: string, metricsAt: RegExp): void => {
    for (const scenario of ['warm_vs_cold', 'concurrent_groups']) expect(output).toContain(`prefix-cache/${scenario}  prefix cache: 8 groups x 6 prompts`);
    expect(output.match(/^ {2}pass {2}warm TTFT p95 < 1 x cold TTFT p50/gm)).toHaveLength(2);
    expect(output).toMatch(metricsAt);
  };

  test('npx vitest run suites/prefix-cache: warm requests faster than cold ones on the embedded simulator', async () => {
    const run = await runSuitesOnceValid(['suites/prefix-cache'], workspace(), ENV);
    expect(run.code, run.output).toBe(0);
    checks(run.output, /server hit rate [\d.]+% over the test .* at http:\/\/127\.0\.0\.1:\d+\/metrics/);
  }, 180_000);

  test('BENCH_BASE_URL=http://localhost:8000 npx vitest run suites/prefix-cache: the hit rate from the /metrics beside /v1', async () => {
    // Prefill three times the default profile's per token: a cold request of the 2048-token system
    // prompt is then ~200 ms slower than a warm one, well clear of a loaded machine's jitter.
    const sim = await spawnSimulator({ tokenizer: 'words', prefill_per_token_ms: 0.1 });
    try {
      const run = await runSuitesOnceValid(['suites/prefix-cache'], workspace(), { ...ENV, BENCH_BASE_URL: sim.url });
      expect(run.code, run.output).toBe(0);
      checks(run.output, new RegExp(`server hit rate [\\d.]+% over the test .* at ${sim.url.replaceAll('.', '\\.')}/metrics`));
    } finally {
      await sim.stop();
    }
  }, 180_000);
});
