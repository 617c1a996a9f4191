/*
 * `definitions: vllm` against vLLM's own arithmetic. A real run over loopback against the embedded
 * simulator (completions, and chat with its role chunk) keeps every raw record; a transcription
 * of vLLM's benchmark client then computes its numbers from those same records, and the tool's
 * report must agree with it to floating-point rounding.
 *
 * The transcription follows, statement by statement:
 * - vllm/benchmarks/lib/endpoint_request_func.py, `async_request_openai_completions` and
 *   `async_request_openai_chat_completions`: `st = time.perf_counter()` before `session.post`
 *   (the record's `handed`); for each SSE message with non-empty `choices` (text or not), the
 *   first sets `ttft = timestamp - st`, each later one appends `timestamp - most_recent_timestamp`
 *   to `itl`, and `most_recent_timestamp = timestamp`; a usage message sets `output_tokens`;
 *   `latency = most_recent_timestamp - st`.
 * - vllm/benchmarks/serve.py, `calculate_metrics`: output_len = output_tokens or, when falsy, the
 *   tokenizer count of the text; tpot = (latency - ttft) / (output_len - 1) when output_len > 1
 *   (else 0, for goodput only); itls pooled; np.mean / np.median / np.std / np.percentile (linear)
 *   over ttfts, tpots, itls, e2els; a request is good when every `--goodput` limit s satisfies
 *   s >= its value (ttft, all_tpots, e2el).
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { deriveRequestMetrics, type Definitions } from '../../lib/metrics/derive.ts';
import type { RequestRecord, RunClock } from '../../lib/metrics/record.ts';
import type { RequestMetrics } from '../../lib/metrics/derive.ts';
import { StatsAccumulator } from '../../lib/metrics/aggregate.ts';
import { recordFromLine, RequestsFile, type RequestLine } from '../../lib/run-folder/requests-file.ts';
import type { TestReport } from '../../lib/report/model.ts';
import { renderTest } from '../../lib/render/summary.ts';
import { renderTable } from '../../lib/render/table.ts';
import { loadHtmlSeries } from '../../lib/render/html-report.ts';
import { samplesOfFolder } from '../../lib/run-folder/run-samples.ts';
import type { ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { GoodputCounter } from '../../lib/slo/goodput.ts';
import type { Summary } from '../../lib/stats/summary.ts';
import { runOn, simTarget, useSimRun } from './sim-target.ts';

const sim = useSimRun('llmd-vllm-defs-');

/** requests.jsonl that also keeps each finished record as it was in memory (before rounding). */
class KeepingRequestsFile extends RequestsFile {
  readonly records: RequestRecord[] = [];
  override append(scenario: string, clock: RunClock, r: RequestRecord, m: RequestMetrics | null, definitions?: Definitions): void {
    this.records.push(structuredClone(r));
    super.append(scenario, clock, r, m, definitions);
  }
}

/** `RequestFuncOutput` of endpoint_request_func.py, seconds as there. */
interface VllmOutput {
  success: boolean;
  latency: number;
  outputTokens: number;
  ttft: number;
  itl: number[];
  tokenizerCount: number | null;
}

/**
 * endpoint_request_func.py's request loop over a record: the chunks it would have timed are the
 * record's chunks carrying a choice, content or not, in arrival order.
 */
function vllmOutputOf(r: RequestRecord): VllmOutput {
  const out: VllmOutput = { success: false, latency: 0, outputTokens: 0, ttft: 0, itl: [], tokenizerCount: r.tokenizerOutputTokens };
  const st = r.handed! / 1000;
  let mostRecentTimestamp = st;
  let firstChunkReceived = false;
  const timestamps = [...r.chunkTimes, ...(r.emptyChoiceTimes ?? [])].sort((a, b) => a - b);
  for (const t of timestamps) {
    const timestamp = t / 1000;
    if (!firstChunkReceived) {
      firstChunkReceived = true;
      out.ttft = timestamp - st;
    } else out.itl.push(timestamp - mostRecentTimestamp);
    mostRecentTimestamp = timestamp;
  }
  if (r.usage) out.outputTokens = r.usage.completionTokens;
  // Which requests succeed is the tool's call under either definitions (vLLM: status 200 and a
  // chunk with a choice, which every request without an error here has).
  out.success = r.error === null && firstChunkReceived;
  out.latency = mostRecentTimestamp - st;
  return out;
}

const mean = (x: number[]) => (x.length ? x.reduce((a, b) => a + b, 0) / x.length : 0);
const std = (x: number[]) => Math.sqrt(mean(x.map((v) => (v - mean(x)) ** 2)));
/** np.percentile, default (linear) method. */
function npPercentile(x: number[], q: number): number {
  const s = [...x].sort((a, b) => a - b);
  if (!s.length) return 0;
  const h = ((s.length - 1) * q) / 100;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!);
}

