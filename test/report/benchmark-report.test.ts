import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import type { TestModule } from 'vitest/node';
import type { RunStats } from '../../lib/metrics/aggregate.ts';
import { readRunClock } from '../../lib/metrics/record.ts';
import type { ServerMetricsReport } from '../../lib/prom/run-metrics.ts';
import type { MetricWindowResult } from '../../lib/prom/window.ts';
import type { StageReport, TestReport } from '../../lib/report/model.ts';
import { renderBenchmarkReports, uuidV5 } from '../../lib/render/benchmark-report.ts';
import { runDirOf } from '../../lib/report/run-info.ts';
import { BenchmarkReportReporter } from '../../reporters/benchmark-report-reporter.ts';
import { failedRecord, statsOf, timedRecord } from '../slo/stats.ts';
import { brValidator } from './br-schema.ts';

const validate = brValidator();
const RUN = { stamp: '2026-01-01T00-00-00Z', suite: 'latency', tool: { name: 'vitest-llm-d', version: '0.1.0', node: 'v20.20.0' } };

/** TTFT 100 + k ms, TPOT `tpot` ms, `n` requests, all successful. */
const statsWith = (tpot: number, n = 10): RunStats => statsOf(Array.from({ length: n }, (_, k) => timedRecord(100 + k, tpot)));

function report(stats: RunStats, over: Partial<TestReport> = {}): TestReport {
  return {
    schema: 'vitest-llm-d/test-report@1',
    suite: 'latency',
    scenario: 'quick_validation',
    description: 'Quick check',
    timestamp: '2026-01-01T00:00:01.500Z',
    target: {
      name: 'simulator', kind: 'simulator', origin: 'default', baseUrl: 'http://127.0.0.1:1/v1', model: 'Qwen/Qwen3-0.6B',
      servedModels: ['Qwen/Qwen3-0.6B'], backend: 'vllm', accelerator: null, notes: null, simulator: { profile: 'default', time_scale: 1 },
    },
    workload: {
      api: 'completions', stream: true, load: 'concurrency 1 (closed loop)', loadConfig: { type: 'concurrency', concurrency: 1 }, warmupRequests: 0, requests: 10,
      data: { type: 'synthetic', seed: 1, cells: ['prompt=50,max_tokens=100', 'prompt=500,max_tokens=100'], tokenizer: { name: 'words', kind: 'stand-in', exact: false }, config: { type: 'synthetic', prompt_tokens: [50, 500], max_tokens: [100], seed: 1 } },
      overrides: [], notes: [],
    },
    stats,
    cells: [],
    stages: [stage(0, 'concurrency 1', stats, { offered: { rate: null, concurrency: 1 } })],
    stop: null,
    goodput: null,
    run: { clock: readRunClock(), durationS: 4.25, stopped: null, sent: 10, offeredRate: null, achievedSendRate: null, eventLoopDelayMs: { p50: 0, p99: 0, max: 0 }, priority: { nice: 0, raised: false } },
    validity: { valid: true, reasons: [] },
    slo: [],
    files: { requests: 'requests.jsonl' },
    runDir: '/tmp/x',
    ...over,
  };
}

function stage(index: number, label: string, stats: RunStats, over: Partial<StageReport> = {}): StageReport {
  return {
    index, label, description: label, offered: { rate: null, concurrency: index + 1 }, durationS: 3, sent: stats.requests.total, cut: 0, achievedSendRate: null,
    eventLoopDelayMs: { p50: 0, p99: 0, max: 0 }, stats, validity: { valid: true, reasons: [] }, stopRule: null,
    goodput: { profile: 'mlperf-standard', conditions: [], requests: 10, good: 10, fraction: 1, requestsPerS: 3, skipped: [] },
    ...over,
  };
}

type Stat = Record<string, number | string>;
type Br = {
  version: string;
  run: { uid: string; eid: string; time: Record<string, string>; description: string };
  scenario: { stack: Array<{ metadata: Record<string, string>; standardized: Record<string, unknown> }>; load: { metadata: Record<string, string>; standardized: Record<string, unknown>; native: { config: Record<string, unknown> } } };
  results: { request_performance: { aggregate: { requests: Record<string, unknown>; throughput: Record<string, Stat>; latency: Record<string, Stat> } } };
};

