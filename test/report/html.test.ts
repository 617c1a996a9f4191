/*
 * report.html rendered from fixed report models: every string from a server, a config or a
 * cluster escaped wherever it appears, the sections present, no network reference, charts from
 * requests.jsonl bounded in size whatever the number of requests, and a summaries-only page
 * when requests.jsonl is absent.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import type { TestModule } from 'vitest/node';
import type { ActuationReport } from '../../lib/actuation/report.ts';
import type { RequesterRecord } from '../../lib/actuation/record.ts';
import { summarizeRecords } from '../../lib/actuation/result.ts';
import type { RunStats } from '../../lib/metrics/aggregate.ts';
import type { EnvironmentInfo } from '../../lib/report/run-report.ts';
import { loadHtmlSeries, renderHtml } from '../../lib/render/html-report.ts';
import { MAX_BINS, MAX_BUCKETS } from '../../lib/render/html/series.ts';
import type { StageReport, TestReport } from '../../lib/report/model.ts';
import type { RunReport } from '../../lib/report/run-report.ts';
import { runDirOf } from '../../lib/report/run-info.ts';
import { requestIdPrefix } from '../../lib/server-metrics/requests-reader.ts';
import { evaluateSlo } from '../../lib/slo/evaluate.ts';
import { DEFAULT_FLOORS, type SloProfile } from '../../lib/slo/profile.ts';
import { HtmlReporter } from '../../reporters/html-reporter.ts';
import { failedRecord, statsOf, timedRecord } from '../slo/stats.ts';

/** A string that is markup if it is ever written unescaped, in text, an attribute or a script. */
const X = `<img src=x onerror=alert(1)>"'&</script><script>alert(2)</script>\u2028`;
const TOOL = { name: 'vitest-llm-d', version: '0.1.0', node: 'v20.20.0' };
const CLOCK = { perfMs: 1000, hrtimeUs: 123456789, wallTime: '2026-01-01T00:00:00.000Z' };

const profile = (name: string): SloProfile =>
  ({ name, description: `desc ${X}`, source: `src ${X}`, limits: [{ metric: 'ttft', stat: 'p95', max: 2000, unit: 'ms' }, { metric: 'tpot', stat: 'p95', max: 100, unit: 'ms' }] }) as SloProfile;

const stats = (tpot: number, failed = 0): RunStats => statsOf([...Array.from({ length: 10 }, (_, k) => timedRecord(100 + k, tpot)), ...Array.from({ length: failed }, () => failedRecord({ error: { class: 'http_status', message: `overloaded ${X}` } }))]);

function stage(index: number, concurrency: number, s: RunStats, over: Partial<StageReport> = {}): StageReport {
  return {
    index,
    label: `concurrency ${concurrency} ${X}`,
    description: X,
    offered: { rate: null, concurrency },
    durationS: 3,
    sent: s.requests.total,
    cut: 0,
    achievedSendRate: 3.3,
    eventLoopDelayMs: { p50: 0, p99: 0, max: 0 },
    stats: s,
    validity: { valid: true, reasons: [] },
    stopRule: null,
    goodput: { profile: 'mlperf-standard', conditions: [], requests: 10, good: 10, fraction: 1, requestsPerS: 3, skipped: [] },
    ...over,
  };
}

