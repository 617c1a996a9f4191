import { describe, expect, test } from 'vitest';
import { API_ADAPTERS, BACKEND_CAPABILITIES, capabilitiesFor, emptyChunkFields, readUsage } from '../../lib/apis/index.ts';

const req = { model: 'm', prompt: 'hi', maxTokens: 5, stream: true };
const body = (api: 'completions' | 'chat', backend: string, over: object = {}, caps = {}): unknown =>
  JSON.parse(API_ADAPTERS[api].body({ ...req, ...over }, capabilitiesFor(backend, caps)));

describe('request bodies per backend', () => {
  test('vLLM: ignore_eos and continuous usage on a stream', () => {
    expect(body('completions', 'vllm')).toEqual({
      model: 'm',
      max_tokens: 5,
      stream: true,
      ignore_eos: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
      prompt: 'hi',
    });
    expect(body('chat', 'llm-d')).toEqual({
      model: 'm',
      max_tokens: 5,
      stream: true,
      ignore_eos: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  test('no stream_options without streaming', () => {
    expect(body('completions', 'vllm', { stream: false })).toEqual({ model: 'm', max_tokens: 5, stream: false, ignore_eos: true, prompt: 'hi' });
  });

  test('OpenAI: no ignore_eos, no continuous usage, max_completion_tokens on chat but max_tokens on legacy completions', () => {
    expect(body('chat', 'openai')).toEqual({
      model: 'm',
      max_completion_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(body('completions', 'openai')).toEqual({ model: 'm', max_tokens: 5, stream: true, stream_options: { include_usage: true }, prompt: 'hi' });
  });

  test('overrides win over the backend, unknown backends get the conservative set', () => {
    expect(body('completions', 'vllm', {}, { include_usage: false, ignore_eos: false })).toEqual({ model: 'm', max_tokens: 5, stream: true, prompt: 'hi' });
    expect(capabilitiesFor('something-new')).toEqual(BACKEND_CAPABILITIES.other);
    expect(BACKEND_CAPABILITIES.other).toEqual({ ignore_eos: false, include_usage: true, continuous_usage_stats: false, max_tokens_field: 'max_tokens' });
  });
});

describe('reading chunks', () => {
  test('completions: text, finish reason and usage with cached tokens', () => {
    const f = emptyChunkFields();
    const ok = API_ADAPTERS.completions.read(
      { choices: [{ text: ' a', finish_reason: 'length' }], usage: { prompt_tokens: 9, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 8 } } },
      f,
      false,
    );
    expect(ok).toBe(true);
    expect(f).toEqual({ text: ' a', finishReason: 'length', usage: { promptTokens: 9, completionTokens: 3, cachedTokens: 8 }, choice: true });
  });

  test('the usage-only final chunk (choices: []) resets text and finish reason', () => {
    const f = { text: 'old', finishReason: 'length', usage: null, choice: true };
    expect(API_ADAPTERS.chat.read({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } }, f, false)).toBe(true);
    expect(f).toEqual({ text: '', finishReason: null, usage: { promptTokens: 1, completionTokens: 2, cachedTokens: null }, choice: false });
  });

  test('chat: a role-only delta has no text; reasoning text counts as output, before the content', () => {
    const f = emptyChunkFields();
    API_ADAPTERS.chat.read({ choices: [{ delta: { role: 'assistant', content: '' }, finish_reason: null }] }, f, false);
    expect(f.text).toBe('');
    API_ADAPTERS.chat.read({ choices: [{ delta: { reasoning_content: 'think', content: null } }] }, f, false);
    expect(f.text).toBe('think');
    API_ADAPTERS.chat.read({ choices: [{ delta: { reasoning: 'r', content: 'c' } }] }, f, false);
    expect(f.text).toBe('rc');
    API_ADAPTERS.chat.read({ choices: [{ message: { content: 'whole' }, finish_reason: 'stop' }] }, f, true);
    expect(f).toMatchObject({ text: 'whole', finishReason: 'stop' });
  });

  test('anything without a choices array is not a chunk (the exchange then classifies it)', () => {
    for (const json of [null, 'x', 3, {}, { error: { message: 'boom' } }, { choices: 'no' }]) {
      expect(API_ADAPTERS.completions.read(json, emptyChunkFields(), false)).toBe(false);
      expect(API_ADAPTERS.chat.read(json, emptyChunkFields(), false)).toBe(false);
    }
  });

  test('readUsage needs both counts as numbers', () => {
    expect(readUsage({ prompt_tokens: 1 })).toBeNull();
    expect(readUsage({ prompt_tokens: '1', completion_tokens: 2 })).toBeNull();
    expect(readUsage({ prompt_tokens: 1, completion_tokens: 2, prompt_tokens_details: null })).toEqual({ promptTokens: 1, completionTokens: 2, cachedTokens: null });
  });
});
