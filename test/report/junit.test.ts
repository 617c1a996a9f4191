import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, test, vi } from 'vitest';
import type { TestModule } from 'vitest/node';
import type { ActuationReport } from '../../lib/actuation/report.ts';
import { summarizeRecords } from '../../lib/actuation/result.ts';
import type { RequesterRecord } from '../../lib/actuation/record.ts';
import type { RunStats } from '../../lib/metrics/aggregate.ts';
import { readRunClock } from '../../lib/metrics/record.ts';
import type { StageReport, TestReport } from '../../lib/report/model.ts';
import { formatBreach, renderJunit } from '../../lib/render/junit.ts';
import type { RunReport } from '../../lib/report/run-report.ts';
import { runDirOf } from '../../lib/report/run-info.ts';
import { evaluateSlo } from '../../lib/slo/evaluate.ts';
import { DEFAULT_FLOORS, type SloProfile } from '../../lib/slo/profile.ts';
import { JunitReporter } from '../../reporters/junit-reporter.ts';
import { statsOf, timedRecord } from '../slo/stats.ts';

const TOOL = { name: 'vitest-llm-d', version: '0.1.0', node: 'v20.20.0' };
const MLPERF: SloProfile = {
  name: 'mlperf-standard',
  description: 'MLPerf standard',
  source: 'test',
  limits: [
    { metric: 'ttft', stat: 'p95', max: 2000, unit: 'ms' },
    { metric: 'tpot', stat: 'p95', max: 100, unit: 'ms' },
  ],
} as SloProfile;

/** TTFT 100 ms, TPOT `tpot` ms, 10 requests, all successful. */
const statsWith = (tpot: number): RunStats => statsOf(Array.from({ length: 10 }, () => timedRecord(100, tpot)));

function report(stats: RunStats, over: Partial<TestReport> = {}): TestReport {
  return {
    schema: 'vitest-llm-d/test-report@1',
    suite: 'latency',
    scenario: 'quick_validation',
    description: null,
    timestamp: '2026-01-01T00:00:00.000Z',
    target: {
      name: 'simulator',
      kind: 'simulator',
      origin: 'default',
      baseUrl: 'http://127.0.0.1:1/v1',
      model: 'Qwen/Qwen3-0.6B',
      servedModels: [],
      backend: 'vllm',
      accelerator: null,
      notes: null,
      simulator: { profile: 'default', time_scale: 1 },
    },
    workload: { api: 'completions', stream: true, load: 'concurrency 1 (closed loop)', loadConfig: {}, warmupRequests: 0, requests: 10, data: { type: 'synthetic', seed: 1, cells: [], tokenizer: { name: 'words', kind: 'stand-in', exact: false } }, overrides: [], notes: [] },
    stats,
    cells: [],
    stages: [],
    stop: null,
    goodput: { profile: 'mlperf-standard', conditions: ['TTFT <= 2000 ms'], requests: 10, good: 10, fraction: 1, requestsPerS: 2.5, skipped: [] },
    run: { clock: readRunClock(), durationS: 4.25, stopped: null, sent: 10, offeredRate: null, achievedSendRate: null, eventLoopDelayMs: { p50: 0, p99: 0, max: 0 }, priority: { nice: 0, raised: false } },
    validity: { valid: true, reasons: [] },
    slo: [evaluateSlo(MLPERF, stats, DEFAULT_FLOORS)],
    files: { requests: 'requests.jsonl' },
    runDir: '/tmp/x',
    ...over,
  };
}

function stage(index: number, label: string, stats: RunStats, over: Partial<StageReport> = {}): StageReport {
  return {
    index,
    label,
    description: label,
    offered: { rate: null, concurrency: index + 1 },
    durationS: 3,
    sent: stats.requests.total,
    cut: 0,
    achievedSendRate: null,
    eventLoopDelayMs: { p50: 0, p99: 0, max: 0 },
    stats,
    validity: { valid: true, reasons: [] },
    stopRule: null,
    goodput: { profile: 'mlperf-standard', conditions: [], requests: 10, good: 10, fraction: 1, requestsPerS: 3, skipped: [] },
    ...over,
  };
}

