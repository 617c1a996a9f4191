/*
 * The terminal tables fit in 80 columns: every line of `renderTable`,
 * `renderActuationTable` and `renderMatrix`, measured without ANSI styles, for reports built by
 * real runs (a multi-model run with a long model name and 404s, a sweep stopped by the latency
 * rule on a two-slot simulator, an actuation baseline on the cluster simulator), with the long
 * strings most likely to overflow (notes, reasons, provisioning details, matrix rows).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { styleText } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildActuationReport, type ActuationReport } from '../../lib/actuation/report.ts';
import { renderActuationTable, renderMatrix } from '../../lib/render/actuation-table.ts';
import { runActuationScenario } from '../../lib/actuation/run.ts';
import type { TestReport } from '../../lib/report/model.ts';
import { renderTable, TABLE_WIDTH, visibleWidth, wrap, type Style } from '../../lib/render/table.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import type { ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { type SimProcess, spawnSimulator } from '../../sim/vllm/spawn.ts';
import { openSimCluster, scenarioFile, scratch, TEMPLATES, testRunId, type SimCluster } from '../actuation/helpers.ts';
import { runOn, simTarget } from '../scenario/sim-target.ts';

const LONG_MODEL = 'meta-llama/Llama-3.1-70B-Instruct-FP8-dynamic';
const UNSERVED = 'meta-llama/Llama-3.1-405B-Instruct-FP8-not-served-by-this-stack';
const color: Style = (k, t) => styleText(k, t);

/** Lines wider than the terminal, with their widths, for a readable failure. */
function overflowing(text: string): Array<[number, string]> {
  return text.split('\n').filter((l) => visibleWidth(l) > TABLE_WIDTH).map((l) => [visibleWidth(l), l]);
}

describe('wrap', () => {
  test('breaks at spaces with a hanging indent, and breaks words longer than a line', () => {
    const lines = wrap(`note: ${'word '.repeat(30)}${'x'.repeat(200)}`, '  ', '        ', 40);
    expect(lines.every((l) => l.length <= 40)).toBe(true);
    expect(lines[0]!.startsWith('  note: word')).toBe(true);
    expect(lines.slice(1).every((l) => l.startsWith('        '))).toBe(true);
    expect(lines.join('').replace(/ /g, '')).toBe(`note:${'word'.repeat(30)}${'x'.repeat(200)}`);
    expect(wrap('short')).toEqual(['  short']);
    expect(wrap('')).toEqual(['  ']);
  });
});

