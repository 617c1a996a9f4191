import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../server.ts';
import { contentEvents, getJson, json, post, postJson, stream } from './sim-client.ts';

const COMPLETION_CHOICE_KEYS = ['index', 'text', 'logprobs', 'finish_reason', 'stop_reason', 'prompt_token_ids', 'token_ids'];
const CHAT_CHOICE_KEYS = ['index', 'delta', 'logprobs', 'finish_reason', 'token_ids'];
const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

let sim: SimServer;
let url: string;
beforeAll(async () => {
  sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words', max_model_len: 256, models: ['m1', 'm1-alias'], pod_name: 'pod-7' });
  url = sim.url;
});
afterAll(() => sim.close());

describe('POST /v1/completions, streaming', () => {
  it('sends vLLM chunks then [DONE], with the request id and pod headers', async () => {
    const r = await stream(`${url}/v1/completions`, { model: 'm1', prompt: 'one two three', max_tokens: 5, stream: true }, { 'x-request-id': 'req-1' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(r.headers.get('x-request-id')).toBe('req-1');
    expect(r.headers.get('x-inference-pod')).toBe('pod-7');
    expect(r.bodyError).toBeNull();
    expect(r.events.at(-1)!.data).toBe('[DONE]');
    const chunks = r.events.slice(0, -1);
    expect(chunks).toHaveLength(5);
    for (const [i, e] of chunks.entries()) {
      expect(Object.keys(e.json)).toEqual(['id', 'object', 'created', 'model', 'choices']);
      expect(e.json).toMatchObject({ id: 'cmpl-req-1', object: 'text_completion', model: 'm1' });
      expect(Object.keys(e.json.choices[0])).toEqual(COMPLETION_CHOICE_KEYS);
      expect(e.json.choices[0].finish_reason).toBe(i === 4 ? 'length' : null);
      expect(words(e.json.choices[0].text)).toBe(1);
    }
  });

  it('adds the usage-only chunk with include_usage, and usage on every chunk with continuous_usage_stats', async () => {
    const plain = await stream(`${url}/v1/completions`, { prompt: 'one two three', max_tokens: 4, stream: true, stream_options: { include_usage: true } });
    const usage = plain.events.at(-2)!.json;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 3, total_tokens: 7, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 0 } });
    expect(plain.events.slice(0, -2).every((e) => e.json.usage === undefined)).toBe(true);

    const cont = await stream(`${url}/v1/completions`, { prompt: 'one two three', max_tokens: 4, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } });
    expect(cont.events.slice(0, 4).map((e) => e.json.usage)).toEqual([1, 2, 3, 4].map((c) => ({ prompt_tokens: 3, total_tokens: 3 + c, completion_tokens: c })));
    // vLLM ignores continuous_usage_stats unless include_usage is set.
    const notIncluded = await stream(`${url}/v1/completions`, { prompt: 'a', max_tokens: 2, stream: true, stream_options: { continuous_usage_stats: true } });
    expect(notIncluded.events.every((e) => e.json?.usage === undefined)).toBe(true);
  });
});