function testReport(over: Partial<TestReport> = {}, kind: 'simulator' | 'endpoint' = 'simulator'): TestReport {
  const s = stats(10, 2);
  return {
    schema: 'vitest-llm-d/test-report@1',
    suite: 'latency',
    scenario: `quick ${X}`,
    description: `description ${X}`,
    timestamp: '2026-01-01T00:00:00.000Z',
    target: {
      name: `target ${X}`,
      kind,
      origin: `targets.yaml#${X}`,
      baseUrl: 'http://127.0.0.1:1/v1',
      model: `model ${X}`,
      servedModels: [`served ${X}`],
      backend: `backend ${X}`,
      accelerator: `gpu ${X}`,
      notes: `notes ${X}`,
      simulator: kind === 'simulator' ? { profile: X } : null,
    },
    workload: {
      api: 'completions',
      stream: true,
      load: `load ${X}`,
      loadConfig: { type: X },
      warmupRequests: 0,
      requests: 12,
      data: { type: `data ${X}`, seed: 1, cells: [X], tokenizer: { name: `tok ${X}`, kind: X, exact: false }, config: { path: X } },
      overrides: [{ path: `p ${X}`, value: X, source: `env ${X}` }],
      notes: [`note ${X}`],
    },
    stats: s,
    cells: [{ cell: `cell a ${X}`, stats: s }, { cell: `cell b ${X}`, stats: s }],
    models: [{ model: `m1 ${X}`, stats: s }],
    stages: [stage(0, 1, stats(10)), stage(1, 2, stats(20), { stopRule: { rule: 'latency_p95', detail: `stop ${X}` }, validity: { valid: false, reasons: [`late ${X}`] } })],
    stop: { stage: `s ${X}`, rule: 'latency_p95', detail: `detail ${X}`, lastGood: `lg ${X}`, skipped: 1 },
    goodput: { profile: `gp ${X}`, conditions: [`cond ${X}`], requests: 12, good: 10, fraction: 10 / 12, requestsPerS: 2.5, skipped: [] },
    knee: { unit: 'output tokens/s', concurrency: 2, throughput: 120, best: { concurrency: 2, throughput: 120 }, plateau: false, tolerance: 0.1, points: [], conclusion: `knee ${X}` },
    capacity: { over: 'concurrency', value: 1, bracket: { passing: 1, failing: 2 }, probes: [{ value: 1, passed: true, trials: [{ stage: 0, passed: true, reasons: [] }], rerun: [] }, { value: 2, passed: false, trials: [{ stage: 1, passed: false, reasons: [`r ${X}`] }], rerun: [] }], conclusion: `cap ${X}` },
    run: { clock: CLOCK, durationS: 4.25, stopped: null, sent: 12, offeredRate: null, achievedSendRate: 2.8, eventLoopDelayMs: { p50: 0.5, p99: 1, max: 2 }, priority: { nice: 0, raised: false, note: `prio ${X}` } },
    validity: { valid: false, reasons: [`invalid ${X}`] },
    slo: [evaluateSlo(profile('mlperf-standard'), s, DEFAULT_FLOORS), evaluateSlo(profile(`custom ${X}`), s, DEFAULT_FLOORS)],
    files: { requests: 'requests.jsonl' },
    runDir: '/nonexistent',
    ...({ config: { file: `f ${X}`, scenario: { x: X } }, serverMetrics: { source: 'scrape', endpoint: X, window: { start: '2026-01-01T00:00:01.500Z', end: '2026-01-01T00:00:05.750Z', stepS: 1, stages: [] }, filters: {}, metrics: [{ name: X, unit: X, query: X, status: 'ok', series: [{ labels: { gpu: X }, points: [[0, 1], [1, 2]] }], summary: { min: 10, max: 80, mean: 55, last: 75 } }, { name: 'gpu.powerW', unit: 'W', query: 'q', status: 'absent', reason: `absent ${X}`, series: [], summary: { min: null, max: null, mean: null, last: null } }], missing: [{ name: 'gpu.powerW', reason: `absent ${X}` }], notes: [`note ${X}`] } } as object),
    ...over,
  };
}

function actuation(): ActuationReport {
  const t0 = Date.parse('2026-01-01T00:00:10.000Z');
  const at = (s: number) => new Date(t0 + s * 1000).toISOString();
  const rec = (name: string, path: RequesterRecord['path'], ready: number): RequesterRecord =>
    ({
      requester: `${name} ${X}`,
      provider: X,
      style: 'direct',
      path,
      classification: { path, signals: [], disagreements: [] },
      ready: true,
      timings: { actuation: { seconds: ready - 3, source: 'kube' }, total: { seconds: ready, source: 'client' } },
      moments: { scaleRequest: at(0), created: at(1), scheduled: { kube: at(2) }, containerStarted: { kube: at(3) }, dualLabel: at(2.5), ready: { client: at(ready) } },
    }) as RequesterRecord;
  const records = [rec('a', 'hot', 5), rec('b', 'cold', 40)];
  return {
    suite: 'actuation',
    scenario: `wake ${X}`,
    matrixRow: `row ${X}`,
    timestamp: '2026-01-01T00:00:10.000Z',
    cluster: { kind: 'cluster', server: `https://k8s.example:6443/${X}`, context: `ctx ${X}`, namespace: `ns ${X}`, serverVersion: `v ${X}`, timeScale: 1, source: `kc ${X}` },
    runId: `run ${X}`,
    steps: [{ phase: `up ${X}`, replicas: 2, t0: at(0), preexisting: 0, timedOut: false, counted: true, controllerLog: `log ${X}`, requesters: records }],
    summary: summarizeRecords(records),
    slo: [{ name: `slo ${X}`, value: 2, limit: 15, op: '<=', pass: true }],
    notes: [`note ${X}`],
    overrides: [{ path: X, value: X, source: X }],
  };
}

