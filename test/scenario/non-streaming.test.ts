/*
 * A non-streaming workload (inference-perf's default, `api.streaming: false`) against the vLLM
 * simulator, judged as a test judges it: E2E, NTPOT, throughput and success rate are measured
 * from whole responses; TTFT and TPOT limits are reported "not measurable: non-streaming" in every
 * verdict the tool shows (matcher, terminal, summary.json, junit.xml, report.html) and fail
 * nothing on their own; a violated E2E limit fails the test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestReport } from '../../lib/report/model.ts';
import { renderHtml } from '../../lib/render/html-report.ts';
import { renderJunit } from '../../lib/render/junit.ts';
import { renderTest } from '../../lib/render/summary.ts';
import { renderTable } from '../../lib/render/table.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import type { RunReport } from '../../lib/report/run-report.ts';
import { BenchResult } from '../../lib/scenario/bench-result.ts';
import { type SimProcess, spawnSimulator } from '../../sim/vllm/spawn.ts';
import { resolveAssertedSlo, resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import '../../lib/vitest/meta.ts';
import { matchers, toMeetSLO } from '../../lib/vitest/matchers.ts';
import { runOn, simTarget } from './sim-target.ts';

expect.extend(matchers);

let dir: string;
let sim: SimProcess;
let requests: RequestsFile;
/** The scenario's SLO: an E2E limit that holds, and TTFT/TPOT limits a non-streamed response cannot show. */
const CONFIGURED = resolveScenarioSlo({ limits: { ttft_p95_ms: 2000, tpot_p95_ms: 100, e2e_p95_ms: 5000, ntpot_p95_ms: 1000 }, min_success_rate: 0.95, max_schedule_lag_p99_ms: 50 }, {}, 't.yaml');
let report: TestReport;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-nonstream-'));
  sim = await spawnSimulator({ profile: 'test-fast', tokenizer: 'words' });
  requests = new RequestsFile(join(dir, 'requests.jsonl'));
  report = await runOn('nonstream', dir, requests, 'whole-bodies', simTarget(sim.url, 'words'), {
    stream: false,
    num_requests: 12,
    warmup_requests: 1,
    load: { type: 'concurrency', concurrency: 2 },
    data: { type: 'synthetic', prompt_tokens: [16], max_tokens: [8] },
  }, CONFIGURED);
  requests.close();
});

afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const result = (): BenchResult => new BenchResult(structuredClone(report), (spec) => resolveAssertedSlo(spec, CONFIGURED, {}, 't.yaml'));

