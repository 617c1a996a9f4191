import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../server.ts';
import type { SimOptionsInput } from '../options.ts';
import { contentEvents, json, metric, post, readChunkLog, readEvents, tempDir, until } from './sim-client.ts';

/*
 * vLLM sleep mode over real HTTP on loopback. time_scale 0.1 makes a modeled 500 ms sleep take
 * 50 ms; durations are checked from below exactly (never shorter than modeled) and from above
 * with room for a busy machine.
 */

const SLEEP = { dev_mode: true, enable_sleep_mode: true } as const;
const base = {
  tokenizer: 'words',
  profile: 'test-fast',
  time_scale: 0.1,
  sleep_ms: 500,
  wake_ms: 1000,
  level2_wake_factor: 3,
  wake_weights_fraction: 0.75,
  model_memory_gib: 1.25,
  kv_cache_memory_gib: 10,
  residual_memory_gib: 0.5,
  ...SLEEP,
} as const satisfies SimOptionsInput;
const SLACK_MS = 120;

let sim: SimServer | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(extra: SimOptionsInput = {}): Promise<SimServer> {
  sim = await startSimServer({ ...base, ...extra });
  return sim;
}

/** POSTs an empty body; returns the status and how long the call took (ms). */
async function timedPost(url: string): Promise<{ status: number; ms: number; body: string }> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST' });
  const body = await res.text();
  return { status: res.status, ms: performance.now() - t0, body };
}

async function isSleeping(url: string): Promise<boolean> {
  const res = await fetch(`${url}/is_sleeping`);
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toMatch(/^\{"is_sleeping":(true|false)\}$/);
  return (JSON.parse(text) as { is_sleeping: boolean }).is_sleeping;
}

async function sleepGauge(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of ['awake', 'weights_offloaded', 'discard_all']) out[s] = await metric(url, 'vllm:engine_sleep_state', `sleep_state="${s}"`);
  return out;
}

/** The messages of the log lines matching `re`, parsed as vLLM's logger prints them. */
function logMessages(s: SimServer, re: RegExp): string[] {
  const out: string[] = [];
  for (const line of s.log().split('\n')) {
    const m = /^\((?:APIServer|EngineCore_DP0) pid=\d+\) (?:INFO|WARNING) \d\d-\d\d \d\d:\d\d:\d\d \[[\w.]+:\d+\] (.*)$/.exec(line);
    if (m && re.test(m[1]!)) out.push(m[1]!);
  }
  return out;
}

function tookSeconds(message: string): number {
  return Number(/^It took (\d+\.\d{6}) seconds to /.exec(message)![1]);
}

const completion = (max = 4) => ({ prompt: 'a b c', max_tokens: max });

describe('sleep endpoints availability', () => {
  it('are 404 without dev mode, without sleep mode, and by default; then no sleep gauge either', async () => {
    for (const extra of [{ dev_mode: false }, { enable_sleep_mode: false }, { dev_mode: false, enable_sleep_mode: false }]) {
      const s = await start(extra);
      for (const [method, path] of [['POST', '/sleep'], ['POST', '/wake_up'], ['GET', '/is_sleeping'], ['GET', '/sleep']] as const) {
        const res = await fetch(`${s.url}${path}`, { method });
        expect(res.status, `${method} ${path} ${JSON.stringify(extra)}`).toBe(404);
        expect(await res.text()).toBe('{"detail":"Not Found"}');
      }
      const m = await (await fetch(`${s.url}/metrics`)).text();
      expect(m.includes('vllm:engine_sleep_state')).toBe(s.options.enable_sleep_mode);
      await s.close();
    }
    const d = await startSimServer({ tokenizer: 'words' });
    try {
      expect(d.options).toMatchObject({ dev_mode: false, enable_sleep_mode: false, startup_ms: 0, sleeping_requests: 'reject' });
      expect((await fetch(`${d.url}/is_sleeping`)).status).toBe(404);
    } finally {
      await d.close();
    }
  });

  it('with both on: the wrong method is 405, a bad level or mode is 400', async () => {
    const s = await start();
    expect((await fetch(`${s.url}/sleep`)).status).toBe(405);
    expect((await fetch(`${s.url}/is_sleeping`, { method: 'POST' })).status).toBe(405);
    const bad = await post(`${s.url}/sleep?level=3`, '');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ type: 'BadRequestError', param: 'level', message: 'level: the simulator models sleep levels 1 and 2, got "3"' });
    const mode = await post(`${s.url}/sleep?mode=wait`, '');
    expect(mode.status).toBe(400);
    expect((await json(mode)).error.message).toBe('mode: the simulator models mode=abort only, got "wait"');
    expect(await isSleeping(s.url)).toBe(false);
  });
});