interface VllmStats {
  completed: number;
  good: number;
  /** Per metric: mean, median, std, p99, ms; and the sample count. */
  ttft: number[];
  tpot: number[];
  itl: number[];
  e2el: number[];
  allTpots: number[];
}

/** serve.py `calculate_metrics`, the parts that do not depend on the run's duration. */
function calculateMetrics(outputs: VllmOutput[], goodputConfig: Record<string, number>): VllmStats {
  let completed = 0;
  let goodCompleted = 0;
  const itls: number[] = [];
  const tpots: number[] = [];
  const allTpots: number[] = [];
  const ttfts: number[] = [];
  const e2els: number[] = [];
  for (const o of outputs) {
    if (!o.success) continue;
    let outputLen = o.outputTokens;
    if (!outputLen) outputLen = o.tokenizerCount ?? 1;
    let tpot = 0;
    if (outputLen > 1) {
      const latencyMinusTtft = o.latency - o.ttft;
      tpot = latencyMinusTtft / (outputLen - 1);
      tpots.push(tpot);
    }
    allTpots.push(tpot);
    itls.push(...o.itl);
    ttfts.push(o.ttft);
    e2els.push(o.latency);
    completed++;
  }
  const validMetrics: number[][] = [];
  const sloValues: number[] = [];
  if ('ttft' in goodputConfig) {
    validMetrics.push(ttfts);
    sloValues.push(goodputConfig.ttft! / 1000);
  }
  if ('tpot' in goodputConfig) {
    validMetrics.push(allTpots);
    sloValues.push(goodputConfig.tpot! / 1000);
  }
  if ('e2el' in goodputConfig) {
    validMetrics.push(e2els);
    sloValues.push(goodputConfig.e2el! / 1000);
  }
  for (let i = 0; i < completed; i++) if (sloValues.every((s, k) => s >= validMetrics[k]![i]!)) goodCompleted++;
  return { completed, good: goodCompleted, ttft: ttfts, tpot: tpots, itl: itls, e2el: e2els, allTpots };
}

/** The tool's summary agrees with numpy's statistics of vLLM's samples (seconds there, ms here). */
function expectSame(summary: Summary, samplesS: number[], what: string): void {
  const ms = samplesS.map((x) => x * 1000);
  expect(summary.count, `${what} count`).toBe(ms.length);
  const close = (a: number | null | undefined, b: number, stat: string) => expect(Math.abs(a! - b), `${what} ${stat}: ${a} vs vLLM ${b}`).toBeLessThan(1e-6);
  close(summary.mean, mean(ms), 'mean');
  close(summary.percentiles.p50, npPercentile(ms, 50), 'median');
  close(summary.percentiles.p99, npPercentile(ms, 99), 'p99');
  close(summary.stddev, std(ms), 'std');
  close(summary.max, Math.max(...ms), 'max');
}

const data: ScenarioInput['data'] = { type: 'synthetic', prompt_tokens: [16, 64], max_tokens: [4, 16] };