function actuation(over: Partial<ActuationReport> = {}): ActuationReport {
  const rec = (path: RequesterRecord['path'], actuationS: number): RequesterRecord =>
    ({ requester: `r-${path}`, style: 'direct', path, classification: { disagreements: [] }, ready: true, timings: { actuation: { seconds: actuationS, source: 'kube' }, total: { seconds: actuationS + 1, source: 'client' } } }) as unknown as RequesterRecord;
  const records = [rec('hot', 2), rec('hot', 3), rec('cold', 40)];
  return {
    suite: 'actuation',
    scenario: 'hot_wakeup',
    matrixRow: 'hot wake-up',
    timestamp: '2026-01-01T00:00:10.000Z',
    cluster: { kind: 'simulator', server: 'http://127.0.0.1:2', context: 'sim', namespace: 'bench', serverVersion: 'v1.31-sim', timeScale: 0.01, source: 'embedded' },
    runId: 'run-1',
    steps: [{ phase: 'up', replicas: 3, t0: '2026-01-01T00:00:10.000Z', preexisting: 0, timedOut: false, counted: true, controllerLog: '', requesters: records }],
    summary: summarizeRecords(records),
    slo: [
      { name: 'hot actuation p95 (s)', value: 2.95, limit: 15, op: '<=', pass: true },
      { name: 'hot hit rate', value: 2 / 3, limit: 0.9, op: '>=', pass: false },
    ],
    notes: [],
    overrides: [],
    ...over,
  };
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) });

interface Case {
  classname: string;
  name: string;
  time?: string;
  properties?: { property: Array<{ name: string; value: string }> };
  failure?: { message: string; type?: string; '#text'?: string } | string;
  error?: { message: string; '#text'?: string };
  skipped?: unknown;
  'system-out'?: string;
}

/** Renders, checks the XML is well-formed, and parses it. */
function parse(suites: RunReport[]): { xml: string; doc: { testsuites: Record<string, string> & { testsuite: Array<Record<string, string> & { testcase: Case[]; properties?: { property: Array<{ name: string; value: string }> } }> } } } {
  const xml = renderJunit(suites);
  expect(XMLValidator.validate(xml)).toBe(true);
  return { xml, doc: parser.parse(xml) };
}

const props = (c: { properties?: { property: Array<{ name: string; value: string }> } }): Record<string, string> =>
  Object.fromEntries((c.properties?.property ?? []).map((x) => [x.name, x.value]));

const suite = (over: Partial<RunReport>): RunReport => ({
  suite: 'latency',
  stamp: '2026-01-01T00-00-00Z',
  runDir: '/results/2026-01-01T00-00-00Z-latency',
  tool: TOOL,
  testFiles: ['suites/latency/latency.test.ts'],
  tests: [],
  actuation: [],
  failed: [],
  skipped: [],
  environment: null,
  ...over,
});