describe('a non-streaming workload', () => {
  test('is measured from whole responses: E2E = end - sent, N from usage.completion_tokens, NTPOT, throughput', () => {
    const s = report.stats;
    expect(report.workload.stream).toBe(false);
    expect(s.requests).toMatchObject({ total: 12, successful: 12, successRate: 1 });
    expect(s.tokens.outputSource).toEqual({ server: 12, tokenizer: 0, unknown: 0 });
    expect(s.tokens.output.mean).toBe(8);
    expect(s.latency.ttft.count).toBe(0);
    expect(s.latency.tpot.count).toBe(0);
    expect(s.latency.e2e.count).toBe(12);
    expect(s.throughput.outputTokensPerS).toBeCloseTo((12 * 8 * 1000) / s.window.durationMs, 6);
    type Line = { warmup: boolean; sent_ms: number; end_ms: number; first_chunk_ms: number | null; metrics: Record<string, number | string | null> };
    const lines = readFileSync(join(dir, 'requests.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
    const measured = lines.filter((l) => !l.warmup);
    expect(measured).toHaveLength(12);
    for (const l of measured) {
      expect(l.first_chunk_ms).toBeNull();
      expect(l.metrics).toMatchObject({ ttft_ms: null, tpot_ms: null, output_tokens: 8, output_tokens_source: 'server' });
      expect(l.metrics.e2e_ms).toBeCloseTo(l.end_ms - l.sent_ms, 2);
      expect(l.metrics.ntpot_ms).toBeCloseTo((l.metrics.e2e_ms as number) / 8, 2);
    }
  });

  test('passes on its E2E and NTPOT limits; the TTFT and TPOT limits are reported not measurable and fail nothing', () => {
    const r = result();
    expect(r).toMeetSLO();
    const [e] = r.report.slo;
    expect(e!.pass).toBe(true);
    expect(e!.checks.map((c) => [c.name, c.pass, c.note ?? ''])).toEqual([
      ['TTFT p95', null, 'not measurable: non-streaming'],
      ['TPOT p95', null, 'not measurable: non-streaming'],
      ['E2E latency p95', true, ''],
      ['NTPOT p95', true, ''],
      ['success rate', true, ''],
      ['schedule lag p99 (client kept up)', true, ''],
    ]);
    expect(toMeetSLO(r).message()).toMatch(/PASS \(partly judged\)[\s\S]*----  TTFT p95 .*\(not measurable: non-streaming\)/);
    // Goodput counts the limits a request can meet.
    expect(report.goodput).toMatchObject({ conditions: ['e2e <= 5000 ms', 'ntpot <= 1000 ms'], good: 12, skipped: ['ttft p95 <= 2000 ms (not measurable: non-streaming)', 'tpot p95 <= 100 ms (not measurable: non-streaming)'] });
  });

  test('fails on a violated E2E limit, naming it, with the TTFT limit still only not measurable', () => {
    const r = result();
    const out = toMeetSLO(r, { ttftP95Ms: 1, e2eP95Ms: 0.001 });
    expect(out.pass).toBe(false);
    const lines = out.message().split('\n');
    expect(lines[0]).toBe('nonstream/whole-bodies on the SIMULATOR (Qwen/Qwen3-0.6B): SLO not met');
    expect(lines[1]).toMatch(/^SLO asserted limits: FAIL /);
    expect(lines[2]).toMatch(/^ {2}---- {2}TTFT p95 +n\/a <= 1\.00 ms {2}\(not measurable: non-streaming\)$/);
    expect(lines[3]).toMatch(/^ {2}FAIL {2}E2E latency p95 +[\d.]+ ms <= 0\.00 ms$/);
    expect(() => expect(r).toMeetSLO({ e2eP95Ms: 0.001 })).toThrow(/FAIL {2}E2E latency p95/);
  });

  test('an MLPerf profile judges nothing but the floors, and every report says so instead of a plain pass', () => {
    const r = result();
    expect(r).toMeetSLO('mlperf-standard');
    const mlperf = r.report.slo.find((e) => e.profile === 'mlperf-standard')!;
    expect(mlperf.unjudged).toEqual(['TTFT p95', 'TPOT p95']);
    const run: RunReport = {
      suite: 'nonstream', stamp: 's', runDir: dir, tool: { name: 'vitest-llm-d', version: '0', node: process.version }, testFiles: [],
      tests: [{ report: r.report, state: 'passed' }], actuation: [], failed: [], skipped: [], environment: null,
    };
    const summary = renderTest(r.report, 'passed') as { results: Record<string, unknown>; slo: Array<{ profile: string; checks: Array<{ pass: boolean | null }> }> };
    expect(summary.results.mlperf_compliant).toBeNull();
    expect(summary.results.mlperf_not_judged).toEqual(['mlperf-standard: TTFT p95 (not measurable: non-streaming)', 'mlperf-standard: TPOT p95 (not measurable: non-streaming)']);
    expect(summary.slo.find((e) => e.profile === 'mlperf-standard')!.checks.map((c) => c.pass)).toEqual([null, null, true, true]);

    const table = renderTable(r.report).replace(/\s+/g, ' ');
    expect(table).toContain('SLO mlperf-standard: PASS on what could be judged; TTFT p95, TPOT p95 not judged (not measurable: non-streaming); no latency limit could be judged');
    expect(table).toContain('SLO limits: PASS on what could be judged; TTFT p95, TPOT p95 not judged (not measurable: non-streaming)');

    const junit = renderJunit([run]);
    expect(junit).toContain('name="slo.mlperf-standard" value="PASS (partly judged); TTFT p95, TPOT p95 not judged (not measurable: non-streaming); no latency limit could be judged');
    expect(junit).toContain('name="slo.mlperf-standard.TTFT p95" value="n/a &lt;= 2000 ms: not judged (not measurable: non-streaming)"');

    const html = renderHtml(run);
    expect(html).toContain('<span class="badge na">mlperf-standard not judged: TTFT p95, TPOT p95</span>');
    expect(html).toContain('<span class="badge na">not judged</span>');
    expect(html).not.toContain('mlperf-standard PASS');
  });
});
