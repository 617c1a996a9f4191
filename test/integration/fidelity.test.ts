import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { API_ADAPTERS, capabilitiesFor } from '../../lib/apis/index.ts';
import { HttpTarget } from '../../lib/http/target.ts';
import { runLoad } from '../../lib/load/runner.ts';
import { type RequestRecord, readRunClock, toHrtimeUs } from '../../lib/metrics/record.ts';
import type { ChunkLogEntry } from '../../lib/sim/vllm/chunk-log.ts';
import { type SimProcess, spawnSimulator } from '../../lib/sim/vllm/spawn.ts';
import { percentile } from '../../lib/stats/summary.ts';

/**
 * Fidelity: the client's measured TTFT and ITL against the true send times the simulator logs,
 * at concurrency 64, with the simulator in its own process (its own event loop and CPU). Both
 * sides read the machine's monotonic clock (`process.hrtime`), so times compare directly.
 *
 * True TTFT is the simulator's write of the first content chunk minus the client's write of the
 * request. (Not minus the simulator's receipt of it: 64 requests sent at once wait in the
 * server's socket buffers while it takes them one by one, and that wait is latency the client
 * rightly measures.) The client's `sent` is checked separately: it precedes the server's receipt.
 */
const CONCURRENCY = 64;
const MEASURED = 512;
const WARMUP = 64;
const MODEL = 'Qwen/Qwen3-0.6B';

let dir: string;
let sim: SimProcess;
let records: RequestRecord[];
let server: Map<string, ChunkLogEntry>;
let clock: ReturnType<typeof readRunClock>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-fidelity-'));
  // An 8B model on one H100 (llm-d-inference-sim's reference values), with 64 running slots so
  // every stream decodes at once: about 5,000 chunks/s arrive at the client.
  sim = await spawnSimulator({
    profile: 'llama-8b-h100',
    max_num_seqs: CONCURRENCY,
    tokenizer: 'words',
    chunk_log: join(dir, 'chunks.jsonl'),
  });
  const http = new HttpTarget({ baseUrl: sim.url, timeouts: { connect: 5000, firstToken: 30_000, idle: 30_000, total: 60_000 } });
  const caps = capabilitiesFor('vllm');
  records = [];
  clock = readRunClock();
  const outcome = await runLoad({
    target: http,
    adapter: API_ADAPTERS.completions,
    model: MODEL,
    stream: true,
    schedule: { kind: 'closed', concurrency: CONCURRENCY, description: '' },
    warmup: WARMUP,
    requests: MEASURED,
    requestIdPrefix: 'fidelity',
    keepText: false,
    clock,
    request: (i) => ({
      body: API_ADAPTERS.completions.body(
        { model: MODEL, prompt: `request ${i} ${'lorem ipsum dolor '.repeat(20 + (i % 7) * 10)}`, maxTokens: 20 + (i % 5) * 10, stream: true },
        caps,
      ),
      cell: 'fidelity',
      promptTokens: 0,
      maxTokens: 0,
    }),
    onRecord: (r) => records.push(r),
  });
  expect(outcome.stopped).toBeNull();
  await sim.stop();
  server = new Map();
  for (const line of readFileSync(join(dir, 'chunks.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as ChunkLogEntry;
    server.set(e.request_id, e);
  }
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const measured = (): RequestRecord[] => records.filter((r) => !r.warmup);
const p99 = (xs: number[]): number => percentile(Float64Array.from(xs).sort(), 99)!;

describe('fidelity at concurrency 64 against the simulator in its own process', () => {
  test('every request succeeded and the simulator logged each one under the same x-request-id', () => {
    expect(measured()).toHaveLength(MEASURED);
    for (const r of measured()) {
      expect(r.error, r.requestId).toBeNull();
      const e = server.get(r.requestId);
      expect(e, r.requestId).toBeDefined();
      expect(r.chunkTimes.length, r.requestId).toBe(e!.content_us.length);
    }
  });

  test('measured TTFT agrees with the true TTFT within 2 ms at p99', () => {
    const diffs = measured().map((r) => {
      const e = server.get(r.requestId)!;
      const trueTtft = (e.first_content_us! - toHrtimeUs(clock, r.sent!)) / 1000;
      return Math.abs(r.firstChunk! - r.sent! - trueTtft);
    });
    expect(p99(diffs)).toBeLessThan(2);
  });

  test("the client stamps `sent` before the request leaves: the server never receives it earlier", () => {
    const early = measured().map((r) => (server.get(r.requestId)!.received_us - toHrtimeUs(clock, r.sent!)) / 1000);
    expect(Math.min(...early)).toBeGreaterThan(-0.1);
    expect(percentile(Float64Array.from(early).sort(), 50)).toBeLessThan(1);
  });

  test('measured ITL agrees with the true gaps between chunk writes within 2 ms at p99', () => {
    const diffs: number[] = [];
    for (const r of measured()) {
      const sent = server.get(r.requestId)!.content_us;
      for (let i = 1; i < r.chunkTimes.length; i++) {
        diffs.push(Math.abs(r.chunkTimes[i]! - r.chunkTimes[i - 1]! - (sent[i]! - sent[i - 1]!) / 1000));
      }
    }
    expect(diffs.length).toBeGreaterThan(MEASURED * 20);
    expect(p99(diffs)).toBeLessThan(2);
  });

  test('on the shared monotonic clock no chunk is received before it was sent, and delivery is prompt', () => {
    const delays: number[] = [];
    for (const r of measured()) {
      const sent = server.get(r.requestId)!.content_us;
      r.chunkTimes.forEach((t, i) => delays.push((toHrtimeUs(clock, t) - sent[i]!) / 1000));
    }
    // Clock conversion is exact to well under 0.1 ms; a negative delay would mean mis-joined times.
    expect(Math.min(...delays)).toBeGreaterThan(-0.1);
    expect(percentile(Float64Array.from(delays).sort(), 50)).toBeLessThan(1);
  });
});