describe('renderJunit', () => {
  test('one testsuite per suite, one testcase per test; counts of failures, errors and skips', () => {
    const slow = statsWith(150);
    const { doc } = parse([
      suite({
        tests: [
          { report: report(statsWith(10)), state: 'passed' },
          { report: report(slow, { scenario: 'latency_benchmark' }), state: 'failed', error: 'latency/latency_benchmark on the SIMULATOR (Qwen/Qwen3-0.6B): SLO not met\nSLO mlperf-standard: FAIL' },
        ],
        failed: [{ name: 'starts', state: 'failed', error: 'TargetError: http://127.0.0.1:9/v1/models: connection refused\nmore' }],
        skipped: [{ name: 'later', note: 'no GPU' }],
      }),
      suite({ suite: 'actuation', actuation: [{ report: actuation(), state: 'passed', durationMs: 1500 }] }),
    ]);
    const root = doc.testsuites;
    expect(root).toMatchObject({ tests: '5', failures: '1', errors: '1', skipped: '1' });
    expect(root.testsuite.map((s) => [s.name, s.tests])).toEqual([['latency', '4'], ['actuation', '1']]);
    const cases = root.testsuite[0]!.testcase;
    expect(cases.map((c) => [c.classname, c.name])).toEqual([['latency', 'quick_validation'], ['latency', 'latency_benchmark'], ['latency', 'starts'], ['latency', 'later']]);
    expect(cases[0]!.time).toBe('4.25');
    expect(cases[0]!.failure).toBeUndefined();
    expect(cases[2]!.error).toMatchObject({ message: 'TargetError: http://127.0.0.1:9/v1/models: connection refused' });
    expect(cases[3]).toHaveProperty('skipped');
    expect(root.testsuite[1]!.testcase[0]!.time).toBe('1.5');
  });

  test('an SLO breach is a failure whose message lists each broken limit against its limit', () => {
    const slow = statsOf(Array.from({ length: 10 }, () => timedRecord(2500, 150)));
    const r = report(slow, { validity: { valid: false, reasons: ['schedule lag p99 12.00 ms > 10 ms'] } });
    const { doc } = parse([suite({ tests: [{ report: r, state: 'failed', error: 'x: SLO not met' }] })]);
    const c = doc.testsuites.testsuite[0]!.testcase[0]!;
    const failure = c.failure as { message: string; type: string; '#text': string };
    expect(failure.type).toBe('slo');
    expect(failure.message).toBe('mlperf-standard: TTFT p95 2500 ms > 2000 ms, TPOT p95 150 ms > 100 ms; invalid run: schedule lag p99 12.00 ms > 10 ms');
    expect(failure['#text']).toContain('x: SLO not met');
    expect(props(c)['slo.mlperf-standard']).toBe('FAIL');
    expect(props(c)['slo.mlperf-standard.TPOT p95']).toBe('150 ms <= 100 ms: FAIL');
    expect(props(c)['slo.mlperf-standard.success rate']).toBe('100% >= 95%: pass');
    expect(props(c).validity).toBe('INVALID: schedule lag p99 12.00 ms > 10 ms');
  });

  test('a failed assertion that is not about the SLO keeps its own message', () => {
    const r = report(statsWith(10), { slo: [evaluateSlo({ ...MLPERF, limits: [{ metric: 'ttft', stat: 'p95', max: 1, unit: 'ms' }] } as SloProfile, statsWith(10), DEFAULT_FLOORS)] });
    const { doc } = parse([suite({ tests: [{ report: r, state: 'failed', error: 'no stop rule fired up to concurrency 64: the stack did not break\nexpected null not to be null' }] })]);
    const failure = doc.testsuites.testsuite[0]!.testcase[0]!.failure as { message: string; '#text': string };
    expect(failure.message).toBe('no stop rule fired up to concurrency 64: the stack did not break');
    expect(failure['#text']).toContain('mlperf-standard: TTFT p95 100 ms > 1 ms');
  });

  test('a passed test stays green even when an unasserted whole-run verdict failed (stress), the verdict in its properties', () => {
    const r = report(statsWith(150), { validity: { valid: false, reasons: ['stopped early: error_rate'] } });
    const { doc } = parse([suite({ tests: [{ report: r, state: 'passed' }] })]);
    const c = doc.testsuites.testsuite[0]!.testcase[0]!;
    expect(c.failure).toBeUndefined();
    expect(props(c)['slo.mlperf-standard']).toBe('FAIL');
  });

  test('properties: target kind, model, base_url, load, key metrics, goodput, validity, SLO limits', () => {
    const { doc } = parse([suite({ tests: [{ report: report(statsWith(10)), state: 'passed' }] })]);
    const c = doc.testsuites.testsuite[0]!.testcase[0]!;
    const p = props(c);
    expect(c.properties!.property[0]).toEqual({ name: 'target_kind', value: 'SIMULATOR' });
    expect(props(doc.testsuites.testsuite[0]!).target_kind).toBe('SIMULATOR');
    expect(c['system-out']).toMatch(/^SIMULATOR: /);
    expect(p).toMatchObject({ model: 'Qwen/Qwen3-0.6B', base_url: 'http://127.0.0.1:1/v1', load: 'concurrency 1 (closed loop)', success_rate: '1', validity: 'valid' });
    for (const m of ['ttft', 'tpot', 'itl', 'e2e']) for (const q of ['p50', 'p95', 'p99']) expect(Number(p[`${m}_ms.${q}`]), `${m} ${q}`).toBeGreaterThan(0);
    expect(p['ttft_ms.p95']).toBe('100');
    expect(p['tpot_ms.p95']).toBe('10');
    expect(Number(p['throughput.output_tokens_per_s'])).toBeGreaterThan(0);
    expect(p['schedule_lag_ms.p99']).toBe('0');
    expect(p['goodput.requests_per_s']).toBe('2.5');
    expect(p['slo.mlperf-standard']).toBe('PASS');
    expect(p['slo.mlperf-standard.TTFT p95']).toBe('100 ms <= 2000 ms: pass');
    expect(p['slo.mlperf-standard.schedule lag p99 (client kept up)']).toBe('0 ms <= 10 ms: pass');
  });

  test('server metrics: metrics.<name> as min/mean/max/last unit, or absent/error with the reason', () => {
    const none = { min: null, max: null, mean: null, last: null };
    const r = report(statsWith(10), {
      serverMetrics: {
        source: 'scrape', endpoint: 'http://127.0.0.1:1/metrics', window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T00:00:04.000Z', stepS: 1, stages: [] }, filters: { model: 'm' },
        metrics: [
          { name: 'gpu.utilizationPct', unit: '%', query: 'q', status: 'ok', series: [{ labels: {}, points: [[0, 10], [1, 80]] }], summary: { min: 10, max: 80, mean: 45, last: 80 } },
          { name: 'controller.actuations', unit: 'actuations', query: 'q', status: 'absent', reason: 'a PromQL metric, read only from Prometheus', series: [], summary: none },
          { name: 'vllm.kvCacheUsage', unit: 'ratio', query: 'q', status: 'error', reason: 'GET http://127.0.0.1:1/metrics: HTTP 404', series: [], summary: none },
        ],
        missing: [], notes: [],
      },
    });
    const p = props(parse([suite({ tests: [{ report: r, state: 'passed' }] })]).doc.testsuites.testsuite[0]!.testcase[0]!);
    expect(p.metrics).toBe('scrape http://127.0.0.1:1/metrics, 2026-01-01T00:00:00.000Z to 2026-01-01T00:00:04.000Z, step 1 s');
    expect(p['metrics.gpu.utilizationPct']).toBe('10/45/80/80 %');
    expect(p['metrics.controller.actuations']).toBe('absent: a PromQL metric, read only from Prometheus');
    expect(p['metrics.vllm.kvCacheUsage']).toBe('error: GET http://127.0.0.1:1/metrics: HTTP 404');
  });

  test('an endpoint run says endpoint, not SIMULATOR', () => {
    const r = report(statsWith(10), { target: { ...report(statsWith(10)).target, name: 'prod', kind: 'endpoint', simulator: null, baseUrl: 'https://vllm.example/v1' } });
    const { xml, doc } = parse([suite({ tests: [{ report: r, state: 'passed' }] })]);
    expect(props(doc.testsuites.testsuite[0]!.testcase[0]!).target_kind).toBe('endpoint');
    expect(xml).not.toContain('SIMULATOR');
  });

  test('scenario names and descriptions with <&"\'> are escaped and read back intact', () => {
    const nasty = `a <b> & "c" 'd' ]]> e`;
    const r = report(statsWith(10), { scenario: `s<&"'>`, description: nasty });
    const { xml, doc } = parse([suite({ tests: [{ report: r, state: 'failed', error: `boom ${nasty}` }] })]);
    expect(xml).toContain('value="a &lt;b> &amp; &quot;c&quot;');
    // The error text goes in CDATA, whose own terminator is split so it cannot end the section early.
    expect(xml).toContain(`<![CDATA[boom a <b> & "c" 'd' ]]]]><![CDATA[> e]]>`);
    const c = doc.testsuites.testsuite[0]!.testcase[0]!;
    expect((c.failure as { '#text': string })['#text']).toBe(`boom ${nasty}`);
    expect(c.name).toBe(`s<&"'>`);
    expect(props(c).description).toBe(nasty);
    expect((c.failure as { message: string }).message).toBe(`boom ${nasty}`);
  });

  test('multi-stage runs: per-stage key metrics, the stop rule, knee and capacity', () => {
    const s1 = statsWith(10);
    const s2 = statsWith(40);
    const r = report(statsWith(20), {
      scenario: 'sweep',
      stages: [stage(0, 'concurrency 1', s1), stage(1, 'concurrency 2', s2, { stopRule: { rule: 'latency_p95', detail: 'TTFT p95 3000 ms > 2000 ms' }, validity: { valid: false, reasons: ['late'] } })],
      stop: { stage: 'concurrency 2', rule: 'latency_p95', detail: 'TTFT p95 3000 ms > 2000 ms', lastGood: 'concurrency 1', skipped: 3 },
      knee: { unit: 'output tokens/s', concurrency: 2, throughput: 120, best: { concurrency: 2, throughput: 120 }, plateau: false, tolerance: 0.1, points: [], conclusion: 'throughput still growing at concurrency 2' },
      capacity: { over: 'rate', value: 4, bracket: { passing: 4, failing: 8 }, probes: [], conclusion: 'capacity between 4/s and 8/s' },
      goodput: null,
    });
    const { doc } = parse([suite({ suite: 'throughput', tests: [{ report: r, state: 'passed' }] })]);
    const p = props(doc.testsuites.testsuite[0]!.testcase[0]!);
    expect(p['stage.1 concurrency 1']).toMatch(/^10 requests, success 100%, TTFT p50\/p95\/p99 100\/100\/100 ms, TPOT 10\/10\/10 ms, ITL .* ms, E2E .* ms, [\d.]+ tok\/s, [\d.]+ req\/s, schedule lag p99 0 ms, goodput 3 req\/s, valid$/);
    expect(p['stage.2 concurrency 2']).toMatch(/TPOT 40\/40\/40 ms.*INVALID: late, stop rule latency_p95: TTFT p95 3000 ms > 2000 ms$/);
    expect(p.stop_rule).toBe('latency_p95 at concurrency 2: TTFT p95 3000 ms > 2000 ms; last good stage: concurrency 1; 3 planned stages not run');
    expect(p).toMatchObject({ knee: 'throughput still growing at concurrency 2', 'knee.concurrency': '2', 'knee.throughput (output tokens/s)': '120' });
    expect(p).toMatchObject({ capacity: 'capacity between 4/s and 8/s', 'capacity.rate': '4' });
  });

  test('actuation tests carry startup times per path, hit rates and their SLO checks; a breach lists each', () => {
    const { doc } = parse([suite({ suite: 'actuation', actuation: [{ report: actuation(), state: 'failed', error: 'actuation SLO not met' }] })]);
    const c = doc.testsuites.testsuite[0]!.testcase[0]!;
    const p = props(c);
    expect(p).toMatchObject({
      target_kind: 'SIMULATOR',
      time_scale: '0.01',
      'path.hot.count': '2',
      'path.hot.t_actuation_s.p50': '2.5',
      'path.hot.t_actuation_s.p95': '2.95',
      'path.cold.t_actuation_s.p95': '40',
      'path.cold.t_total_s.p95': '41',
      'hit_rate.hot': '0.6667',
      'hit_rate.cold': '0.3333',
      'hit_rate.warm': '0',
      'slo.hot actuation p95 (s)': '2.95 s <= 15 s: pass',
      'slo.hot hit rate': '66.67% >= 90%: FAIL',
    });
    expect((c.failure as { message: string }).message).toBe('hot hit rate 66.7% < 90%');
    expect(c['system-out']).toMatch(/^SIMULATOR: embedded cluster simulator, time scale 0.01/);
  });

  test('formatBreach: value, negated operator and limit in the check\'s unit', () => {
    expect(formatBreach({ name: 'TPOT p95', value: 150, op: '<=', limit: 100, unit: 'ms' })).toBe('TPOT p95 150 ms > 100 ms');
    expect(formatBreach({ name: 'success rate', value: 0.95, op: '>=', limit: 0.99, unit: '' })).toBe('success rate 95.0% < 99%');
    expect(formatBreach({ name: 'TPOT p95', value: 150.467, op: '<=', limit: 100, unit: 'ms' })).toBe('TPOT p95 150 ms > 100 ms');
    expect(formatBreach({ name: 'schedule lag p99', value: 20.208, op: '<=', limit: 10, unit: 'ms' })).toBe('schedule lag p99 20.2 ms > 10 ms');
    expect(formatBreach({ name: 'TTFT p95', value: null, op: '<=', limit: 2000, unit: 'ms', note: 'no samples' })).toBe('TTFT p95 n/a (limit <= 2000 ms; no samples)');
  });
});