describe('benchmark tables from simulator runs', () => {
  let dir: string;
  let requests: RequestsFile;
  let serving: SimProcess;
  let narrow: SimProcess;
  let multiModel: TestReport;
  let sweep: TestReport;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmd-width-'));
    requests = new RequestsFile(join(dir, 'requests.jsonl'));
    [serving, narrow] = await Promise.all([
      spawnSimulator({ profile: 'test-fast', tokenizer: 'words', models: [LONG_MODEL, 'Qwen/Qwen3-0.6B'] }),
      // Two decode slots, 10 ms a token: at concurrency 128 requests queue past the latency rule.
      spawnSimulator({ profile: 'test-fast', tokenizer: 'words', max_num_seqs: 2, itl_ms: 10, prefill_overhead_ms: 2 }),
    ]);
    const data: ScenarioInput['data'] = { type: 'synthetic', prompt_tokens: [16, 64, 256, 1024], max_tokens: [8, 32] };
    const target = simTarget(serving.url, 'words');
    target.info = { ...target.info, model: LONG_MODEL, servedModels: [LONG_MODEL, 'Qwen/Qwen3-0.6B'] };
    multiModel = await runOn('width', dir, requests, 'multi-model-with-a-rather-long-scenario-name', target, {
      stream: true,
      warmup_requests: 0,
      num_requests: 24,
      models: [LONG_MODEL, 'Qwen/Qwen3-0.6B', UNSERVED],
      load: { type: 'concurrency', concurrency: 3 },
      data,
    });
    sweep = await runOn('width', dir, requests, 'sweep-until-latency', simTarget(narrow.url, 'words'), {
      stream: true,
      warmup_requests: 0,
      num_requests: 20,
      load: { type: 'sweep', concurrency: [1, 2, 4, 128, 256] },
      stop: { error_rate: 0.05, latency_p95_s: 0.6, latency_metric: 'e2e', min_requests: 4 },
      data: { type: 'synthetic', prompt_tokens: [16, 64, 256, 1024], max_tokens: [8] },
    });
  }, 60_000);

  afterAll(async () => {
    requests?.close();
    await Promise.all([serving, narrow].map((s) => s?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('a multi-model run with 404s, a long model name and notes fits, styled or not', () => {
    expect(multiModel.models?.map((m) => m.model)).toEqual([LONG_MODEL, 'Qwen/Qwen3-0.6B', UNSERVED]);
    expect(Object.keys(multiModel.stats.errors)).not.toEqual([]);
    const r: TestReport = {
      ...multiModel,
      target: {
        ...multiModel.target,
        provisioned: {
          template: 'suites/provisioned/templates/vllm-standalone-with-a-long-name.yaml',
          cluster: 'simulator',
          server: 'http://127.0.0.1:43127',
          context: 'llmd-cluster-sim',
          namespace: 'llmd-bench-provisioned-namespace',
          runId: 'r-0123abcd',
          deployment: 'llmd-bench-vllm-standalone-r-0123abcd',
          service: 'llmd-bench-vllm-standalone-r-0123abcd',
          access: 'port-forward',
          accessDetail: 'pod llmd-bench-vllm-standalone-r-0123abcd-5f7c9d8b6-x2x9q:8000 via the API server',
          rolloutSeconds: 61.3,
          warnings: ['port-forward adds a hop through the API server and the kubelet: latencies include it and throughput is bounded by it; measure from inside the cluster for numbers to compare'],
        },
      },
      validity: { valid: false, reasons: ['schedule lag p99 12.3 ms > 10 ms: the client did not keep up with the schedule', 'event-loop delay p99 45.1 ms > 20 ms: chunk timestamps may be late'] },
    };
    for (const style of [undefined, color]) {
      const text = renderTable(r, style);
      expect(overflowing(text)).toEqual([]);
      const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
      // Nothing dropped: the full model names, each failure class, each note's last word.
      for (const m of [LONG_MODEL, 'Qwen/Qwen3-0.6B', UNSERVED]) expect(plain).toContain(m);
      for (const k of Object.keys(r.stats.errors)) expect(plain).toContain(`${k} x`);
      const flat = plain.replace(/\s+/g, ' ');
      for (const n of r.workload.notes) expect(flat).toContain(n.replace(/\s+/g, ' '));
      expect(flat).toContain('measure from inside the cluster for numbers to compare');
      expect(flat).toContain('event-loop delay p99 45.1 ms > 20 ms: chunk timestamps may be late');
    }
  });

  test('a sweep stopped by the latency rule: both stage blocks, the stop line and the flags fit', () => {
    expect(sweep.stop).toMatchObject({ stage: 'concurrency 128', rule: 'latency_p95', skipped: 1 });
    const text = renderTable(sweep, color);
    if (process.env.SHOW_TABLES) console.log(text);
    expect(overflowing(text)).toEqual([]);
    const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
    const lines = plain.split('\n');
    // Every stage appears in both blocks, with the stop flag on the second.
    for (const st of sweep.stages) expect(lines.filter((l) => l.startsWith(`  ${st.label} `))).toHaveLength(2);
    expect(plain).toContain('STOP latency_p95');
    expect(plain).toMatch(/^ {2}stage +sent +ok% +offered +TTFT p95 +TPOT p95 +E2E p95 +tok\/s$/m);
    expect(plain).toMatch(/^ {2}stage +achieved +cut +good\/s +lag p99$/m);
    expect(plain.replace(/\s+/g, ' ')).toContain(`stopped at ${sweep.stop!.stage} by rule latency_p95: ${sweep.stop!.detail}`);
  });

  test('stage labels longer than their column get a line of their own', () => {
    const long = 'ramp 1→128 users at 4 users/s';
    const r: TestReport = { ...sweep, stages: sweep.stages.map((s, k) => (k === 0 ? { ...s, label: long } : s)) };
    const plain = renderTable(r);
    expect(overflowing(plain)).toEqual([]);
    expect(plain.split('\n').filter((l) => l === `  ${long}`)).toHaveLength(2);
  });
});

describe('actuation tables from a cluster simulator run', () => {
  let c: SimCluster;
  let report: ActuationReport;

  beforeAll(async () => {
    c = await openSimCluster();
    const file = scenarioFile(scratch(), `
defaults:
  template: ${join(TEMPLATES, 'server-request.yaml')}
  replicas: 2
scenarios:
  baseline: { type: baseline }
`);
    const result = await runActuationScenario({ conn: c.conn, suite: 'actuation', name: 'baseline', scenario: file.config.scenarios.baseline!, file, runId: testRunId('width') });
    report = buildActuationReport(result, c.conn, {
      matrixRow: 'baseline (cold start, two requesters, direct path)',
      runId: 'width',
      slo: [
        { name: 'cold p95 <= 30 s', value: 61, limit: 30, op: '<=', pass: false },
        { name: 'hot hit rate >= 0.9', value: 0, limit: 0.9, op: '>=', pass: false },
      ],
      overrides: [],
    });
    report.notes.push('the controller log could not be read from pod dual-pods-controller-7d9f8c6b5-abcde in namespace llmd-system: relay times (T_actuation_dpc) are missing for every requester');
  }, 60_000);

  afterAll(async () => {
    await c?.close();
  });

  test('the per-test table and the matrix fit, the long matrix row kept whole', () => {
    expect(report.summary.n).toBe(2);
    const table = renderActuationTable(report);
    expect(overflowing(table)).toEqual([]);
    expect(table).toMatch(/^ {2}path +n +actuation +scale->Ready +relay \(DPC\) +Ready->token$/m);
    expect(table).toMatch(/^ {2}cold +2 +\d/m);
    const short = { ...report, matrixRow: 'baseline' };
    const matrix = renderMatrix([report, short]);
    expect(overflowing(matrix)).toEqual([]);
    expect(matrix.split('\n')).toContain('baseline (cold start, two requesters, direct path)');
    expect(matrix).toMatch(/^baseline +\d.* \(2\)/m);
  });
});