describe('level 1', () => {
  it('sleeps and wakes in the modeled times, with is_sleeping, state, gauge, memory and log lines following', async () => {
    const s = await start();
    expect(await isSleeping(s.url)).toBe(false);
    expect(s.state).toBe('awake');
    expect(await sleepGauge(s.url)).toEqual({ awake: 1, weights_offloaded: 0, discard_all: 0 });
    expect(s.gpuMemoryGiB()).toBeCloseTo(11.75, 10);

    const pending = timedPost(`${s.url}/sleep`);
    await until(() => s.state === 'falling_asleep', 1000, 1);
    expect(s.gpuMemoryGiB()).toBeCloseTo(11.75, 10);
    const sl = await pending;
    expect(sl).toMatchObject({ status: 200, body: '' });
    expect(sl.ms).toBeGreaterThanOrEqual(50);
    expect(sl.ms).toBeLessThan(50 + SLACK_MS);
    expect(s.state).toBe('sleeping');
    expect(s.sleepState()).toEqual({ isSleeping: true, level: 1, sleepingTags: ['weights', 'kv_cache'], transition: null });
    expect(await isSleeping(s.url)).toBe(true);
    expect(await sleepGauge(s.url)).toEqual({ awake: 0, weights_offloaded: 1, discard_all: 0 });
    expect(s.gpuMemoryGiB()).toBe(0.5);

    const wk = await timedPost(`${s.url}/wake_up`);
    expect(wk.status).toBe(200);
    expect(wk.ms).toBeGreaterThanOrEqual(100);
    expect(wk.ms).toBeLessThan(100 + SLACK_MS);
    expect(await isSleeping(s.url)).toBe(false);
    expect(s.state).toBe('awake');
    expect(await sleepGauge(s.url)).toEqual({ awake: 1, weights_offloaded: 0, discard_all: 0 });

    expect(logMessages(s, /Sleep mode freed/)).toEqual(['Sleep mode freed 11.25 GiB memory, 0.50 GiB memory is still in use.']);
    const asleep = logMessages(s, /to fall asleep/);
    expect(asleep).toHaveLength(1);
    expect(asleep[0]).toMatch(/^It took \d+\.\d{6} seconds to fall asleep\.$/);
    // Modeled seconds: the measured time divided by time_scale.
    expect(tookSeconds(asleep[0]!)).toBeGreaterThanOrEqual(0.5);
    expect(tookSeconds(asleep[0]!)).toBeLessThan(0.5 + SLACK_MS / 100);
    const woke = logMessages(s, /to wake up/);
    expect(woke).toEqual([expect.stringMatching(/^It took \d+\.\d{6} seconds to wake up tags \{'weights', 'kv_cache'\}\.$/)]);
    expect(tookSeconds(woke[0]!)).toBeGreaterThanOrEqual(1);
    expect(tookSeconds(woke[0]!)).toBeLessThan(1 + SLACK_MS / 100);
    expect(logMessages(s, /^wake up the engine/)).toEqual(['wake up the engine with tags: None']);
    // The engine lines come from the engine core, in vLLM's order.
    const text = s.log();
    expect(text.indexOf('Sleep mode freed')).toBeLessThan(text.indexOf('to fall asleep'));
    expect(text).toMatch(/\(EngineCore_DP0 pid=\d+\) INFO .* It took [\d.]+ seconds to fall asleep\./);
  });

  it('a second sleep and a wake while awake are warnings that return at once', async () => {
    // Modeled 300 ms each, so "at once" is told apart from a real sleep or wake on a busy machine.
    const s = await start({ sleep_ms: 3000, wake_ms: 3000 });
    const w = await timedPost(`${s.url}/wake_up`);
    expect(w.status).toBe(200);
    expect(w.ms).toBeLessThan(150);
    expect(logMessages(s, /not sleeping/)).toEqual(['Executor is not sleeping.']);
    expect((await timedPost(`${s.url}/sleep`)).status).toBe(200);
    const again = await timedPost(`${s.url}/sleep?level=2`);
    expect(again.ms).toBeLessThan(150);
    expect(logMessages(s, /already sleeping/)).toEqual(['Executor is already sleeping.']);
    expect(logMessages(s, /to fall asleep/)).toHaveLength(1);
    // Still the level-1 sleep (vLLM's gauge, though, records the level of the last call).
    expect(s.sleepState().level).toBe(1);
    expect(await sleepGauge(s.url)).toEqual({ awake: 0, weights_offloaded: 0, discard_all: 1 });
  });

  it('is_sleeping sent during a wake answers when the wake is done, like any engine-core call', async () => {
    const s = await start();
    await timedPost(`${s.url}/sleep`);
    const t0 = performance.now();
    const wake = fetch(`${s.url}/wake_up`, { method: 'POST' });
    await until(() => s.state === 'waking_up', 1000, 1);
    expect(s.sleepState().isSleeping).toBe(true);
    expect(await isSleeping(s.url)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
    expect((await wake).status).toBe(200);
  });
});

describe('level 2', () => {
  it('wakes tag by tag: weights then kv_cache, is_sleeping true until both are awake', async () => {
    const s = await start();
    expect((await timedPost(`${s.url}/sleep?level=2`)).status).toBe(200);
    expect(await sleepGauge(s.url)).toEqual({ awake: 0, weights_offloaded: 0, discard_all: 1 });
    expect(s.sleepState()).toMatchObject({ isSleeping: true, level: 2 });

    // Full level-2 wake: 1000 ms x 3 x 0.1 = 300 ms; weights take 75 % of it.
    const weights = await timedPost(`${s.url}/wake_up?tags=weights`);
    expect(weights.status).toBe(200);
    expect(weights.ms).toBeGreaterThanOrEqual(225);
    expect(weights.ms).toBeLessThan(225 + SLACK_MS);
    expect(await isSleeping(s.url)).toBe(true);
    expect(s.state).toBe('sleeping');
    expect(s.sleepState()).toEqual({ isSleeping: true, level: 2, sleepingTags: ['kv_cache'], transition: null });
    expect(s.gpuMemoryGiB()).toBeCloseTo(1.75, 10);
    // vLLM records "awake" in the gauge after any wake-up call, partial or not.
    expect(await sleepGauge(s.url)).toEqual({ awake: 1, weights_offloaded: 0, discard_all: 0 });
    const inference = await post(`${s.url}/v1/completions`, completion());
    expect(inference.status).toBe(503);
    await inference.arrayBuffer();

    const again = await timedPost(`${s.url}/wake_up?tags=weights`);
    expect(again.ms).toBeLessThan(150);
    expect(logMessages(s, /not in sleeping tags/)).toEqual(["Tag weights is not in sleeping tags {'kv_cache'}"]);
    expect(await isSleeping(s.url)).toBe(true);

    const kv = await timedPost(`${s.url}/wake_up?tags=kv_cache`);
    expect(kv.ms).toBeGreaterThanOrEqual(75);
    expect(kv.ms).toBeLessThan(75 + SLACK_MS);
    expect(await isSleeping(s.url)).toBe(false);
    expect(s.sleepState()).toEqual({ isSleeping: false, level: 0, sleepingTags: [], transition: null });
    expect((await post(`${s.url}/v1/completions`, completion())).status).toBe(200);

    const woke = logMessages(s, /to wake up tags/);
    expect(woke.map((m) => m.replace(/\d+\.\d{6}/, 'X'))).toEqual(["It took X seconds to wake up tags ['weights'].", "It took X seconds to wake up tags ['kv_cache']."]);
    expect(tookSeconds(woke[0]!)).toBeGreaterThanOrEqual(2.25);
    expect(tookSeconds(woke[1]!)).toBeGreaterThanOrEqual(0.75);
    expect(logMessages(s, /^wake up the engine/)).toEqual(["wake up the engine with tags: ['weights']", "wake up the engine with tags: ['weights']", "wake up the engine with tags: ['kv_cache']"]);
  });

  it('both tags in one call, or none, wake everything in the full level-2 time', async () => {
    const s = await start();
    await timedPost(`${s.url}/sleep?level=2`);
    const both = await timedPost(`${s.url}/wake_up?tags=weights&tags=kv_cache`);
    expect(both.ms).toBeGreaterThanOrEqual(300);
    expect(both.ms).toBeLessThan(300 + SLACK_MS);
    expect(await isSleeping(s.url)).toBe(false);
    await timedPost(`${s.url}/sleep?level=2`);
    const all = await timedPost(`${s.url}/wake_up`);
    expect(all.ms).toBeGreaterThanOrEqual(300);
    expect(await isSleeping(s.url)).toBe(false);
  });
});

describe('inference and sleep', () => {
  it('answers 503 ModelSleepingError on both inference endpoints while asleep; other endpoints keep working', async () => {
    const log = join(tempDir(), 'chunks.jsonl');
    const s = await start({ chunk_log: log });
    await timedPost(`${s.url}/sleep`);
    for (const [path, body] of [
      ['/v1/completions', { ...completion(), stream: true }],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }],
    ] as const) {
      const res = await post(`${s.url}${path}`, body, { 'x-request-id': `asleep${path}` });
      expect(res.status).toBe(503);
      expect(await json(res)).toEqual({
        error: { message: 'Model is currently in sleep mode. Please wake it up first with a POST request to /wake_up', type: 'ModelSleepingError', param: null, code: 503 },
      });
    }
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect((await fetch(`${s.url}/v1/models`)).status).toBe(200);
    await timedPost(`${s.url}/wake_up`);
    expect((await json(await post(`${s.url}/v1/completions`, completion()))).usage.completion_tokens).toBe(4);
    await s.close();
    sim = undefined;
    expect(readChunkLog(log).filter((e) => e.request_id.startsWith('asleep')).map((e) => e.status)).toEqual([503, 503]);
  });

  it('sleeping_requests "serve" keeps serving while asleep (llm-d-inference-sim behaviour)', async () => {
    const s = await start({ sleeping_requests: 'serve' });
    await timedPost(`${s.url}/sleep`);
    expect(await isSleeping(s.url)).toBe(true);
    const res = await post(`${s.url}/v1/completions`, completion());
    expect(res.status).toBe(200);
    expect((await json(res)).usage.completion_tokens).toBe(4);
  });

  it('ends requests in flight when sleep starts with finish_reason "abort": running, queued and non-streaming', async () => {
    const log = join(tempDir(), 'chunks.jsonl');
    // 20 ms x 0.1 = 2 ms per token: 3000 tokens would take 6 s.
    const s = await start({ chunk_log: log, itl_ms: 20, max_num_seqs: 2, sleep_ms: 3000 });
    const long = { prompt: 'a b c', max_tokens: 3000, stream: true, stream_options: { include_usage: true } };
    const running = await post(`${s.url}/v1/completions`, long, { 'x-request-id': 'run' });
    const plain = post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }], max_tokens: 3000 }, { 'x-request-id': 'plain' });
    // Both slots taken before the third request arrives, so it queues.
    await until(async () => (await metric(s.url, 'vllm:num_requests_running')) === 2, 3000, 2);
    const queued = await post(`${s.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'y' }], max_tokens: 10, stream: true }, { 'x-request-id': 'queued' });
    expect(running.status).toBe(200);
    expect(queued.status).toBe(200);
    let received = 0;
    const runEvents = readEvents(running, (e) => void (received += contentEvents([e]).length));
    await until(() => received >= 5, 3000, 2);
    expect(await metric(s.url, 'vllm:num_requests_waiting')).toBe(1);

    const t0 = performance.now();
    const sl = await timedPost(`${s.url}/sleep`);
    expect(sl.status).toBe(200);
    const r = await runEvents;
    expect(r.bodyError).toBeNull();
    const last = r.events.at(-3)!.json;
    expect(last.choices[0].finish_reason).toBe('abort');
    const content = contentEvents(r.events);
    expect(content.length).toBeGreaterThanOrEqual(5);
    expect(content.length).toBeLessThan(3000);
    expect(r.events.at(-2)!.json.usage.completion_tokens).toBe(content.length);
    expect(r.events.at(-1)!.data).toBe('[DONE]');
    // Ended when the sleep started (the sleep itself takes 300 ms), not when it finished.
    expect(sl.ms).toBeGreaterThanOrEqual(300);
    expect(r.events.at(-1)!.atMs - t0).toBeLessThan(150);

    const q = await readEvents(queued);
    expect(q.bodyError).toBeNull();
    expect(q.events.map((e) => e.data === '[DONE]' ? '[DONE]' : [e.json.choices[0].delta, e.json.choices[0].finish_reason])).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ content: '' }, 'abort'],
      '[DONE]',
    ]);

    const p = await plain;
    expect(p.status).toBe(200);
    const pb = await json(p);
    expect(pb.choices[0].finish_reason).toBe('abort');
    expect(pb.usage.completion_tokens).toBeGreaterThan(0);
    expect(pb.usage.completion_tokens).toBeLessThan(3000);
    expect(pb.choices[0].message.content.split(' ').length - 1).toBe(pb.usage.completion_tokens);

    expect(await metric(s.url, 'vllm:num_requests_running')).toBe(0);
    expect(await metric(s.url, 'vllm:num_requests_waiting')).toBe(0);
    expect(await metric(s.url, 'vllm:request_success_total', 'finished_reason="abort"')).toBe(3);
    await s.close();
    sim = undefined;
    const entries = readChunkLog(log);
    for (const id of ['run', 'plain', 'queued']) expect(entries.find((e) => e.request_id === id), id).toMatchObject({ status: 200, finish_reason: 'abort', fault: null });
    expect(entries.find((e) => e.request_id === 'run')!.content_us).toHaveLength(content.length);
    expect(entries.find((e) => e.request_id === 'queued')!.content_us).toEqual([]);
  });

  it('clears the prefix cache: a prompt cached before the sleep is not after it', async () => {
    const s = await start({ block_size: 16 });
    const prompt = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
    const cached = async (): Promise<number> => (await json(await post(`${s.url}/v1/completions`, { prompt, max_tokens: 1 }))).usage.prompt_tokens_details.cached_tokens;
    expect(await cached()).toBe(0);
    expect(await cached()).toBeGreaterThanOrEqual(64);
    await timedPost(`${s.url}/sleep`);
    await timedPost(`${s.url}/wake_up`);
    expect(await cached()).toBe(0);
    expect(await cached()).toBeGreaterThanOrEqual(64);
  });
});

describe('shutdown during sleep', () => {
  it('close() in the middle of a sleep returns promptly and leaves no timer behind', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const s = await start({ sleep_ms: 20_000 });
    const call = fetch(`${s.url}/sleep`, { method: 'POST' }).then(
      (r) => r.status,
      () => 'failed',
    );
    await until(() => s.state === 'falling_asleep', 1000, 1);
    const t0 = performance.now();
    await s.close();
    sim = undefined;
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await call).toBe('failed');
    expect(s.state).toBe('closed');
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
  });
});

describe('POST /admin/config', () => {
  it('changes the sleep and wake durations of a running simulator, not whether the endpoints exist', async () => {
    const s = await start();
    const ok = await post(`${s.url}/admin/config`, { sleep_ms: 2000, sleeping_requests: 'serve' });
    expect(ok.status).toBe(200);
    expect(s.options).toMatchObject({ sleep_ms: 2000, sleeping_requests: 'serve' });
    const sl = await timedPost(`${s.url}/sleep`);
    expect(sl.ms).toBeGreaterThanOrEqual(200);
    const bad = await post(`${s.url}/admin/config`, { dev_mode: false });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toBe('admin/config: dev_mode: cannot be changed at runtime, got false');
  });
});
