import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KvUsage, Scheduler, type EngineJob } from '../engine.ts';
import { startSimServer, type SimServer } from '../server.ts';
import { contentEvents, json, metric, post, readChunkLog, readEvents, stream, tempDir, until } from './sim-client.ts';

function job(started: string[], name: string): EngineJob {
  return { state: 'new', start: () => void started.push(name) };
}

describe('Scheduler', () => {
  it('runs at most max_num_seqs jobs, queues the rest FIFO, and rejects beyond max_waiting', () => {
    const started: string[] = [];
    const s = new Scheduler(2, () => 2);
    const jobs = ['a', 'b', 'c', 'd'].map((n) => job(started, n));
    for (const j of jobs) expect(s.submit(j)).toBe(true);
    expect(s.submit(job(started, 'e'))).toBe(false);
    expect(started).toEqual(['a', 'b']);
    expect([s.running, s.waiting]).toEqual([2, 2]);
    s.finish(jobs[0]!);
    expect(started).toEqual(['a', 'b', 'c']);
    s.finish(jobs[3]!);
    expect([s.running, s.waiting]).toEqual([2, 0]);
    s.finish(jobs[1]!);
    s.finish(jobs[2]!);
    expect(started).toEqual(['a', 'b', 'c']);
    expect([s.running, s.waiting]).toEqual([0, 0]);
    s.finish(jobs[2]!);
    expect(s.running).toBe(0);
  });
});

describe('KvUsage', () => {
  it('counts shared prefix blocks once and private blocks per request', () => {
    const kv = new KvUsage(10);
    kv.acquireShared([1, 2]);
    kv.acquireShared([1, 2, 3]);
    kv.addPrivate(2);
    expect(kv.held).toBe(5);
    expect(kv.usage).toBe(0.5);
    kv.releaseShared([1, 2]);
    expect(kv.held).toBe(5);
    kv.releaseShared([1, 2, 3]);
    kv.addPrivate(-2);
    expect(kv.held).toBe(0);
  });
});

describe('engine over HTTP', () => {
  let sim: SimServer | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const base = { tokenizer: 'words', prefill_overhead_ms: 1, prefill_per_token_ms: 0, ttft_std_ms: 0, itl_std_ms: 0, load_factor: 1 } as const;

  it('never runs more than max_num_seqs requests at once', async () => {
    const log = join(tempDir(), 'chunks.jsonl');
    sim = await startSimServer({ ...base, itl_ms: 4, max_num_seqs: 2, chunk_log: log });
    const url = sim.url;
    let maxWaiting = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        maxWaiting = Math.max(maxWaiting, await metric(url, 'vllm:num_requests_waiting'));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const results = await Promise.all(Array.from({ length: 5 }, () => stream(`${url}/v1/completions`, { prompt: 'a b c', max_tokens: 25, stream: true })));
    polling = false;
    await poll;
    expect(results.every((r) => r.status === 200 && contentEvents(r.events).length === 25)).toBe(true);
    expect(maxWaiting).toBe(3);
    await sim.close();
    const entries = readChunkLog(log);
    expect(entries).toHaveLength(5);
    // At any first-content time, at most two requests are between first content and end.
    for (const e of entries) {
      const overlapping = entries.filter((o) => o.first_content_us! <= e.first_content_us! && o.end_us >= e.first_content_us!);
      expect(overlapping.length).toBeLessThanOrEqual(2);
    }
  });

  it('answers 429 "Failed to enqueue request" when the waiting queue is full', async () => {
    sim = await startSimServer({ ...base, itl_ms: 5, max_num_seqs: 1, max_waiting: 1 });
    const body = { prompt: 'x', max_tokens: 60, stream: true };
    const first = post(`${sim.url}/v1/completions`, body);
    await until(async () => (await metric(sim!.url, 'vllm:num_requests_running')) === 1);
    const second = post(`${sim.url}/v1/completions`, body);
    await until(async () => (await metric(sim!.url, 'vllm:num_requests_waiting')) === 1);
    const third = await post(`${sim.url}/v1/completions`, body);
    expect(third.status).toBe(429);
    expect(await json(third)).toEqual({ error: { message: 'Failed to enqueue request', type: 'RateLimitError', param: null, code: 429 } });
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    await Promise.all([readEvents(await first), readEvents(await second)]);
  });

  it('frees the slot of a client that disconnects, and logs it as 499', async () => {
    const log = join(tempDir(), 'chunks.jsonl');
    sim = await startSimServer({ ...base, itl_ms: 5, max_num_seqs: 1, chunk_log: log });
    const ac = new AbortController();
    const long = await post(`${sim.url}/v1/completions`, { prompt: 'x', max_tokens: 2000, stream: true }, { 'x-request-id': 'long' }, ac.signal);
    const queued = stream(`${sim.url}/v1/completions`, { prompt: 'y', max_tokens: 3, stream: true }, { 'x-request-id': 'queued' });
    await until(async () => (await metric(sim!.url, 'vllm:num_requests_waiting')) === 1);
    const reader = long.body!.getReader();
    await reader.read();
    const abortedAt = performance.now();
    ac.abort();
    const q = await queued;
    // The long request had ~10 s to go; the queued one starts as soon as the slot is freed.
    expect(q.endMs - abortedAt).toBeLessThan(1000);
    expect(contentEvents(q.events)).toHaveLength(3);
    expect(await metric(sim.url, 'vllm:num_requests_running')).toBe(0);
    expect(await metric(sim.url, 'vllm:request_success_total', 'finished_reason="abort"')).toBe(1);
    await sim.close();
    const byId = new Map(readChunkLog(log).map((e) => [e.request_id, e]));
    expect(byId.get('long')).toMatchObject({ status: 499, finish_reason: null });
    expect(byId.get('queued')).toMatchObject({ status: 200, finish_reason: 'length', completion_tokens: 3 });
  });

  it('drops a queued request whose client disconnects before it starts', async () => {
    sim = await startSimServer({ ...base, itl_ms: 5, max_num_seqs: 1 });
    const running = post(`${sim.url}/v1/completions`, { prompt: 'x', max_tokens: 100, stream: true });
    await until(async () => (await metric(sim!.url, 'vllm:num_requests_running')) === 1);
    const ac = new AbortController();
    const waiting = post(`${sim.url}/v1/completions`, { prompt: 'y', max_tokens: 100, stream: true }, {}, ac.signal);
    await until(async () => (await metric(sim!.url, 'vllm:num_requests_waiting')) === 1);
    await waiting;
    ac.abort();
    await until(async () => (await metric(sim!.url, 'vllm:num_requests_waiting')) === 0);
    expect(await metric(sim.url, 'vllm:num_requests_running')).toBe(1);
    await readEvents(await running);
  });
});
