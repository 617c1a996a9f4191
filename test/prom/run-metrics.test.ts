/*
 * A test's server metrics through the real code path: a real Prometheus (Debian's 2.42) scraping a
 * real embedded vLLM simulator at 1 s, scenarios run by `runScenario` around
 * `startServerMetrics(...).finish(report)` as the `bench` fixture does, and one suite run end to end
 * (summary.json, junit.xml, benchmark report). Then the failure paths: Prometheus unreachable or
 * refusing the token, no Prometheus (the scrape fallback), and a target without `/metrics`.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validateConfig } from '../../lib/config/format-issues.ts';
import { ScenarioFileSchema } from '../../lib/config/schema/scenario.ts';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { configErrorOf } from '../config/config-error-of.ts';
import { type ServerMetricsReport, ServerMetricsView } from '../../lib/prom/run-metrics.ts';
import { startServerMetrics, type ServerMetricsTarget } from '../../lib/prom/run-session.ts';
import type { TestReport } from '../../lib/report/model.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import type { ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { spawnSimulator, type SimProcess } from '../../sim/vllm/spawn.ts';
import { closedPort, httpServer } from '../http/drive.ts';
import { runSuites, workspace } from '../e2e/run-suite.ts';
import { brValidator } from '../report/br-schema.ts';
import { runOn, simTarget } from '../scenario/sim-target.ts';
import { prometheusAvailability, startPrometheus, type PrometheusServer } from './prometheus-server.ts';

const availability = prometheusAvailability();
if (!availability.available) console.warn(`test/prom/run-metrics: real-Prometheus tests skipped: ${availability.reason}`);
const TOKEN = 'prom-token-from-file-5e1d9a7c';

/** ~3 s of load at concurrency 4 (20 requests of 30 tokens at 20 ms a token). */
const LOAD: ScenarioInput = {
  stream: true,
  warmup_requests: 0,
  num_requests: 20,
  load: { type: 'concurrency', concurrency: 4 },
  data: { type: 'synthetic', prompt_tokens: [64], max_tokens: [30] },
} as ScenarioInput;
/** One short request. */
const SHORT: ScenarioInput = { ...LOAD, num_requests: 2, load: { type: 'concurrency', concurrency: 1 }, data: { type: 'synthetic', prompt_tokens: [16], max_tokens: [4] } } as ScenarioInput;

let dir: string;
let requests: RequestsFile;
let scraped: SimProcess;
let unscraped: SimProcess;
let prom: PrometheusServer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-run-metrics-'));
  requests = new RequestsFile(join(dir, 'requests.jsonl'));
  const sim = { profile: 'test-fast', tokenizer: 'words', itl_ms: 20, max_num_seqs: 4, kv_cache_blocks: 200, kv_cache_memory_gib: 8 } as const;
  [scraped, unscraped] = await Promise.all([spawnSimulator(sim), spawnSimulator(sim)]);
  if (availability.available) prom = await startPrometheus({ targets: [new URL(scraped.url).host] });
}, 60_000);

