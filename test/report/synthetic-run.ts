/**
 * Synthetic run folders for the regression gate and `compare` tests: requests.jsonl through the
 * real writer and a summary.json with what the loader reads.
 */
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitmix32 } from '../../lib/stats/prng.ts';
import { deriveRequestMetrics } from '../../lib/metrics/derive.ts';
import type { RequestRecord, RunClock } from '../../lib/metrics/record.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';

export const root = mkdtempSync(join(tmpdir(), 'baseline-test-'));
let folders = 0;

/** Shape of the synthetic workload of one run. */
export interface Workload {
  seed: number;
  /** Measured requests per stage. */
  requests?: number;
  /** Multiplies TTFT and TPOT (and so ITL and E2E). */
  slow?: number;
  stream?: boolean;
  /** Every k-th measured request fails with HTTP 500. */
  failEvery?: number;
  /** Stage labels, one per stage; a repeated label is a repeated trial. */
  stages?: string[];
  scenario?: string;
  /** Extra scenarios with the same workload. */
  alsoScenarios?: string[];
  /** summary.json `definitions` of every test (absent: not written, the default). */
  definitions?: 'vitest-llm-d' | 'vllm';
}

/**
 * A run folder like a real suite writes: requests.jsonl through the real `RequestsFile` writer
 * (warm-up first, closed loop at concurrency 1, one token per chunk, server usage), and a
 * summary.json with the fields the loader reads (`schema`, `suite`, `run`, `target_kind`, per test
 * `scenario`, `model`, `results.window_s`, `stages[].label/index/results.window_s`).
 */
export function writeRun(suite: string, w: Workload, opts: { summary?: boolean; requests?: boolean } = {}): string {
  const stamp = `2026-11-24T10-00-${String(folders).padStart(2, '0')}Z`;
  const dir = join(root, `${stamp}-${suite}-${folders++}`);
  mkdirSync(dir, { recursive: true });
  const r = splitmix32(w.seed);
  const u = (): number => (r.next() + 0.5) / 4294967296;
  const normal = (): number => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const clock: RunClock = { perfMs: 1000, hrtimeUs: 5e9, wallTime: '2026-11-24T10:00:00.000Z' };
  const file = new RequestsFile(join(dir, 'requests.jsonl'));
  const labels = w.stages ?? ['concurrency 1'];
  const n = w.requests ?? 300;
  const slow = w.slow ?? 1;
  const stream = w.stream ?? true;
  const tests: unknown[] = [];
  for (const scenario of [w.scenario ?? 'latency_benchmark', ...(w.alsoScenarios ?? [])]) {
    let t = 1000;
    let seq = 0;
    const stages: unknown[] = [];
    const one = (warmup: boolean, stage: number | null, failed: boolean): void => {
      const intended = t;
      const sent = t + 0.3 + 0.2 * u();
      const ttft = 80 * Math.exp(0.4 * normal()) * slow;
      const N = 32;
      const chunkTimes: number[] = [];
      let c = sent + ttft;
      for (let k = 0; k < N; k++) {
        if (k > 0) c += 20 * Math.exp(0.15 * normal()) * slow;
        chunkTimes.push(c);
      }
      const end = failed ? sent + 5 : c + 0.2;
      const rec: RequestRecord = {
        seq: seq++,
        requestId: `${suite}-${scenario}-${seq}`,
        warmup,
        stage,
        cell: 'prompt=100,max_tokens=32',
        api: 'completions',
        stream,
        model: 'Qwen/Qwen3-0.6B',
        promptTokens: 100,
        maxTokens: N,
        intended,
        sent,
        headers: failed ? sent + 4 : sent + 5,
        firstChunk: failed || !stream ? null : chunkTimes[0]!,
        chunkTimes: failed || !stream ? [] : chunkTimes,
        chunkTokens: failed || !stream ? null : chunkTimes.map(() => 1),
        chunkTokensSource: failed || !stream ? null : 'server',
        end,
        status: failed ? 500 : 200,
        usage: failed ? null : { promptTokens: 100, completionTokens: N, cachedTokens: 0 },
        tokenizerOutputTokens: failed ? null : N,
        outputChars: failed ? 0 : 5 * N,
        finishReason: failed ? null : 'length',
        servedBy: { 'x-request-id': `${scenario}-${seq}`, 'x-inference-pod': 'vllm-0' },
        error: failed ? { class: 'http_status', message: 'HTTP 500: internal error' } : null,
      };
      file.append(scenario, clock, rec, warmup ? null : deriveRequestMetrics(rec));
      t = end;
    };
    for (let i = 0; i < 3; i++) one(true, null, false);
    const start = t;
    let measured = 0;
    labels.forEach((label, index) => {
      const stageStart = t;
      for (let i = 0; i < n; i++) one(false, index, w.failEvery !== undefined && measured++ % w.failEvery === 0);
      stages.push({ index, label, results: { window_s: (t - stageStart) / 1000 } });
    });
    tests.push({
      scenario,
      state: 'passed',
      target_kind: 'simulator',
      model: 'Qwen/Qwen3-0.6B',
      ...(w.definitions ? { definitions: w.definitions } : {}),
      results: { window_s: (t - start) / 1000 },
      stages: labels.length > 1 ? stages : [],
      files: { requests: 'requests.jsonl' },
    });
  }
  file.close();
  if (opts.requests === false) writeFileSync(join(dir, 'requests.jsonl'), '');
  const summary = { schema: 'vitest-llm-d/summary@1', suite, run: stamp, target_kind: 'simulator', tool: { name: 'vitest-llm-d', version: '0.1.0', node: 'v20.20.2' }, tests, failed_tests: [] };
  if (opts.summary !== false) writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
  return dir;
}

