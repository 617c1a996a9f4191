/*
 * report.html in a real browser: a run folder made by actually running scenarios against the
 * embedded vLLM simulator (a latency test with hostile strings, a concurrency sweep, a test with
 * server errors) and actuation scenarios against the embedded cluster simulator, rendered and
 * opened from a file:// URL in headless Debian Chromium through playwright-core. The page must
 * load with no console or page errors and no network request, draw every chart, and keep a
 * screenshot in test-artifacts/report.png.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildActuationReport, type ActuationReport } from '../../lib/actuation/report.ts';
import { runActuationScenario } from '../../lib/actuation/run.ts';
import type { TestReport } from '../../lib/report/model.ts';
import { describeEnvironment } from '../../lib/run-folder/environment.ts';
import { loadHtmlSeries, renderHtml } from '../../lib/render/html-report.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import type { RunReport } from '../../lib/report/run-report.ts';
import type { ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { spawnSimulator, type SimProcess } from '../../sim/vllm/spawn.ts';
import { openSimCluster, ROOT, scenarioFile, scratch, TEMPLATES, testRunId } from '../actuation/helpers.ts';
import { runOn, simTarget } from '../scenario/sim-target.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const HOSTILE = `<img src=x onerror=alert(1)></script><script>alert(2)</script>`;

let dir: string;
let html: string;
let reportFile: string;
/** The same run rendered from its summaries alone (as without requests.jsonl). */
let summaryOnlyFile: string;
let browser: Browser;

