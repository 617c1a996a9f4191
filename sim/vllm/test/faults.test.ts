import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkLogEntry } from '../chunk-log.ts';
import { startSimServer, type SimServer } from '../server.ts';
import { contentEvents, getJson, json, metric, post, postJson, readChunkLog, readEvents, stream, tempDir, type ReceivedEvent, until } from './sim-client.ts';

let sim: SimServer;
let url: string;
const log = join(tempDir(), 'chunks.jsonl');
const body = { prompt: 'a b c', max_tokens: 8, stream: true };

beforeAll(async () => {
  sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words', itl_ms: 1, chunk_log: log });
  url = sim.url;
});
afterAll(() => sim.close());

/** Reads events until `n` content chunks arrived, then checks nothing more comes for `quietMs`. */
async function readThenSilence(res: Response, n: number, quietMs: number): Promise<{ events: ReceivedEvent[]; silent: boolean }> {
  const events: ReceivedEvent[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const countContent = () => (text.match(/"text":" /g) ?? []).length + (text.match(/"content":" /g) ?? []).length;
  while (countContent() < n) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const more = await Promise.race([reader.read().then(() => 'data'), new Promise((r) => setTimeout(() => r('quiet'), quietMs))]);
  await reader.cancel().catch(() => {});
  for (const block of text.split('\n\n').filter(Boolean)) events.push({ data: block.slice(6), json: JSON.parse(block.slice(6)), atMs: 0 });
  return { events, silent: more === 'quiet' };
}

async function logEntry(requestId: string): Promise<ChunkLogEntry> {
  let entry: ChunkLogEntry | undefined;
  await until(() => (entry = readChunkLog(log).find((e) => e.request_id === requestId)) !== undefined, 3000, 10);
  return entry!;
}

describe('x-sim-fault', () => {
  it('status=NNN answers at once with that status in vLLM error JSON', async () => {
    const res = await post(`${url}/v1/completions`, body, { 'x-sim-fault': 'status=503', 'x-request-id': 'f-503' });
    expect(res.status).toBe(503);
    expect(await json(res)).toEqual({ error: { message: 'The server is overloaded or not ready yet.', type: 'ServiceUnavailableError', param: null, code: 503 } });
    expect(await logEntry('f-503')).toMatchObject({ status: 503, fault: 'error:503', completion_tokens: 0 });
  });

  it('stall:2 sends two content chunks, then nothing, and frees the engine slot', async () => {
    const res = await post(`${url}/v1/completions`, body, { 'x-sim-fault': 'stall:2', 'x-request-id': 'f-stall' });
    const r = await readThenSilence(res, 2, 150);
    expect(r.silent).toBe(true);
    expect(contentEvents(r.events)).toHaveLength(2);
    expect(await metric(url, 'vllm:num_requests_running')).toBe(0);
    expect(await logEntry('f-stall')).toMatchObject({ status: 200, fault: 'stall:2', finish_reason: null, content_tokens: [1, 1] });
  });

  it('stall:0 on chat sends headers only (not even the role chunk)', async () => {
    const res = await post(`${url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }], max_tokens: 4, stream: true }, { 'x-sim-fault': 'stall:0', 'x-request-id': 'f-stall0' });
    expect(res.status).toBe(200);
    const r = await readThenSilence(res, 0, 100);
    expect(r.silent).toBe(true);
    expect(r.events).toHaveLength(0);
    expect(await logEntry('f-stall0')).toMatchObject({ status: 200, content_us: [] });
  });

  it('cut:2 closes the socket after two content chunks, without [DONE]', async () => {
    const r = await stream(`${url}/v1/completions`, body, { 'x-sim-fault': 'cut:2', 'x-request-id': 'f-cut' });
    expect(r.status).toBe(200);
    expect(r.bodyError).not.toBeNull();
    expect(contentEvents(r.events)).toHaveLength(2);
    expect(r.events.some((e) => e.data === '[DONE]')).toBe(false);
    expect(await logEntry('f-cut')).toMatchObject({ status: 200, fault: 'cut:2', content_tokens: [1, 1], completion_tokens: 2 });
  });

  it('cut without a count uses faults.cut_after_tokens', async () => {
    const r = await stream(`${url}/v1/completions`, body, { 'x-sim-fault': 'cut' });
    expect(r.bodyError).not.toBeNull();
    expect(contentEvents(r.events)).toHaveLength(1);
  });

  it('malformed:3 inserts one event that is not JSON after three chunks, then completes', async () => {
    const r = await stream(`${url}/v1/completions`, body, { 'x-sim-fault': 'malformed:3', 'x-request-id': 'f-mal' });
    expect(r.bodyError).toBeNull();
    const bad = r.events.findIndex((e) => e.json === undefined && e.data !== '[DONE]');
    expect(bad).toBe(3);
    expect(() => JSON.parse(r.events[bad]!.data)).toThrow();
    expect(contentEvents(r.events)).toHaveLength(8);
    expect(r.events.at(-1)!.data).toBe('[DONE]');
    expect(await logEntry('f-mal')).toMatchObject({ status: 200, fault: 'malformed:3', finish_reason: 'length', completion_tokens: 8 });
  });

  it('empty finishes a 200 stream with zero content tokens', async () => {
    const r = await stream(`${url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }], max_tokens: 4, stream: true, stream_options: { include_usage: true } }, { 'x-sim-fault': 'empty', 'x-request-id': 'f-empty' });
    expect(r.status).toBe(200);
    expect(contentEvents(r.events)).toHaveLength(0);
    expect(r.events.map((e) => e.json?.choices?.[0]?.finish_reason ?? null)).toEqual([null, 'stop', null, null]);
    expect(r.events.at(-2)!.json.usage.completion_tokens).toBe(0);
    expect(r.events.at(-1)!.data).toBe('[DONE]');
    expect(await logEntry('f-empty')).toMatchObject({ status: 200, fault: 'empty', completion_tokens: 0, finish_reason: 'stop', content_us: [] });
  });

  it('acts on non-streaming requests at the end: cut drops the connection, malformed truncates the body', async () => {
    const nonStream = { prompt: 'a', max_tokens: 3 };
    await expect(post(`${url}/v1/completions`, nonStream, { 'x-sim-fault': 'cut' }).then((r) => r.text())).rejects.toThrow();
    const mal = await post(`${url}/v1/completions`, nonStream, { 'x-sim-fault': 'malformed' });
    expect(mal.status).toBe(200);
    await expect(json(mal)).rejects.toThrow();
    const empty = await postJson(`${url}/v1/completions`, nonStream, { 'x-sim-fault': 'empty' });
    expect(empty.choices[0]).toMatchObject({ text: '', finish_reason: 'stop' });
  });

  it('rejects an unknown fault with a 400 naming the header', async () => {
    const res = await post(`${url}/v1/completions`, body, { 'x-sim-fault': 'explode' });
    expect(res.status).toBe(400);
    expect((await json(res)).error.param).toBe('x-sim-fault');
  });
});