const environment = (): EnvironmentInfo => ({
  schema: 'vitest-llm-d/environment@1',
  recordedAt: '2026-01-01T00:00:00.000Z',
  tool: TOOL,
  node: 'v20.20.0',
  platform: 'linux',
  arch: 'x64',
  osRelease: X,
  host: { cpus: 2, cpuModel: X, memoryGiB: 8 },
  packages: { [X]: X },
  git: { commit: 'abc', branch: X, dirty: true },
  command: [X],
  cwd: X,
  env: { BENCH_X: X },
  targets: [],
  clusters: [{ kind: 'cluster', server: X, context: X }],
});

const run = (over: Partial<RunReport> = {}): RunReport => ({
  suite: 'latency',
  stamp: '2026-01-01T00-00-00Z',
  runDir: '/results/2026-01-01T00-00-00Z-latency',
  tool: TOOL,
  testFiles: [`suites/${X}.test.ts`],
  tests: [{ report: testReport(), state: 'failed', error: `boom ${X}` }],
  actuation: [{ report: actuation(), state: 'passed' }],
  failed: [{ name: `failed ${X}`, state: 'failed', error: `err ${X}` }],
  skipped: [{ name: `skipped ${X}`, note: `note ${X}` }],
  environment: environment(),
  ...over,
});

/** The page's chart specs, read back as the page does. */
function chartSpecs(html: string): Array<{ id: string; title: string; series: Array<{ label: string }>; data: number[][] }> {
  const m = /<script type="application\/json" id="llmd-charts">([^]*?)<\/script>/.exec(html);
  return m ? JSON.parse(m[1]!) : [];
}

/** The page with its inline scripts, chart data and stylesheets taken out: what is left is markup and text. */
const markup = (html: string) => html.replace(/<script\b[^>]*>[^]*?<\/script>/g, '').replace(/<style>[^]*?<\/style>/g, '');

/** Headings in order, tags stripped and entities left as they are. */
const headings = (html: string) => [...html.matchAll(/<h([123])[^>]*>([^]*?)<\/h\1>/g)].map((m) => `h${m[1]} ${m[2]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()}`);

/** A requests.jsonl line as requests-file.ts writes it (the fields the page reads). */
function line(scenario: string, prefix: string, i: number, over: Record<string, unknown> = {}): string {
  const sent = i * 10;
  const ttft = 50 + (i % 50);
  const chunks = [sent + ttft, sent + ttft + 5, sent + ttft + 11, sent + ttft + 18];
  return JSON.stringify({
    scenario, seq: i, request_id: `${prefix}${i}`, warmup: false, stage: i % 2, sent_ms: sent, end_ms: chunks[3], chunk_ms: chunks, error: null,
    metrics: { ttft_ms: ttft, tpot_ms: 6, e2e_ms: ttft + 18, output_tokens: 4 },
    ...over,
  });
}