async function buildRunFolder(): Promise<RunReport> {
  const sims: SimProcess[] = await Promise.all([
    spawnSimulator({ profile: 'test-fast', tokenizer: 'words' }),
    spawnSimulator({ profile: 'test-fast', tokenizer: 'words', max_num_seqs: 2, itl_ms: 4, prefill_overhead_ms: 2 }),
    spawnSimulator({ profile: 'test-fast', tokenizer: 'words', faults: { error_rate: 0.25 } }),
  ]);
  const [fast, narrow, failing] = sims as [SimProcess, SimProcess, SimProcess];
  const requests = new RequestsFile(join(dir, 'requests.jsonl'));
  const data: ScenarioInput['data'] = { type: 'synthetic', prompt_tokens: [16, 64], max_tokens: [8, 16] };
  const tests: TestReport[] = [];
  try {
    tests.push(await runOn('browser', dir, requests, 'latency', simTarget(fast.url, 'words'), { description: HOSTILE, stream: true, warmup_requests: 2, num_requests: 60, data, load: { type: 'concurrency', concurrency: 2 } }));
    tests.push(await runOn('browser', dir, requests, 'sweep', simTarget(narrow.url, 'words'), { stream: true, warmup_requests: 0, num_requests: 16, data, load: { type: 'sweep', concurrency: [1, 2, 4, 8] }, definitions: 'vllm' }));
    tests.push(await runOn('browser', dir, requests, 'errors', simTarget(failing.url, 'words'), { stream: true, warmup_requests: 0, num_requests: 40, data, load: { type: 'concurrency', concurrency: 4 } }));
  } finally {
    requests.close();
    await Promise.all(sims.map((s) => s.stop()));
  }
  const actuation: ActuationReport[] = [];
  const c = await openSimCluster();
  try {
    const file = scenarioFile(scratch(), `
defaults:
  template: ${join(TEMPLATES, 'server-request.yaml')}
  replicas: 2
scenarios:
  baseline: { type: baseline, matrix_row: "Introducing New Variant" }
  wake_cycle: { type: wake_cycle, cycles: 1, matrix_row: "Free Up Cluster Resources", slo: { hit_rate_min: 0.9, hot_p95_s: 15 } }
`);
    for (const name of ['baseline', 'wake_cycle']) {
      const scenario = file.config.scenarios[name]!;
      const runId = testRunId('html');
      const result = await runActuationScenario({ conn: c.conn, suite: 'browser', name, scenario, file, runId });
      actuation.push(buildActuationReport(result, c.conn, { matrixRow: scenario.matrix_row ?? name, runId, slo: result.evaluate(result.configuredSlo), overrides: [] }));
    }
  } finally {
    await c.close();
  }
  const tool = { name: 'vitest-llm-d', version: '0.1.0', node: process.version };
  return {
    suite: 'browser',
    stamp: '2026-11-23T10-55-00Z',
    runDir: dir,
    tool,
    testFiles: ['test/report/html-browser.test.ts'],
    tests: tests.map((report) => ({ report, state: 'passed' })),
    actuation: actuation.map((report) => ({ report, state: 'passed' })),
    failed: [{ name: 'unreachable', state: 'failed', error: `TargetError: ${HOSTILE}` }],
    skipped: [{ name: 'gpu only', note: 'no GPU here' }],
    environment: describeEnvironment({ tool, tests, actuation }),
  };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the HTML report's browser test needs Debian's Chromium (apt-get install chromium)`);
  }
  dir = mkdtempSync(join(tmpdir(), 'llmd-html-'));
  const run = await buildRunFolder();
  html = renderHtml(run, loadHtmlSeries(dir));
  reportFile = join(dir, 'report.html');
  writeFileSync(reportFile, html);
  summaryOnlyFile = join(dir, 'report-summary-only.html');
  writeFileSync(summaryOnlyFile, renderHtml(run, null));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('report.html in headless Chromium', () => {
  test('loads offline with no errors, draws every chart, shows the tables, and keeps a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) requests.push(r.url());
    });
    await page.goto(pathToFileURL(reportFile).href, { waitUntil: 'load' });
    // Page functions are strings: this file is type-checked without the DOM library.
    await page.waitForFunction(`document.querySelectorAll('.plot[data-rendered]').length === document.querySelectorAll('.plot').length`);

    expect(problems).toEqual([]);
    expect(requests).toEqual([]);

    // Every chart element got a canvas with something drawn on it.
    const charts = await page.evaluate<Array<{ id: string; drawn: number }>>(`[...document.querySelectorAll('.plot')].map((el) => {
      const canvas = el.querySelector('canvas');
      if (!canvas) return { id: el.id, drawn: 0 };
      const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let drawn = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) drawn++;
      return { id: el.id, drawn };
    })`);
    // Per benchmark test: 4 distributions and 2 time series; the sweep adds 2 curves.
    expect(charts.length).toBeGreaterThanOrEqual(3 * 6 + 2);
    for (const c of charts) expect(c.drawn, `chart ${c.id}`).toBeGreaterThan(500);
    expect(charts.map((c) => c.id)).toEqual(expect.arrayContaining(['t1-s-lvt', 't1-s-load', 't0-d-ttft', 't0-t-lat', 't0-t-tput']));

    // The actuation timelines are SVG with a bar per requester, coloured by path.
    const bars = await page.evaluate<number[]>(`[...document.querySelectorAll('svg.timeline')].map((s) => s.querySelectorAll('rect').length)`);
    expect(bars).toHaveLength(2);
    for (const n of bars) expect(n).toBeGreaterThanOrEqual(2);

    // Tables and the verdict header.
    expect(await page.locator('.sim-banner').innerText()).toContain('SIMULATOR');
    expect(await page.locator('table.overview').count()).toBe(2);
    expect(await page.locator('table.pct').count()).toBe(3);
    expect(await page.locator('table.stages').count()).toBe(1);
    expect(await page.locator('table.matrix').count()).toBe(1);
    expect(await page.locator('#provenance').innerText()).toContain('uPlot 1.6.32');
    // The hostile description is text on the page, not markup.
    expect(await page.locator('#t0 .desc').innerText()).toBe(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'report.html'), html);
    const shot = join(ARTIFACTS, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    await page.close();
  }, 60_000);

  test('rendered from the summaries alone, the percentile charts draw with no error either', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(pathToFileURL(summaryOnlyFile).href);
    await page.waitForFunction(`document.querySelectorAll('.plot[data-rendered]').length === document.querySelectorAll('.plot').length`);
    expect(problems).toEqual([]);
    const drawn = await page.evaluate<number[]>(`[...document.querySelectorAll('.plot canvas')].map((c) => {
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
      return n;
    })`);
    expect(drawn.length).toBeGreaterThanOrEqual(3 * 4 + 2);
    for (const n of drawn) expect(n).toBeGreaterThan(500);
    expect(await page.getByText('distributions drawn from the summary percentiles only').count()).toBe(3);
    await page.close();
  });

  test('the metric definitions: each test says which it used, and the side-by-side table has every metric and tool', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(reportFile).href);
    expect(await page.locator('#t0 .meta').innerText()).toContain('definitions: vitest-llm-d (default)');
    expect(await page.locator('#t1 .meta').innerText()).toContain('definitions: vllm');
    const section = page.locator('#definitions');
    expect(await section.locator('h2').innerText()).toBe('Metric definitions');
    const head = await section.locator('table.definitions thead th').allInnerTexts();
    expect(head).toEqual(['metric', 'vitest-llm-d (default)', 'vLLM bench serve = definitions: vllm', 'GuideLLM', 'inference-perf']);
    const metrics = await section.locator('table.definitions tbody th').allInnerTexts();
    expect(metrics).toEqual(['TTFT', 'TPOT', 'ITL', 'E2E', 'goodput']);
    // Code spans are markup of the page's own, every other character text.
    expect(await section.locator('table.definitions tbody tr').first().locator('td').nth(1).innerText()).toContain('st before session.post');
    expect(await section.innerText()).toContain('sweep: definitions: vllm');
    await page.close();
  });

  test('with JavaScript off the tables are all there', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(pathToFileURL(reportFile).href);
    expect(await page.locator('table.pct').count()).toBe(3);
    expect(await page.locator('.plot .nojs').first().isVisible()).toBe(true);
    await context.close();
  });
});