describe('random faults from the options, changed at runtime through /admin/config', () => {
  it('injects errors at about error_rate, with the configured statuses', async () => {
    const set = await post(`${url}/admin/config`, { faults: { error_rate: 0.5, error_statuses: [502] } });
    expect(set.status).toBe(200);
    expect((await json(set)).faults).toMatchObject({ error_rate: 0.5, error_statuses: [502], cut_rate: 0 });
    const statuses = await Promise.all(Array.from({ length: 60 }, async () => (await post(`${url}/v1/completions`, { prompt: 'a', max_tokens: 1 })).status));
    const errors = statuses.filter((s) => s === 502).length;
    expect(statuses.every((s) => s === 502 || s === 200)).toBe(true);
    expect(errors).toBeGreaterThan(15);
    expect(errors).toBeLessThan(45);
  });

  it('cuts every stream with cut_rate 1 and rejects an invalid patch atomically', async () => {
    const bad = await post(`${url}/admin/config`, { itl_ms: 2, faults: { cut_rate: 7 } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toBe('admin/config: faults.cut_rate: expected a number between 0 and 1, got 7');
    expect((await getJson(`${url}/admin/config`)).itl_ms).toBe(1);
    await post(`${url}/admin/config`, { faults: { error_rate: 0, cut_rate: 1, cut_after_tokens: 3 } });
    const r = await stream(`${url}/v1/completions`, body);
    expect(r.bodyError).not.toBeNull();
    expect(contentEvents(r.events)).toHaveLength(3);
    await post(`${url}/admin/config`, { faults: { cut_rate: 0 } });
    const ok = await stream(`${url}/v1/completions`, body);
    expect(ok.bodyError).toBeNull();
    await readEvents(await post(`${url}/v1/completions`, body));
  });
});