describe('POST /v1/chat/completions, streaming', () => {
  it('starts with the assistant role chunk, then content deltas', async () => {
    const r = await stream(`${url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hello there' }], max_tokens: 3, stream: true, stream_options: { include_usage: true } }, { 'x-request-id': 'c1' });
    const [role, ...rest] = r.events;
    expect(role!.json.choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
    expect(role!.json).toMatchObject({ id: 'chatcmpl-c1', object: 'chat.completion.chunk', model: 'm1' });
    const content = rest.slice(0, 3);
    expect(Object.keys(content[0]!.json.choices[0])).toEqual(CHAT_CHOICE_KEYS);
    expect(content[0]!.json.choices[0].delta).toEqual({ content: expect.stringMatching(/^ [a-z]+$/) });
    expect(Object.keys(content[2]!.json.choices[0])).toEqual(['index', 'delta', 'logprobs', 'finish_reason', 'stop_reason', 'token_ids']);
    expect(content[2]!.json.choices[0]).toMatchObject({ finish_reason: 'length', stop_reason: null });
    expect(contentEvents(r.events)).toHaveLength(3);
    expect(rest[3]!.json.usage.completion_tokens).toBe(3);
    expect(rest[4]!.data).toBe('[DONE]');
  });
});

describe('non-streaming responses', () => {
  it('return a completion whose text has completion_tokens tokens', async () => {
    const res = await post(`${url}/v1/completions`, { prompt: ['one two three four'], max_tokens: 7 });
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = await json(res);
    expect(body).toMatchObject({ object: 'text_completion', model: 'm1', usage: { prompt_tokens: 4, completion_tokens: 7, total_tokens: 11 } });
    expect(body.choices[0]).toMatchObject({ index: 0, finish_reason: 'length', stop_reason: null, logprobs: null });
    expect(words(body.choices[0].text)).toBe(7);
  });

  it('return a chat completion with the assistant message', async () => {
    const body = await postJson(`${url}/v1/chat/completions`, { model: 'm1-alias', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 2 });
    expect(body).toMatchObject({ object: 'chat.completion', model: 'm1-alias', usage: { completion_tokens: 2 } });
    expect(body.choices[0].message.role).toBe('assistant');
    expect(words(body.choices[0].message.content)).toBe(2);
  });
});

describe('request forms and defaults', () => {
  it('accepts a string, a one-string list and token ids as the prompt', async () => {
    const usage = async (prompt: unknown) => (await postJson(`${url}/v1/completions`, { prompt, max_tokens: 1 })).usage.prompt_tokens;
    expect(await usage('a b c')).toBe(3);
    expect(await usage(['a b c d'])).toBe(4);
    expect(await usage([5, 6, 7, 8, 9])).toBe(5);
    expect(await usage([[5, 6]])).toBe(2);
  });

  it('defaults max_tokens to 16 for completions and to max_model_len - prompt for chat', async () => {
    const c = await postJson(`${url}/v1/completions`, { prompt: 'a' });
    expect(c.usage.completion_tokens).toBe(16);
    const chat = await postJson(`${url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'a b' }] });
    expect(chat.usage.prompt_tokens + chat.usage.completion_tokens).toBe(256);
  });
});

describe('validation errors, in vLLM error JSON', () => {
  const cases: Array<[string, unknown, number, string, string | null]> = [
    ['unknown model', { model: 'other', prompt: 'a' }, 404, 'The model `other` does not exist.', 'model'],
    ['n > 1', { prompt: 'a', n: 2 }, 400, 'The simulator supports n=1 only.', 'n'],
    ['stream_options without stream', { prompt: 'a', stream_options: { include_usage: true } }, 400, 'Stream options can only be defined when `stream=True`.', 'stream_options'],
    ['missing prompt', { max_tokens: 3 }, 400, 'Either prompt or prompt_embeds must be provided and non-empty.', 'prompt'],
    ['max_tokens 0', { prompt: 'a', max_tokens: 0 }, 400, 'max_tokens must be at least 1, got 0.', 'max_tokens'],
    [
      'context overflow',
      { prompt: 'a b c', max_tokens: 254 },
      400,
      "'max_tokens' or 'max_completion_tokens' is too large: 254. This model's maximum context length is 256 tokens and your request has 3 input tokens (254 > 256 - 3).",
      'max_tokens',
    ],
  ];
  for (const [name, body, status, message, param] of cases) {
    it(name, async () => {
      const res = await post(`${url}/v1/completions`, body);
      expect(res.status).toBe(status);
      expect((await json(res)).error).toEqual({ message, type: status === 404 ? 'NotFoundError' : 'BadRequestError', param, code: status });
    });
  }

  it('bad JSON and a batch of prompts are 400s', async () => {
    const bad = await post(`${url}/v1/completions`, '{"prompt": ');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe(400);
    const batch = await post(`${url}/v1/completions`, { prompt: ['a', 'b'] });
    expect(batch.status).toBe(400);
  });
});

describe('operational endpoints', () => {
  it('serves /health, /v1/models, /version and FastAPI-style 404/405', async () => {
    const health = await fetch(`${url}/health`);
    expect([health.status, await health.text()]).toEqual([200, '']);
    const models = await getJson(`${url}/v1/models`);
    expect(models.object).toBe('list');
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(['m1', 'm1-alias']);
    expect(models.data[0]).toMatchObject({ object: 'model', owned_by: 'vllm', root: 'm1', parent: null, max_model_len: 256 });
    expect((await getJson(`${url}/version`)).version).toMatch(/^\d+\.\d+\.\d+/);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/v1/completions`)).status).toBe(405);
  });
});