const render = (r: TestReport) => renderBenchmarkReports(r, RUN).map((x) => ({ file: x.file, br: x.report as unknown as Br }));

describe('renderBenchmarkReports', () => {
  test('a single-stage run: one report, valid against the upstream v0.2.1 schema', () => {
    const out = render(report(statsWith(10)));
    expect(out.map((x) => x.file)).toEqual(['quick_validation.json']);
    const br = out[0]!.br;
    expect(validate(br)).toEqual([]);
    expect(br.version).toBe('0.2.1');
    expect(br.run.time).toEqual({ start: '2026-01-01T00:00:01.500Z', end: '2026-01-01T00:00:05.750Z', duration: 'PT4.25S' });
    expect(br.run.description).toMatch(/^SIMULATOR/);
    const comp = br.scenario.stack[0]!;
    expect(comp.metadata.description).toMatch(/^SIMULATOR/);
    expect(comp.standardized).toMatchObject({ kind: 'generic', tool: 'vitest-llm-d-sim', tool_version: '0.1.0', simulated: true, model: { name: 'Qwen/Qwen3-0.6B' } });
    expect(br.scenario.load.standardized).toEqual({
      tool: 'vitest-llm-d', tool_version: '0.1.0', source: 'random', stage: 0,
      // The realized lengths (every request of statsWith had 12 prompt and 4 output tokens, from usage); the configured ones in the description.
      input_seq_len: { distribution: 'fixed', value: 12 }, output_seq_len: { distribution: 'fixed', value: 4 }, concurrency: 1,
    });
    expect(br.scenario.load.metadata.description).toContain(
      'Sequence lengths: input tokens: configured mean 275 in 50..500; realized fixed 12 (server usage.prompt_tokens); output tokens: configured fixed 100; realized fixed 4 (server usage.completion_tokens).',
    );
    expect(br.scenario.load.native.config).toMatchObject({ load: { type: 'concurrency', concurrency: 1 }, data: { type: 'synthetic', prompt_tokens: [50, 500] } });
    expect(br.results.request_performance.aggregate.requests).toMatchObject({ total: 10, failures: 0, incomplete: 0 });
  });

  test('each field is fed by the metric the dictionary names, in the schema units, every percentile computed', () => {
    const stats = statsWith(10, 20);
    const lat = render(report(stats))[0]!.br.results.request_performance.aggregate.latency;
    const l = stats.latency;
    expect(lat.time_to_first_token).toMatchObject({ units: 'ms', mean: l.ttft.mean, p95: l.ttft.percentiles.p95, p0p1: l.ttft.percentiles.p0_1, p99p9: l.ttft.percentiles.p99_9, min: 100, max: 119 });
    expect(lat.time_to_first_token!.p95).toBeCloseTo(100 + 0.95 * 19, 9);
    expect(lat.time_per_output_token).toMatchObject({ units: 'ms/token', mean: l.tpot.mean, p50: l.tpot.percentiles.p50 });
    expect(lat.inter_token_latency).toMatchObject({ units: 'ms/token', p99: l.itl.percentiles.p99 });
    expect(lat.normalized_time_per_output_token).toMatchObject({ units: 'ms/token', mean: l.ntpot.mean });
    expect(lat.request_latency).toMatchObject({ units: 'ms', p75: l.e2e.percentiles.p75 });
    for (const k of ['p0p1', 'p1', 'p5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95', 'p99', 'p99p9', 'stddev', 'min', 'max']) expect(lat.time_to_first_token).toHaveProperty(k);
    expect(lat.inter_token_latency!.definition).toMatch(/ITL.*chunk.*pooled/);
    expect(lat.time_per_output_token!.definition).toMatch(/\(end - firstChunk\) \/ \(N - 1\)/);
    const tp = render(report(stats))[0]!.br.results.request_performance.aggregate.throughput;
    expect(tp.output_token_rate).toMatchObject({ units: 'tokens/s', mean: stats.throughput.outputTokensPerS });
    expect(tp.request_rate).toMatchObject({ units: 'queries/s', mean: stats.throughput.requestsPerS });
    expect(tp.total_token_rate!.mean).toBeCloseTo(stats.throughput.outputTokensPerS! + stats.throughput.inputTokensPerS!, 9);
  });

  test('a percentile that was not computed is left out, never filled', () => {
    const stats = statsWith(10);
    for (const s of Object.values(stats.latency)) s.percentiles = { p50: s.percentiles.p50!, p95: s.percentiles.p95! };
    const lat = render(report(stats))[0]!.br.results.request_performance.aggregate.latency;
    expect(lat.time_to_first_token).not.toHaveProperty('p0p1');
    expect(lat.time_to_first_token).not.toHaveProperty('p99');
    expect(validate(render(report(stats))[0]!.br)).toEqual([]);
  });

  test('a multi-stage run: one report per stage, stage numbers and offered loads, shared eid, all valid', () => {
    const a = statsWith(10);
    const b = statsWith(20);
    const out = render(report(a, { scenario: 'sweep', stages: [stage(0, 'concurrency 1', a), stage(1, 'concurrency 2', b, { durationS: 2.5 }), stage(2, 'rate 5/s', b, { offered: { rate: 5, concurrency: null } })] }));
    expect(out.map((x) => x.file)).toEqual(['sweep.stage-0.json', 'sweep.stage-1.json', 'sweep.stage-2.json']);
    for (const { br } of out) expect(validate(br)).toEqual([]);
    expect(out.map((x) => x.br.scenario.load.standardized.stage)).toEqual([0, 1, 2]);
    expect(out[1]!.br.scenario.load.standardized.concurrency).toBe(2);
    expect(out[2]!.br.scenario.load.standardized).toMatchObject({ rate_qps: 5 });
    expect(out[2]!.br.scenario.load.standardized).not.toHaveProperty('concurrency');
    expect(out[1]!.br.run.time).toEqual({ duration: 'PT2.5S' });
    expect(out[1]!.br.results.request_performance.aggregate.latency.time_per_output_token!.mean).toBeCloseTo(20, 9);
    expect(new Set(out.map((x) => x.br.run.uid)).size).toBe(3);
    expect(new Set(out.map((x) => x.br.run.eid)).size).toBe(1);
  });

  test('server metrics fill results.observability: aggregates and time series in schema units, per stage window, the rest in native', () => {
    const a = statsWith(10);
    const ok = (name: string, unit: string, points: Array<[number, number]>, more: Array<[number, number]> = []): MetricWindowResult => ({
      name, unit, query: `q(${name})`, status: 'ok', series: [{ labels: { gpu: '0' }, points }, ...(more.length ? [{ labels: { gpu: '1' }, points: more }] : [])], summary: { min: 0, max: 1, mean: 0.5, last: 1 },
    });
    const serverMetrics: ServerMetricsReport = {
      source: 'prometheus', endpoint: 'http://prom:9090',
      window: { start: '2026-01-01T00:00:01.500Z', end: '2026-01-01T00:00:05.750Z', stepS: 1, stages: [
        { label: 'concurrency 1', start: '2026-01-01T00:00:01.500Z', end: '2026-01-01T00:00:03.600Z' },
        { label: 'concurrency 2', start: '2026-01-01T00:00:03.600Z', end: '2026-01-01T00:00:05.750Z' },
      ] },
      filters: { model: 'Qwen/Qwen3-0.6B', instance: '127.0.0.1:1' },
      metrics: [
        ok('gpu.utilizationPct', '%', [[0, 10], [1, 50], [2, 60], [3, 90], [4, 95]], [[0, 20], [1, 40]]),
        ok('vllm.kvCacheUsage', 'ratio', [[0, 0.1], [3, 0.5]]),
        ok('gpu.memoryFreeMiB', 'MiB', [[0, 100]]),
        { name: 'controller.actuations', unit: 'actuations', query: 'q', status: 'absent', reason: 'no series matched in the window', series: [], summary: { min: null, max: null, mean: null, last: null } },
      ],
      missing: [{ name: 'controller.actuations', reason: 'no series matched in the window' }],
      notes: [],
    };
    const [whole] = render(report(a, { serverMetrics }));
    expect(validate(whole!.br)).toEqual([]);
    const obs = (whole!.br.results as unknown as { observability: { components: Array<{ component_label: string; aggregate: Record<string, Stat>; time_series: Record<string, { units: string; series: Array<Record<string, unknown>> }> }>; native: Record<string, unknown> } }).observability;
    const c = obs.components[0]!;
    expect(c.component_label).toBe('simulator');
    expect(c.aggregate.gpu_utilization).toMatchObject({ units: 'percent', min: 10, max: 95, mean: (10 + 50 + 60 + 90 + 95 + 20 + 40) / 7 });
    expect(c.aggregate.kv_cache_usage).toMatchObject({ units: 'percent', min: 10, max: 50 });
    expect(c.time_series.gpu_utilization!.series[0]).toEqual({ ts: '2026-01-01T00:00:01.500Z', value: 15, mean: 15, min: 10, max: 20 });
    expect(c.time_series.gpu_utilization!.series).toHaveLength(5);
    // Not in the standard's fields: only in native, with what is missing and why.
    expect(Object.keys(c.aggregate)).not.toContain('gpu_memory_free');
    expect(obs.native).toMatchObject({ source: 'prometheus', endpoint: 'http://prom:9090', missing: [{ name: 'controller.actuations' }] });
    // Stage reports: only the points of the stage's window.
    const staged = render(report(a, { serverMetrics, stages: [stage(0, 'concurrency 1', a), stage(1, 'concurrency 2', a)] }));
    for (const { br } of staged) expect(validate(br)).toEqual([]);
    const agg = (k: number) => (staged[k]!.br.results as unknown as { observability: { components: Array<{ aggregate: Record<string, Stat> }> } }).observability.components[0]!.aggregate;
    expect(agg(0).gpu_utilization).toMatchObject({ min: 10, max: 60 });
    expect(agg(1).gpu_utilization).toMatchObject({ min: 90, max: 95 });
  });

  test('a run with failures and cut requests: counts, and still valid', () => {
    const stats = statsOf([timedRecord(100, 10), timedRecord(120, 10), failedRecord(), failedRecord()]);
    stats.requests.cut = 1;
    const br = render(report(stats))[0]!.br;
    expect(validate(br)).toEqual([]);
    expect(br.results.request_performance.aggregate.requests).toMatchObject({ total: 5, failures: 2, incomplete: 1 });
  });

  test('a run where every request failed has no latency statistics and is still valid', () => {
    const stats = statsOf([failedRecord(), failedRecord()]);
    const br = render(report(stats))[0]!.br;
    expect(validate(br)).toEqual([]);
    expect(br.results.request_performance.aggregate.latency).toEqual({});
    // No request gave lengths: the configured ones stand.
    expect(br.scenario.load.standardized).toMatchObject({ input_seq_len: { distribution: 'other', value: 275, min: 50, max: 500 }, output_seq_len: { distribution: 'fixed', value: 100 } });
  });

  test('workload shapes: random (gaussian), shared prefix, sharegpt (sampled), a real endpoint', () => {
    const stats = statsWith(10);
    const data = (config: Record<string, unknown>) => ({ ...report(stats).workload, data: { ...report(stats).workload.data, type: config.type as string, config } });
    const random = render(report(stats, { workload: data({ type: 'random', input_distribution: { min: 10, max: 200, mean: 100, std: 20 }, output_distribution: { min: 5, max: 5, mean: 5, std: 0 } }) }))[0]!.br;
    expect(random.scenario.load.standardized).toMatchObject({ source: 'random', input_seq_len: { distribution: 'fixed', value: 12 }, output_seq_len: { distribution: 'fixed', value: 4 } });
    expect(random.scenario.load.metadata.description).toContain('input tokens: configured gaussian mean 100 sd 20 in 10..200; realized fixed 12');
    const sp = render(report(stats, { workload: data({ type: 'shared_prefix', num_groups: 4, num_prompts_per_group: 8, system_prompt_len: 1000, question_len: 50, output_len: 20 }) }))[0]!.br;
    expect(sp.scenario.load.metadata.description).toContain('input tokens: configured fixed 1050; realized fixed 12');
    expect(sp.scenario.load.standardized).toMatchObject({ input_seq_len: { distribution: 'fixed', value: 12 }, prefix: { prefix_len: { distribution: 'fixed', value: 1000 }, num_groups: 4, num_users_per_group: 8, num_prefixes: 1 } });
    const sg = render(report(stats, { workload: data({ type: 'sharegpt', path: 'x.jsonl', max_prompt_tokens: 1024, max_total_tokens: 2048 }) }))[0]!.br;
    expect(sg.scenario.load.standardized).toMatchObject({ source: 'sampled', input_seq_len: { distribution: 'fixed', value: stats.tokens.input.mean } });
    expect(sg.scenario.load.metadata.description).toContain("input tokens: configured from the dataset; realized fixed 12 (server usage.prompt_tokens); output tokens: configured each reply's length");
    expect(sg.scenario.load.metadata.description).toContain("dataset x.jsonl, kept: prompts 4..1024 tokens, prompt + output <= 2048; max_tokens is each reply's token count");
    const real = render(report(stats, { target: { ...report(stats).target, kind: 'endpoint', name: 'local-vllm', simulator: null, accelerator: '1x H100-80GB' } }))[0]!.br;
    expect(real.scenario.stack[0]!.standardized).toMatchObject({ kind: 'generic', tool: 'vllm', tool_version: 'unknown', accelerator: '1x H100-80GB', simulated: false });
    expect(real.run.description).not.toMatch(/SIMULATOR/);
    for (const br of [random, sp, sg, real]) expect(validate(br)).toEqual([]);
  });

  test('the uid is deterministic for a run, suite and scenario, and a version-5 UUID', () => {
    const a = render(report(statsWith(10)))[0]!.br.run.uid;
    expect(render(report(statsWith(20)))[0]!.br.run.uid).toBe(a);
    expect(render(report(statsWith(10), { scenario: 'other' }))[0]!.br.run.uid).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // RFC 4122 test vector: uuid5(NAMESPACE_DNS, 'python.org').
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  test('the validator does reject what the schema forbids', () => {
    const br = render(report(statsWith(10)))[0]!.br as unknown as Record<string, Record<string, unknown>>;
    expect(validate({ ...br, run: {} })).not.toEqual([]);
    expect(validate({ ...br, extra: 1 })).not.toEqual([]);
  });
});

describe('BenchmarkReportReporter', () => {
  const fakeModules = (r: TestReport) =>
    [{ moduleId: '/x/suites/latency/latency.test.ts', children: { allTests: () => [{ name: r.scenario, meta: () => ({ llmd: r }), result: () => ({ state: 'passed' }), diagnostic: () => ({ duration: 10 }) }] } }] as unknown as TestModule[];

  test('writes benchmark-report/<scenario>.json into the suite run folder, valid', () => {
    const resultsDir = mkdtempSync(join(tmpdir(), 'llmd-br-'));
    const run = { stamp: '2026-01-01T00-00-00Z', resultsDir };
    new BenchmarkReportReporter(run).onTestRunEnd(fakeModules(report(statsWith(10))));
    const dir = join(runDirOf(run, 'latency'), 'benchmark-report');
    expect(readdirSync(dir)).toEqual(['quick_validation.json']);
    expect(validate(JSON.parse(readFileSync(join(dir, 'quick_validation.json'), 'utf8')))).toEqual([]);
  });

  test('a folder that cannot be written is one line naming the file; nothing is thrown', () => {
    const base = mkdtempSync(join(tmpdir(), 'llmd-br-'));
    writeFileSync(join(base, 'file'), '');
    const run = { stamp: '2026-01-01T00-00-00Z', resultsDir: join(base, 'file') };
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    try {
      new BenchmarkReportReporter(run).onTestRunEnd(fakeModules(report(statsWith(10))));
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot write ${join(runDirOf(run, 'latency'), 'benchmark-report', 'quick_validation.json')}: ENOTDIR`);
  });
});
