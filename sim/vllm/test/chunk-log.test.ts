import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSimulator } from '../spawn.ts';
import { contentEvents, json, post, readChunkLog, stream, tempDir, type StreamResult } from './sim-client.ts';

/** performance.now() (ms) of this process -> the chunk log's clock (µs of process.hrtime). */
function clockOffsetUs(): number {
  const a = performance.now();
  const hr = Number(process.hrtime.bigint() / 1000n);
  const b = performance.now();
  return hr - ((a + b) / 2) * 1000;
}

describe('chunk log', () => {
  it('matches what the client received: one line per request, chunk counts, order and times', async () => {
    const log = join(tempDir(), 'nested', 'chunks.jsonl');
    const sim = await spawnSimulator({ tokenizer: 'words', itl_ms: 2, itl_std_ms: 0.3, prefill_overhead_ms: 3, tokens_per_chunk: 2, chunk_log: log });
    expect(sim.chunkLogPath).toBe(log);
    const offset = clockOffsetUs();
    const results = new Map<string, StreamResult>();
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const id = `r${i}`;
        const api = i % 2 ? 'chat/completions' : 'completions';
        const body = i % 2 ? { messages: [{ role: 'user', content: `q ${i}` }], max_tokens: 9 + i, stream: true } : { prompt: `p ${i}`, max_tokens: 9 + i, stream: true };
        results.set(id, await stream(`${sim.url}/v1/${api}`, body, { 'x-request-id': id }));
      }),
    );
    await post(`${sim.url}/v1/completions`, { prompt: 'x', max_tokens: 2 }, { 'x-request-id': 'plain' }).then(json);
    await post(`${sim.url}/v1/completions`, { model: 'nope', prompt: 'x' }, { 'x-request-id': 'bad' }).then((r) => r.text());
    await sim.stop();

    const entries = readChunkLog(log);
    expect(entries.map((e) => e.request_id).sort()).toEqual(['bad', 'plain', 'r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    for (const [id, r] of results) {
      const e = entries.find((x) => x.request_id === id)!;
      const received = contentEvents(r.events);
      expect(e).toMatchObject({ status: 200, stream: true, finish_reason: 'length', fault: null, api: id === 'r1' || id === 'r3' || id === 'r5' || id === 'r7' ? 'chat' : 'completions' });
      expect(e.content_us).toHaveLength(received.length);
      expect(e.content_tokens.reduce((a, b) => a + b, 0)).toBe(e.completion_tokens);
      expect(e.completion_tokens).toBe(9 + Number(id.slice(1)));
      expect(e.content_tokens[0]).toBe(1);
      expect(e.first_content_us).toBe(e.content_us[0]);
      const times = [e.received_us, e.headers_us!, ...e.content_us, e.end_us];
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!);
      // Every chunk was sent before this process received it, and arrived soon after.
      for (const [i, ev] of received.entries()) {
        const recvUs = ev.atMs * 1000 + offset;
        expect(recvUs - e.content_us[i]!).toBeGreaterThan(-5);
        expect(recvUs - e.content_us[i]!).toBeLessThan(50_000);
      }
      expect(r.sentMs * 1000 + offset).toBeLessThan(e.received_us + 5);
    }
    expect(entries.find((e) => e.request_id === 'plain')).toMatchObject({ stream: false, status: 200, completion_tokens: 2, content_us: [], first_content_us: null });
    expect(entries.find((e) => e.request_id === 'bad')).toMatchObject({ status: 404, completion_tokens: 0 });
  });
});