describe('renderHtml: escaping', () => {
  const html = renderHtml(run());

  test('no server, config or cluster string is ever markup: only the page\u2019s own tags and scripts', () => {
    const page = markup(html);
    expect(page).not.toMatch(/<img/i);
    expect(page).not.toMatch(/onerror=alert/i.source.replace('onerror', '<[^>]*onerror'));
    expect(page).not.toContain('<script');
    // Exactly three script elements: chart data, uPlot, the chart code.
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    // The hostile text shows as text, escaped, in every place it came in.
    const shown = page.split('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;').length - 1;
    expect(shown).toBeGreaterThanOrEqual(60);
  });

  test.each([
    ['scenario', `quick ${X}`], ['description', `description ${X}`], ['target name', `target ${X}`], ['origin', `targets.yaml#${X}`], ['model', `model ${X}`],
    ['served model', `served ${X}`], ['backend', `backend ${X}`], ['accelerator', `gpu ${X}`], ['target notes', `notes ${X}`], ['load', `load ${X}`],
    ['data type', `data ${X}`], ['tokenizer', `tok ${X}`], ['override', `p ${X}`], ['workload note', `note ${X}`], ['cell', `cell a ${X}`], ['model row', `m1 ${X}`],
    ['stage label', `concurrency 2 ${X}`], ['stop rule', `stop ${X}`], ['stop detail', `detail ${X}`], ['last good', `lg ${X}`], ['knee', `knee ${X}`], ['capacity', `cap ${X}`],
    ['capacity reason', `r ${X}`], ['goodput condition', `cond ${X}`], ['invalid reason', `invalid ${X}`], ['error example', `overloaded ${X}`], ['SLO profile', `custom ${X}`],
    ['SLO description', `desc ${X}`], ['test error', `boom ${X}`], ['priority note', `prio ${X}`], ['config', `f ${X}`],
    ['actuation scenario', `wake ${X}`], ['matrix row', `row ${X}`], ['cluster server', `https://k8s.example:6443/${X}`], ['context', `ctx ${X}`], ['namespace', `ns ${X}`],
    ['server version', `v ${X}`], ['kubeconfig source', `kc ${X}`], ['run id', `run ${X}`], ['phase', `up ${X}`], ['controller log', `log ${X}`], ['actuation SLO', `slo ${X}`],
    ['failed test', `failed ${X}`], ['failed error', `err ${X}`], ['skipped', `skipped ${X}`], ['skip note', `note ${X}`], ['test file', `suites/${X}.test.ts`],
  ])('%s is shown escaped', (_where, text) => {
    const escaped = text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
    expect(markup(html)).toContain(escaped);
  });

  test('requester names in the SVG timeline are escaped (in labels and tooltips)', () => {
    const svg = /<svg class="timeline"[^]*?<\/svg>/.exec(html)![0];
    expect(svg).toContain('a &lt;img src=x onerror=alert(1)&gt;');
    expect(svg).not.toContain('<img');
  });

  test('chart data is JSON with <, >, & and U+2028 escaped, and reads back intact', () => {
    const raw = /<script type="application\/json" id="llmd-charts">([^]*?)<\/script>/.exec(html)![1]!;
    expect(raw).not.toMatch(/[<>&\u2028\u2029]/);
    const srv = chartSpecs(html).find((s) => s.id === 't0-srv0')!;
    expect(srv.title).toBe(X);
    expect(srv.series[0]!.label).toBe(`gpu=${X}`);
    for (const s of chartSpecs(html)) expect(s.id).toMatch(/^[a-z0-9-]+$/);
    // The chart's element names it in an attribute, escaped.
    expect(html).toContain('aria-label="&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;&lt;/script&gt;');
  });

  test('the Content-Security-Policy allows nothing but the page\u2019s own inline scripts, by hash', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!.replace(/&#39;/g, "'");
    expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'$/);
    const scripts = [...html.matchAll(/<script>([^]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
    expect(scripts).toHaveLength(2);
    for (const h of scripts) expect(csp).toContain(h);
  });

  test('no network reference: no src or external href, and the only URLs are text from the model and uPlot\u2019s license banner', () => {
    // Attribute names of every tag (quoted values blanked): no src, no srcset, no action.
    const tags = [...markup(html).matchAll(/<[a-z][^>]*>/gi)].map((t) => t[0].replace(/"[^"]*"/g, '""'));
    expect(tags.filter((t) => /\s(src|srcset|action|data|poster)=/i.test(t))).toEqual([]);
    expect([...html.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]!).filter((h) => !h.startsWith('#'))).toEqual([]);
    expect(html).not.toMatch(/url\(/);
    expect(html).not.toMatch(/@import/);
    const urls = new Set([...html.matchAll(/https?:\/\/[a-z0-9.:-]+/gi)].map((m) => m[0]));
    expect([...urls].sort()).toEqual(['http://127.0.0.1:1', 'https://github.com', 'https://k8s.example:6443']);
  });
});

describe('renderHtml: sections', () => {
  test('a simulator run says SIMULATOR in large letters, then per test the verdict, tables and charts; actuation; failed, skipped; provenance', () => {
    const html = renderHtml(run({ tests: [{ report: testReport({ scenario: 'quick', description: null, cells: [], models: undefined, knee: undefined, capacity: undefined, stop: null }), state: 'passed' }], actuation: [], failed: [], skipped: [] }));
    expect(html).toContain('<div class="sim-banner">SIMULATOR');
    expect(html).toContain('<title>latency 2026-01-01T00-00-00Z (SIMULATOR)</title>');
    expect(headings(html)).toEqual([
      'h1 latency run 2026-01-01T00-00-00Z',
      'h2 latency/quick passed SIMULATOR',
      'h3 Verdict',
      'h3 Latency percentiles',
      'h3 Requests and throughput',
      'h3 Distributions',
      'h3 Stages',
      'h3 Errors by class',
      'h3 Token counts',
      'h2 Metric definitions',
      'h2 Provenance',
      'h3 quick',
      'h3 Environment',
    ]);
    // MLPerf compliance per profile; the custom profile beside it.
    expect(html).toMatch(/MLPerf compliance: <span class="badge fail">mlperf-standard FAIL<\/span>/);
    // Percentile table: every percentile the summary has, with units.
    expect(html).toContain('<th>p0.1</th><th>p1</th><th>p5</th><th>p10</th><th>p25</th><th>p50</th><th>p75</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th>');
    expect(/<th>TTFT \(ms\)<\/th>.{0,80}/.exec(html)?.[0]).toMatch(/<th>TTFT \(ms\)<\/th><td class="n">10<\/td><td class="n">105<\/td>/);
    expect(html).toContain('<th>E2E latency (s)</th>');
    // Errors by class with the share and the first message.
    expect(html).toMatch(/<th>http_503<\/th><td class="n">2<\/td><td class="n">16.7%<\/td>/);
    // Token-count provenance.
    expect(html).toContain('server usage 10, tokenizer 0, unknown 0');
  });

  test('an idle pause before a stage is a row of its own in the stage table, with nothing measured in it', () => {
    const r = testReport({ stages: [stage(0, 1, stats(10)), stage(1, 2, stats(20), { pause: { plannedS: 30, idleS: 30.012 } })] });
    const html = renderHtml(run({ tests: [{ report: r, state: 'passed' }], actuation: [] }));
    const rows = html.slice(html.indexOf('<table class="stages">')).split('</tbody>')[0]!.split('<tr>').slice(2);
    expect(rows.map((row) => /<th>([\s\S]*?)<\/th>/.exec(row)?.[1])).toEqual([expect.stringContaining('concurrency 1'), '<em>pause 30 s</em>', expect.stringContaining('concurrency 2')]);
    expect(rows[1]).toContain('30.01 s idle, nothing sent');
  });

  test('an endpoint run has no SIMULATOR banner', () => {
    const r = testReport({}, 'endpoint');
    const html = renderHtml(run({ tests: [{ report: r, state: 'passed' }], actuation: [] }));
    expect(markup(html)).not.toContain('sim-banner');
    expect(markup(html)).not.toContain('SIMULATOR');
    expect(html).toContain('endpoint <code>http://127.0.0.1:1/v1</code>');
  });

  test('sweeps: the per-stage table, latency vs throughput with the knee marked, throughput vs offered concurrency', () => {
    const html = renderHtml(run());
    expect(html).toContain('<table class="stages">');
    const specs = chartSpecs(html);
    const lvt = specs.find((s) => s.id === 't0-s-lvt')!;
    expect(lvt.series.map((s) => s.label)).toEqual(['TTFT p50', 'TTFT p95', 'TPOT p95', 'E2E p95', 'knee (concurrency 2)']);
    expect(lvt.data[0]!.every((x) => typeof x === 'number' && x > 0)).toBe(true);
    const load = specs.find((s) => s.id === 't0-s-load')!;
    expect(load.data[0]).toEqual([1, 2]);
    expect(html).toContain('STOP latency_p95');
  });

  test('actuation: the scenario \u00d7 path matrix and a timeline bar per requester coloured by path', () => {
    const html = renderHtml(run());
    expect(html).toContain('<table class="matrix">');
    expect(html).toMatch(/<th>row [^<]*<\/th><td class="n">37.0 \/ 37.0 <span class="dim">\(n=1\)<\/span><\/td><td>-<\/td><td>-<\/td><td class="n">2.00 \/ 2.00/);
    const svg = /<svg class="timeline"[^]*?<\/svg>/.exec(html)![0];
    expect(svg.match(/<rect [^>]*fill="#2ca02c"/g)).toHaveLength(1);
    expect(svg.match(/<rect [^>]*fill="#d62728"/g)).toHaveLength(1);
  });

  test('optional fields added by other parts of the tool: server metric series are charted, a baseline comparison is listed', () => {
    const baseline = {
      source: `/runs/${X}`,
      message: null,
      error: null,
      comparison: {
        baseline: { source: `/runs/${X}`, suite: 'latency', stamp: '2026-01-01T00-00-00Z', targetKind: 'simulator', model: X },
        confidence: 0.95,
        warnings: [`warn ${X}`],
        regressions: 1,
        improvements: 0,
        scenarios: [{ scenario: 'quick', stage: null, status: 'compared', metrics: [
          { metric: 'ttft', stat: 'p95', unit: 'ms', baseline: 100, current: 130, change: 0.3, changeKind: 'relative', ci: [0.2, 0.4], tolerance: 0.1, verdict: 'regression', reason: null },
          { metric: 'success_rate', stat: 'rate', unit: 'fraction', baseline: 1, current: 1, change: 0, changeKind: 'absolute', ci: null, tolerance: 0.01, verdict: 'not comparable', reason: `why ${X}` },
        ] }],
      },
    };
    const r = { ...testReport(), serverMetrics: { source: 'scrape', endpoint: 'http://127.0.0.1:1/metrics', window: { start: '2026-01-01T00:00:01.500Z', end: '2026-01-01T00:00:05.750Z', stepS: 1, stages: [] }, filters: {}, metrics: [{ name: 'gpu_utilization', unit: '%', query: 'gpu_utilization', status: 'ok', series: [{ labels: { gpu: '0' }, points: [[0, 10], [1, 80], [2, 75]] }], summary: { min: 10, max: 80, mean: 55, last: 75 } }, { name: 'gpu.powerW', unit: 'W', query: 'q', status: 'absent', reason: 'no series', series: [], summary: { min: null, max: null, mean: null, last: null } }], missing: [{ name: 'gpu.powerW', reason: 'no series' }], notes: ['n'] }, baseline } as unknown as TestReport;
    const html = renderHtml(run({ tests: [{ report: r, state: 'passed' }] }));
    expect(chartSpecs(html).find((s) => s.title === 'gpu_utilization')!.data).toEqual([[0, 1, 2], [10, 80, 75]]);
    expect(html).toContain('<h4>Baseline comparison <span class="badge fail">1 regression(s)</span></h4>');
    expect(html).toContain('<th>all stages</th><td>ttft p95</td><td class="n">100 ms</td><td class="n">130 ms</td><td>+30.0%</td><td>+20.0% .. +40.0%</td><td>±10%</td><td><span class="badge fail">regression</span></td>');
    expect(markup(html)).toContain('why &lt;img');
    expect(markup(html)).toContain('warn &lt;img');
    const failed = renderHtml(run({ tests: [{ report: { ...r, baseline: { source: X, comparison: null, message: null, error: `missing ${X}` } } as unknown as TestReport, state: 'failed' }] }));
    expect(markup(failed)).toContain('<p class="bad">missing &lt;img');
  });

  test('prefix cache: warm vs cold TTFT, hit rates and the checks', () => {
    const prefixCache = {
      workload: { groups: 2, promptsPerGroup: 3, systemPromptTokens: 100, questionTokens: 10, requests: 6 },
      evidence: 'server', labelled: { server: 4, order: 0, orderDisagrees: 0 }, warmThresholdTokens: 50,
      warm: { count: 4, p50Ms: 10, p95Ms: 12, meanMs: 10.5 }, cold: { count: 2, p50Ms: 40, p95Ms: 44, meanMs: 41 },
      usageHitRate: 0.6, ideal: { hitRate: 0.62, blockSize: 16, blockSizeFrom: 'assumed' },
      server: { available: false, urls: [X], reason: `no metrics ${X}` },
      checks: [{ name: `warm faster ${X}`, value: 12, limit: 40, pass: true, skipped: false, detail: `detail ${X}` }],
      settings: {}, overrides: [],
    };
    const html = renderHtml(run({ tests: [{ report: { ...testReport(), prefixCache } as unknown as TestReport, state: 'passed' }] }));
    expect(html).toContain('<h4>Prefix cache</h4>');
    expect(html).toContain('<th>warm</th><td class="n">4</td><td class="n">10.0 ms</td><td class="n">12.0 ms</td>');
    expect(markup(html)).toContain('unavailable: no metrics &lt;img');
    expect(markup(html)).toContain('<th>warm faster &lt;img');
  });

  test('without requests.jsonl: distributions from the summary percentiles, no time series, and the page says so', () => {
    expect(loadHtmlSeries('/nonexistent')).toBeNull();
    const html = renderHtml(run(), null);
    expect(html).toContain('requests.jsonl not found</p>'.replace('</p>', ''));
    expect(html).toContain('distributions drawn from the summary percentiles only');
    const specs = chartSpecs(html);
    expect(specs.filter((s) => s.id.startsWith('t0-q-')).map((s) => s.title)).toEqual(['TTFT percentiles (from the summary)', 'TPOT percentiles (from the summary)', 'ITL per chunk percentiles (from the summary)', 'E2E latency percentiles (from the summary)']);
    expect(specs.some((s) => s.id.includes('-t-'))).toBe(false);
    const ttft = specs.find((s) => s.id === 't0-q-ttft')!;
    expect(ttft.data[0]).toEqual([0, 0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]);
    expect(ttft.data[1]![0]).toBe(100);
    expect(ttft.data[1]!.at(-1)).toBe(109);
    expect(html).toContain('requests.jsonl not available: summaries only');
  });
});

describe('loadHtmlSeries', () => {
  test('histograms per test and stage, ITL from chunk gaps, time buckets; warm-up, cut and unparsable lines left out; tests told apart by request-id prefix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmd-html-'));
    const r1 = testReport({ scenario: 'same' });
    const r2 = testReport({ scenario: 'same', run: { ...testReport().run, clock: { ...CLOCK, hrtimeUs: 999 } } });
    const p1 = requestIdPrefix(r1);
    const p2 = requestIdPrefix(r2);
    const lines = [
      ...Array.from({ length: 100 }, (_, i) => line('same', p1, i)),
      line('same', p1, 100, { warmup: true, stage: null, metrics: null }),
      line('same', p1, 101, { error: { class: 'cut', message: 'cut' } }),
      line('same', p1, 102, { error: { class: 'http_status', message: 'x' }, metrics: { ttft_ms: null } }),
      '{"truncated',
      ...Array.from({ length: 10 }, (_, i) => line('same', p2, i)),
    ];
    writeFileSync(join(dir, 'requests.jsonl'), `${lines.join('\n')}\n`);
    const data = loadHtmlSeries(dir)!;
    expect(data).toMatchObject({ file: 'requests.jsonl', lines: 114, unparsable: 1 });
    expect(data.tests.map((t) => [t.scenario, t.idPrefix, t.requests])).toEqual([['same', p1, 101], ['same', p2, 10]]);
    const s = data.tests[0]!;
    expect(s.hist.ttft.total).toBe(100);
    expect(s.hist.itl.total).toBe(300);
    expect(s.hist.tpot.counts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(s.hist.ttft.edges).toHaveLength(s.hist.ttft.counts.length + 1);
    expect(s.hist.ttft.edges[0]).toBeLessThanOrEqual(50);
    expect(s.hist.ttft.edges.at(-1)).toBeGreaterThan(99);
    expect(s.stages.map((x) => [x.stage, x.hist.ttft.total])).toEqual([[0, 50], [1, 50]]);
    // Stage histograms share the test's bins.
    expect(s.stages[1]!.hist.ttft.edges).toEqual(s.hist.ttft.edges);
    // One request sent every 10 ms over 1 s, 4 output tokens each.
    const sent = s.timeline.reduce((a, p) => a + p.sent, 0);
    expect(sent).toBe(100);
    const tokens = s.timeline.reduce((a, p) => a + p.outputTokensPerS * s.bucketS, 0);
    expect(tokens).toBeCloseTo(400, 6);
    expect(s.timeline.reduce((a, p) => a + p.errorsPerS * s.bucketS, 0)).toBeCloseTo(1, 6);
    const p95 = s.timeline.map((p) => p.ttftP95).filter((x): x is number => x !== null);
    for (const v of p95) {
      expect(v).toBeGreaterThanOrEqual(50 * 0.98);
      expect(v).toBeLessThanOrEqual(99 * 1.02);
    }
    // Each report finds its own series.
    const html = renderHtml(run({ tests: [{ report: r1, state: 'passed' }, { report: r2, state: 'passed' }], actuation: [] }), data);
    expect(html).toContain('Histogram of 100 samples from requests.jsonl');
    expect(html).toContain('Histogram of 10 samples from requests.jsonl');
  });

  test('a large requests.jsonl gives a page of bounded size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmd-html-'));
    const r = testReport({ scenario: 'big', stages: Array.from({ length: 8 }, (_, k) => stage(k, 2 ** k, stats(10 + k))) });
    const prefix = requestIdPrefix(r);
    const write = (n: number) => {
      const fd = openSync(join(dir, 'requests.jsonl'), 'w');
      let buf = '';
      for (let i = 0; i < n; i++) {
        const sent = i * 2;
        const ttft = 20 + ((i * 7919) % 400);
        const itl = 3 + ((i * 31) % 17);
        const chunks = Array.from({ length: 8 }, (_, k) => sent + ttft + k * itl);
        buf += `{"scenario":"big","request_id":"${prefix}${i}","warmup":false,"stage":${i % 8},"sent_ms":${sent},"end_ms":${chunks[7]},"chunk_ms":[${chunks.join(',')}],"error":${i % 97 === 0 ? '{"class":"http_status","message":"x"}' : 'null'},"metrics":{"ttft_ms":${ttft},"tpot_ms":${itl},"e2e_ms":${ttft + 7 * itl},"output_tokens":8}}\n`;
        if (buf.length > 1 << 20) {
          writeSync(fd, buf);
          buf = '';
        }
      }
      writeSync(fd, buf);
      closeSync(fd);
    };
    const sizeFor = (n: number) => {
      write(n);
      const data = loadHtmlSeries(dir)!;
      expect(data.tests[0]!.requests).toBe(n);
      const s = data.tests[0]!;
      expect(s.timeline.length).toBeLessThanOrEqual(MAX_BUCKETS);
      for (const m of ['ttft', 'tpot', 'itl', 'e2e'] as const) expect(s.hist[m].counts.length).toBeLessThanOrEqual(MAX_BINS);
      return Buffer.byteLength(renderHtml(run({ tests: [{ report: r, state: 'passed' }], actuation: [] }), data));
    };
    const small = sizeFor(2_000);
    const large = sizeFor(200_000);
    expect(large).toBeLessThan(600_000);
    expect(large).toBeLessThan(small * 1.5);
  }, 60_000);
});

describe('HtmlReporter', () => {
  test('writes report.html into the suite run folder and says where', () => {
    const resultsDir = mkdtempSync(join(tmpdir(), 'llmd-html-'));
    const info = { stamp: '2026-01-01T00-00-00Z', resultsDir };
    const r = testReport();
    const modules = [{ moduleId: '/x/suites/latency/latency.test.ts', children: { allTests: () => [{ name: r.scenario, meta: () => ({ llmd: r }), result: () => ({ state: 'passed' }), diagnostic: () => ({ duration: 10 }) }] } }] as unknown as TestModule[];
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    try {
      new HtmlReporter(info).onTestRunEnd(modules);
    } finally {
      spy.mockRestore();
    }
    const file = join(runDirOf(info, 'latency'), 'report.html');
    expect(lines).toEqual([`report: ${file}`]);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('requests.jsonl not found');
  });
});