describe('JunitReporter', () => {
  const fakeModules = (r: TestReport) =>
    [{ moduleId: '/x/suites/latency/latency.test.ts', children: { allTests: () => [{ name: r.scenario, meta: () => ({ llmd: r }), result: () => ({ state: 'passed' }), diagnostic: () => ({ duration: 10 }) }] } }] as unknown as TestModule[];

  test('writes junit.xml into the suite run folder, next to summary.json', () => {
    const resultsDir = mkdtempSync(join(tmpdir(), 'llmd-junit-'));
    const run = { stamp: '2026-01-01T00-00-00Z', resultsDir };
    new JunitReporter(run).onTestRunEnd(fakeModules(report(statsWith(10))));
    const xml = readFileSync(join(runDirOf(run, 'latency'), 'junit.xml'), 'utf8');
    expect(parser.parse(xml).testsuites).toMatchObject({ tests: '1', failures: '0' });
  });

  test('a folder that cannot be written is one line naming the file; nothing is thrown', () => {
    const base = mkdtempSync(join(tmpdir(), 'llmd-junit-'));
    writeFileSync(join(base, 'file'), '');
    const run = { stamp: '2026-01-01T00-00-00Z', resultsDir: join(base, 'file') };
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    try {
      new JunitReporter(run).onTestRunEnd(fakeModules(report(statsWith(10))));
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^vitest-llm-d: cannot write ${join(runDirOf(run, 'latency'), 'junit.xml').replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOTDIR`));
  });
});