describe.each(['completions', 'chat'] as const)('definitions: vllm (%s)', (api) => {
  test('reproduces calculate_metrics on the same records; the default definitions stay as they were', async () => {
    const requests = new KeepingRequestsFile(join(sim.dir, `requests-${api}.jsonl`));
    let report: TestReport;
    try {
      report = await runOn('defs', sim.dir, requests, `vllm-${api}`, simTarget(sim.sim.url, 'words'), {
        api, stream: true, warmup_requests: 2, num_requests: 60, data, load: { type: 'concurrency', concurrency: 4 }, definitions: 'vllm',
      });
    } finally {
      requests.close();
    }
    expect(report.definitions).toBe('vllm');
    expect(renderTest(report, 'passed').definitions).toBe('vllm');
    expect(renderTable(report)).toContain('definitions: vllm');
    const measured = requests.records.filter((r) => !r.warmup);
    expect(measured).toHaveLength(60);
    expect(measured.every((r) => r.error === null)).toBe(true);

    // What the records now hold: the hand-off before the write, the last choice chunk before the end.
    for (const r of measured) {
      expect(r.handed).toBeTypeOf('number');
      expect(r.handed!).toBeLessThanOrEqual(r.sent!);
      expect(r.lastChoice!).toBeGreaterThanOrEqual(r.chunkTimes.at(-1)!);
      expect(r.lastChoice!).toBeLessThanOrEqual(r.end);
      // The simulator's chat stream opens with a role-only chunk; completions have none.
      if (api === 'chat') expect(r.emptyChoiceTimes?.length, r.requestId).toBeGreaterThanOrEqual(1);
      else expect(r.emptyChoiceTimes ?? null).toBeNull();
    }

    const outputs = measured.map(vllmOutputOf);
    const ttftLimit = npPercentile(outputs.map((o) => o.ttft * 1000), 50);
    const tpotLimit = npPercentile(outputs.map((o) => ((o.latency - o.ttft) / Math.max(1, o.outputTokens - 1)) * 1000), 70);
    const e2eLimit = npPercentile(outputs.map((o) => o.latency * 1000), 80);
    const vllm = calculateMetrics(outputs, { ttft: ttftLimit, tpot: tpotLimit, e2el: e2eLimit });
    const l = report.stats.latency;
    expect(report.stats.requests.successful).toBe(vllm.completed);
    expectSame(l.ttft, vllm.ttft, 'TTFT');
    expectSame(l.tpot, vllm.tpot, 'TPOT');
    expectSame(l.itl, vllm.itl, 'ITL');
    expectSame(l.e2e, vllm.e2el, 'E2E');

    // Goodput's per-request values: the same requests are good under the same limits.
    const goodput = new GoodputCounter({
      name: 'vllm-goodput', description: '', source: 'test',
      limits: [
        { metric: 'ttft', stat: 'p95', max: ttftLimit, unit: 'ms' },
        { metric: 'tpot', stat: 'p95', max: tpotLimit, unit: 'ms' },
        { metric: 'e2e', stat: 'p95', max: e2eLimit, unit: 'ms' },
      ],
    });
    for (const r of measured) goodput.add(deriveRequestMetrics(r, 'vllm'));
    expect(vllm.good).toBeGreaterThan(0);
    expect(vllm.good).toBeLessThan(vllm.completed);
    expect(goodput.result(1000).good).toBe(vllm.good);

    // requests.jsonl round trip: the file's records (times to the microsecond) give the same numbers.
    const lines = readFileSync(requests.path, 'utf8').trim().split('\n').map((x) => JSON.parse(x) as RequestLine);
    const back = new StatsAccumulator(undefined, {}, 'vllm');
    for (const line of lines) back.add(recordFromLine(line, report.run.clock.perfMs));
    for (const m of ['ttft', 'tpot', 'itl', 'e2e'] as const) {
      expect(Math.abs(back.stats().latency[m].mean! - l[m].mean!), m).toBeLessThan(0.002);
    }

    // A baseline comparison reads the samples back under the definitions summary.json names.
    const folder = mkdtempSync(join(sim.dir, 'folder-'));
    copyFileSync(requests.path, join(folder, 'requests.jsonl'));
    const summary = { schema: 'vitest-llm-d/summary@1', suite: 'defs', run: 'x', tests: [renderTest(report, 'passed')] };
    const samples = (await samplesOfFolder(summary, folder, folder)).scenarios.get(`vllm-${api}`)!;
    for (const m of ['ttft', 'tpot', 'itl', 'e2e'] as const) {
      expect(samples[m].length, m).toBe(l[m].count);
      expect(Math.abs(mean([...samples[m]]) - l[m].mean!), m).toBeLessThan(0.002);
    }

    // report.html's distributions count the same samples (its ITL merges the chunks without text).
    const series = loadHtmlSeries(folder)!.tests.find((t) => t.scenario === `vllm-${api}`)!;
    for (const m of ['ttft', 'tpot', 'itl', 'e2e'] as const) expect(series.hist[m].total, `html ${m}`).toBe(l[m].count);

    // The default definitions on the same records, for the record of how far apart they are.
    const stats = (d: Definitions) => {
      const acc = new StatsAccumulator(undefined, {}, d);
      for (const r of requests.records) acc.add(r);
      return acc.stats().latency;
    };
    const ours = stats('vitest-llm-d');
    const theirs = stats('vllm');
    const row = (m: 'ttft' | 'tpot' | 'itl' | 'e2e') =>
      `${m} p50 ${ours[m].percentiles.p50!.toFixed(3)} vs ${theirs[m].percentiles.p50!.toFixed(3)} ms, mean ${ours[m].mean!.toFixed(3)} vs ${theirs[m].mean!.toFixed(3)} ms, n ${ours[m].count} vs ${theirs[m].count}`;
    console.log(`[${api}] default vs vllm: ${(['ttft', 'tpot', 'itl', 'e2e'] as const).map(row).join('; ')}`);
    // Handed precedes sent: vLLM's TTFT starts earlier; on loopback it cannot end later.
    expect(theirs.ttft.percentiles.p50!).toBeGreaterThanOrEqual(ours.ttft.percentiles.p50!);
  }, 60_000);
});
