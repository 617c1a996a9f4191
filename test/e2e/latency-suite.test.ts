import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, test } from 'vitest';
import { spawnSimulator } from '../../sim/vllm/spawn.ts';
import { FAST_SIM_TARGETS, readJsonl, readTree, runSuites, runSuitesOnceValid, workspace } from './run-suite.ts';
import { closedPort } from '../http/drive.ts';
import { brValidator } from '../report/br-schema.ts';


describe('suites/latency as a user runs it', () => {
  test('passes against the embedded simulator, prints the summary and writes summary.json, junit.xml, benchmark reports and requests.jsonl', async () => {
    const dir = workspace(FAST_SIM_TARGETS);
    const run = await runSuitesOnceValid(['suites/latency'], dir, { BENCH_NUM_REQUESTS: '12', BENCH_WARMUP_REQUESTS: '2' });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('latency/quick_validation  SIMULATOR');
    expect(run.output).toContain('latency/latency_benchmark  SIMULATOR');
    expect(run.output).toMatch(/TTFT \(ms\) +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+/);
    expect(run.output).toContain('SLO mlperf-standard: PASS');

    const summary = JSON.parse(readFileSync(join(run.runDirs.latency!, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ suite: 'latency', target_kind: 'simulator' });
    expect(summary.tests.map((t: { scenario: string }) => t.scenario)).toEqual(['quick_validation', 'latency_benchmark']);
    for (const t of summary.tests) {
      expect(Object.keys(t)).toEqual(expect.arrayContaining(['timestamp', 'target', 'scenario', 'base_url', 'model', 'results']));
      expect(t.target_kind).toBe('simulator');
      const r = t.results;
      expect(r).toMatchObject({ total_requests: 12, successful: 12, failed: 0, success_rate: 1, mlperf_compliant: true });
      for (const key of ['ttft_ms', 'tpot_ms', 'itl_ms', 'latency_s']) {
        expect(Object.keys(r[key]), key).toEqual(expect.arrayContaining(['mean', 'p50', 'p95', 'p99']));
        expect(r[key].p95, key).toBeGreaterThan(0);
      }
      expect(r.throughput.tokens_per_sec).toBeGreaterThan(0);
      expect(r.throughput.requests_per_sec).toBeGreaterThan(0);
      expect(r.tokens.output_count_source.server).toBe(12);
    }

    const xml = readFileSync(join(run.runDirs.latency!, 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase', 'property'].includes(n) }).parse(xml);
    expect(junit.testsuites).toMatchObject({ tests: '2', failures: '0', errors: '0', skipped: '0' });
    const cases = junit.testsuites.testsuite[0].testcase as Array<{ classname: string; name: string; failure?: unknown; properties: { property: Array<{ name: string; value: string }> } }>;
    expect(cases.map((c) => `${c.classname}/${c.name}`)).toEqual(['latency/quick_validation', 'latency/latency_benchmark']);
    for (const c of cases) {
      expect(c.failure).toBeUndefined();
      expect(c.properties.property[0]).toEqual({ name: 'target_kind', value: 'SIMULATOR' });
      expect(c.properties.property.find((p) => p.name === 'slo.mlperf-standard')?.value).toBe('PASS');
    }

    // llm-d benchmark reports: one file per test, valid against the upstream v0.2.1 schema, fed by the same statistics.
    const brDir = join(run.runDirs.latency!, 'benchmark-report');
    expect(readdirSync(brDir).sort()).toEqual(['latency_benchmark.json', 'quick_validation.json']);
    const validate = brValidator();
    for (const t of summary.tests) {
      const br = JSON.parse(readFileSync(join(brDir, `${t.scenario}.json`), 'utf8'));
      expect(validate(br), t.scenario).toEqual([]);
      expect(br.scenario.stack[0].metadata.description).toMatch(/^SIMULATOR/);
      const agg = br.results.request_performance.aggregate;
      expect(agg.requests).toMatchObject({ total: 12, failures: 0 });
      expect(agg.latency.time_to_first_token.p95).toBeCloseTo(t.results.ttft_ms.p95, 3);
      expect(agg.latency.time_per_output_token.p95).toBeCloseTo(t.results.tpot_ms.p95, 3);
    }

    const lines = readJsonl(join(run.runDirs.latency!, 'requests.jsonl'));
    expect(lines).toHaveLength(2 * (12 + 2));
    expect(lines.filter((l) => l.warmup)).toHaveLength(4);
    for (const l of lines) expect(l.error, JSON.stringify(l)).toBeNull();
  });

  test('fails with a clear SLO message when the endpoint is slower than the limits', async () => {
    // A second simulator, as `npx vitest-llm-d sim` would run it, with decode steps of 150 ms: TPOT above 100 ms.
    // It serves two models; BENCH_MODEL picks the second, as in the README's one-off run.
    const slow = await spawnSimulator({ tokenizer: 'words', itl_ms: 150, itl_std_ms: 0, models: ['Qwen/Qwen3-0.6B', 'Qwen/Qwen3-8B'] });
    try {
      const dir = workspace();
      const run = await runSuites(['suites/latency'], dir, {
        BENCH_BASE_URL: slow.url,
        BENCH_MODEL: 'Qwen/Qwen3-8B',
        BENCH_NUM_REQUESTS: '3',
        BENCH_WARMUP_REQUESTS: '0',
        BENCH_MAX_TOKENS: '4',
        BENCH_TARGETS_FILE: '',
      });
      expect(run.code).toBe(1);
      expect(run.output).toMatch(/SLO mlperf-standard: FAIL/);
      expect(run.output).toMatch(/FAIL +TPOT p95 +1\d\d\.?\d* ms <= 100 ms/);
      expect(run.output).toMatch(/pass +TTFT p95 +[\d.]+ ms <= 2000 ms/);
      expect(run.output).toContain(`endpoint ${slow.url}`);
      expect(run.output).toContain(`on ${slow.url} (Qwen/Qwen3-8B): SLO not met`);
    } finally {
      await slow.stop();
    }
  });

  test('BENCH_TARGET=local-vllm npx vitest run suites/smoke suites/latency: the example targets.yaml, its URL from VLLM_BASE_URL', async () => {
    const sim = await spawnSimulator({ tokenizer: 'words', time_scale: 0.05, models: ['Qwen/Qwen3-8B'] });
    try {
      const dir = workspace(readFileSync(join(import.meta.dirname, '../../examples/targets.yaml'), 'utf8'));
      const run = await runSuitesOnceValid(['suites/smoke', 'suites/latency'], dir, {
        BENCH_TARGET: 'local-vllm',
        VLLM_BASE_URL: sim.url,
        BENCH_NUM_REQUESTS: '4',
        BENCH_WARMUP_REQUESTS: '1',
        BENCH_MAX_TOKENS: '8',
      });
      expect(run.code, run.output).toBe(0);
      for (const suite of ['smoke', 'latency']) {
        const summary = JSON.parse(readFileSync(join(run.runDirs[suite]!, 'summary.json'), 'utf8'));
        for (const t of summary.tests) expect(t).toMatchObject({ target: 'local-vllm', base_url: sim.url, model: 'Qwen/Qwen3-8B' });
      }
    } finally {
      await sim.stop();
    }
  });

  test('an unreachable endpoint fails the suite within seconds, naming the URL and the reason', async () => {
    const port = await closedPort();
    const run = await runSuites(['suites/latency'], workspace(), { BENCH_BASE_URL: `http://127.0.0.1:${port}`, BENCH_TARGETS_FILE: '' });
    expect(run.code).toBe(1);
    expect(run.output).toContain(`TargetError: http://127.0.0.1:${port}/v1/models: connection refused`);
    expect(run.output).not.toMatch(/^\s+at .*lib\//m);
    expect(run.ms).toBeLessThan(30_000);
  });

  test('a mistyped key in targets.yaml is one line naming the file, the path and the fix', async () => {
    const dir = workspace('targets:\n  - name: local\n    base_ur: http://127.0.0.1:8000\n');
    const run = await runSuites(['suites/latency'], dir);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/targets\.yaml: targets\[0\]: unknown key "base_ur" \(did you mean "base_url"\?\)/);
  });

  test('the API key never reaches the output or the results folder', async () => {
    const sim = await spawnSimulator({ tokenizer: 'words', time_scale: 0.05 });
    const key = 'sk-e2e-DO-NOT-LEAK-4f9a1c';
    try {
      const run = await runSuitesOnceValid(['suites/smoke'], workspace(), { BENCH_BASE_URL: sim.url, BENCH_TARGETS_FILE: '', OPENAI_API_KEY: key });
      expect(run.code, run.output).toBe(0);
      expect(run.output).not.toContain(key);
      expect(readTree(run.resultsDir)).not.toContain(key);
      expect(readTree(run.resultsDir)).toContain('"scenario":"one_completion"');
    } finally {
      await sim.stop();
    }
  });
});