afterAll(async () => {
  requests?.close();
  await prom?.stop();
  await Promise.all([scraped?.stop(), unscraped?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `scenario` on `sim` the way `Bench.run` does: metrics started before, finished after. */
async function measured(name: string, sim: SimProcess, scenario: ScenarioInput, env: Record<string, string>, metricsTarget?: ServerMetricsTarget): Promise<TestReport> {
  const target = simTarget(sim.url, 'words');
  const session = startServerMetrics({ target: metricsTarget ?? target, env });
  const report = await runOn('metrics', dir, requests, name, target, scenario);
  const m = await session.finish(report);
  if (m) report.serverMetrics = m;
  return report;
}

const names = (m: ServerMetricsReport): string[] => m.metrics.map((x) => x.name);
const DEFAULT_NAMES = [
  'gpu.utilizationPct', 'gpu.memoryUsedMiB', 'gpu.memoryFreeMiB', 'gpu.powerW',
  'vllm.requestsRunning', 'vllm.requestsWaiting', 'vllm.kvCacheUsage', 'vllm.prefixCacheHitRate', 'vllm.requestSuccessRate',
  'controller.actuations', 'controller.actuationP50S', 'controller.actuationP90S', 'controller.actuationP99S',
];

describe.skipIf(!availability.available)(`from a real Prometheus${availability.available ? '' : ` (skipped: ${availability.reason})`}`, () => {
  test('series of the test window, tied to the simulator, GPU utilisation rising with the load; no token anywhere', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const r = await measured('prom', scraped, LOAD, { BENCH_PROMETHEUS_URL: prom!.url, BENCH_PROMETHEUS_SCRAPE_INTERVAL_S: '1', BENCH_PROMETHEUS_TOKEN_FILE: tokenFile });
    const m = r.serverMetrics!;
    expect(m).toMatchObject({ source: 'prometheus', endpoint: prom!.url, filters: { model: r.target.model, instance: new URL(scraped.url).host } });
    expect(m.window.start).toBe(r.timestamp);
    expect(Date.parse(m.window.end) - Date.parse(m.window.start)).toBeCloseTo(r.run.durationS * 1000, -1);
    expect(m.window.stages).toHaveLength(1);
    expect(m.window.stepS).toBe(1);
    expect(names(m)).toEqual(DEFAULT_NAMES);
    const view = new ServerMetricsView(m);
    const util = view.metric('gpu.utilizationPct')!;
    expect(util.status, util.reason).toBe('ok');
    expect(util.series[0]!.labels.instance).toBe(new URL(scraped.url).host);
    // Points are seconds since the window start, within the window.
    for (const [t] of util.series[0]!.points) expect(t).toBeGreaterThanOrEqual(0), expect(t).toBeLessThanOrEqual(r.run.durationS + 0.001);
    expect(view.summary('gpu.utilizationPct').max).toBeGreaterThan(40);
    expect(view.summary('vllm.requestsRunning').max).toBeGreaterThanOrEqual(1);
    expect(view.summary('gpu.memoryUsedMiB').max).toBeGreaterThan(0);
    expect(view.metric('vllm.requestSuccessRate')?.status).toBe('ok');
    // No actuation controller here: absent, never zero.
    expect(m.missing.map((x) => x.name)).toEqual(['controller.actuations', 'controller.actuationP50S', 'controller.actuationP90S', 'controller.actuationP99S']);
    expect(m.missing[0]!.reason).toBe('no series matched in the window');
    expect(() => view.summary('controller.actuations')).toThrow(/absent/);
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  }, 30_000);

  test('a scenario file\'s metrics: block picks the sets and adds PromQL metrics; a wrong key is one line', async () => {
    const scenarios = { q: { num_requests: 1, load: { type: 'concurrency', concurrency: 1 }, data: { type: 'synthetic', prompt_tokens: 8, max_tokens: 4 } } };
    const file = validateConfig(ScenarioFileSchema, {
      scenarios,
      metrics: { sets: ['gpu'], extra: [{ name: 'sim.runningTimesTwo', unit: 'requests', query: '2 * vllm:num_requests_running{$filters}' }] },
    }, { source: 's.yaml' });
    const target = simTarget(scraped.url, 'words');
    const session = startServerMetrics({ target, config: file.metrics, env: { BENCH_PROMETHEUS_URL: prom!.url, BENCH_PROMETHEUS_SCRAPE_INTERVAL_S: '1' } });
    const r = await runOn('metrics', dir, requests, 'extra', target, LOAD);
    const m = (await session.finish(r))!;
    expect(names(m)).toEqual(['gpu.utilizationPct', 'gpu.memoryUsedMiB', 'gpu.memoryFreeMiB', 'gpu.powerW', 'sim.runningTimesTwo']);
    const extra = m.metrics.at(-1)!;
    expect(extra.status, extra.reason).toBe('ok');
    expect(extra.query).toBe(`2 * vllm:num_requests_running{instance=~"${new URL(scraped.url).host.replace(/\./g, '\\\\.')}",model_name="${r.target.model}"}`);
    expect(extra.summary.max).toBeGreaterThanOrEqual(2);
    expect(configErrorOf(() => validateConfig(ScenarioFileSchema, { scenarios, metrics: { set: ['gpu'] } }, { source: 's.yaml' }))).toMatch(/s\.yaml.*metrics.*set/);
    expect(configErrorOf(() => validateConfig(ScenarioFileSchema, { scenarios, metrics: { sets: ['gpus'] } }, { source: 's.yaml' }))).toMatch(/expected gpu, vllm or controller/);
  }, 30_000);

  test('a suite run carries the series in summary.json, junit.xml and the benchmark report', async () => {
    // The suite measures the simulator Prometheus scrapes, as an endpoint (the model is the only filter).
    const ws = workspace(`default: sim\ntargets:\n  - name: sim\n    base_url: ${scraped.url}/v1\n    tokenizer: words\n`);
    const run = await runSuites(['suites/smoke'], ws, { BENCH_PROMETHEUS_URL: prom!.url, BENCH_PROMETHEUS_SCRAPE_INTERVAL_S: '1' }, 90_000);
    try {
      // The smoke SLO's 10 ms schedule-lag floor can trip on a busy 2-core machine; the report is written either way.
      expect(run.code === 0 || /SLO not met/.test(run.output), run.output).toBe(true);
      const runDir = run.runDirs.smoke!;
      const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
      const t = summary.tests.find((x: { scenario: string }) => x.scenario === 'one_completion');
      expect(t.server_metrics).toMatchObject({ source: 'prometheus', endpoint: prom!.url, window: { start: t.timestamp } });
      const util = t.server_metrics.metrics.find((x: { name: string }) => x.name === 'gpu.utilizationPct');
      expect(util.status).toBe('ok');
      expect(util.series[0].points.length).toBeGreaterThan(0);
      const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase', 'property'].includes(n) }).parse(readFileSync(join(runDir, 'junit.xml'), 'utf8'));
      const props = xml.testsuites.testsuite[0].testcase[0].properties.property as Array<{ name: string; value: string }>;
      expect(props.find((p) => p.name === 'metrics.gpu.utilizationPct')?.value).toMatch(/^[\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ %$/);
      expect(props.find((p) => p.name === 'metrics.controller.actuations')?.value).toBe('absent: no series matched in the window');
      const br = JSON.parse(readFileSync(join(runDir, 'benchmark-report', readdirSync(join(runDir, 'benchmark-report'))[0]!), 'utf8'));
      expect(brValidator()(br)).toEqual([]);
      const obs = br.results.observability;
      expect(obs.components[0].aggregate.gpu_utilization).toMatchObject({ units: 'percent' });
      expect(obs.components[0].time_series.gpu_utilization.series.length).toBeGreaterThan(0);
      expect(obs.native.missing.map((x: { name: string }) => x.name)).toContain('controller.actuations');
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('when Prometheus cannot be read, the run goes on', () => {
  test('unreachable: every metric missing with the reason, without waiting out timeouts', async () => {
    const port = await closedPort();
    const started = performance.now();
    const r = await measured('unreachable', unscraped, SHORT, { BENCH_PROMETHEUS_URL: `http://127.0.0.1:${port}`, BENCH_PROMETHEUS_SCRAPE_INTERVAL_S: '1' });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(r.stats.requests.successful).toBe(2);
    const m = r.serverMetrics!;
    expect(m.source).toBe('prometheus');
    expect(m.missing.map((x) => x.name)).toEqual(DEFAULT_NAMES);
    for (const x of m.missing) expect(x.reason).toMatch(/unreachable: connection refused/);
    expect(m.metrics.every((x) => x.status === 'error' && x.series.length === 0 && x.summary.max === null)).toBe(true);
  }, 20_000);

  test('unauthorised: the reason names the token source, never the token', async () => {
    const tokenFile = join(dir, 'token-401');
    writeFileSync(tokenFile, TOKEN);
    const refusing = await httpServer((req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end(`bad token ${req.headers.authorization}`);
    });
    try {
      const r = await measured('unauthorised', unscraped, SHORT, { BENCH_PROMETHEUS_URL: refusing.url, BENCH_PROMETHEUS_TOKEN_FILE: tokenFile });
      const m = r.serverMetrics!;
      expect(m.missing).toHaveLength(DEFAULT_NAMES.length);
      expect(m.missing[0]!.reason).toContain(`HTTP 401 Unauthorized with the bearer token from file ${tokenFile}`);
      expect(JSON.stringify(r)).not.toContain(TOKEN);
    } finally {
      await refusing.close();
    }
  }, 20_000);
});

describe('without Prometheus: the target scraped during the run', () => {
  test('same shape: gauges as series, counters as rates, PromQL-only metrics absent', async () => {
    const r = await measured('scrape', unscraped, LOAD, { BENCH_METRICS_SCRAPE_INTERVAL_S: '0.5' });
    const m = r.serverMetrics!;
    expect(m).toMatchObject({ source: 'scrape', endpoint: `${unscraped.url}/metrics`, filters: { model: r.target.model }, window: { start: r.timestamp, stepS: 0.5 } });
    expect(names(m)).toEqual(DEFAULT_NAMES);
    const view = new ServerMetricsView(m);
    expect(view.summary('gpu.utilizationPct').max).toBeGreaterThan(40);
    expect(view.summary('vllm.requestsRunning').max).toBeGreaterThanOrEqual(1);
    expect(view.summary('vllm.requestSuccessRate').max).toBeGreaterThan(0);
    const running = view.metric('vllm.requestsRunning')!;
    expect(running.series[0]!.labels).toMatchObject({ model_name: r.target.model, instance: new URL(unscraped.url).host });
    expect(running.series[0]!.points.length).toBeGreaterThanOrEqual(3);
    for (const [t] of running.series[0]!.points) expect(t).toBeGreaterThanOrEqual(0);
    expect(m.missing.map((x) => x.name)).toEqual(['controller.actuations', 'controller.actuationP50S', 'controller.actuationP90S', 'controller.actuationP99S']);
    expect(m.missing[0]!.reason).toMatch(/read only from Prometheus/);
  }, 30_000);

  test('a target without /metrics: every metric missing with the answer, the run unaffected, its key never quoted', async () => {
    const noMetrics = await httpServer((req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Unknown path ${req.url} for ${req.headers.authorization}` } }));
    });
    try {
      const key = 'Bearer sk-test-4a1f0c9e7b';
      const target: ServerMetricsTarget = { info: { model: 'm' }, http: { origin: noMetrics.url, displayUrl: `${noMetrics.url}/v1`, requestHeaders: { authorization: key } } };
      const r = await measured('no-metrics', unscraped, SHORT, {}, target);
      expect(r.stats.requests.successful).toBe(2);
      const m = r.serverMetrics!;
      expect(m.source).toBe('scrape');
      expect(m.metrics.filter((x) => x.status === 'error').map((x) => x.name)).toEqual(DEFAULT_NAMES.slice(0, 9));
      expect(m.missing).toHaveLength(DEFAULT_NAMES.length);
      expect(m.missing[0]!.reason).toMatch(new RegExp(`^GET ${noMetrics.url}/metrics: HTTP 404`));
      expect(JSON.stringify(m)).not.toContain('sk-test-4a1f0c9e7b');
    } finally {
      await noMetrics.close();
    }
  }, 20_000);

  test('BENCH_METRICS_SCRAPE=off reads nothing; bad settings fail before the run', async () => {
    const r = await measured('off', unscraped, SHORT, { BENCH_METRICS_SCRAPE: 'off' });
    expect(r.serverMetrics).toBeUndefined();
    expect(new ServerMetricsView(undefined).metric('gpu.utilizationPct')).toBeUndefined();
    const target = simTarget(unscraped.url, 'words');
    expect(() => startServerMetrics({ target, env: { BENCH_METRICS_SCRAPE_INTERVAL_S: '0' } })).toThrow(ConfigError);
    expect(() => startServerMetrics({ target, env: {}, config: { extra: [{ name: 'gpu.powerW', unit: 'W', query: 'x' }] } })).toThrow(/gpu\.powerW.*defined twice/);
  });
});
