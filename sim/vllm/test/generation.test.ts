import { afterEach, describe, expect, it } from 'vitest';
import { renderChatML } from '../prompt.ts';
import { startSimServer, type SimServer } from '../server.ts';
import { getTokenizer } from '../../../lib/tokenizer/index.ts';
import { contentEvents, post, postJson, stream } from './sim-client.ts';

const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;
const textOf = (e: { json: any }): string => e.json.choices[0].text ?? e.json.choices[0].delta.content;

let sim: SimServer | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('output tokens', () => {
  it('tokens_per_chunk sends the first token alone, then chunks of k, the last one shorter', async () => {
    sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words', tokens_per_chunk: 3 });
    const r = await stream(`${sim.url}/v1/completions`, { prompt: 'a', max_tokens: 9, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } });
    const chunks = contentEvents(r.events);
    expect(chunks.map((e) => words(textOf(e)))).toEqual([1, 3, 3, 2]);
    expect(chunks.map((e) => e.json.usage.completion_tokens)).toEqual([1, 4, 7, 9]);
    expect(chunks.at(-1)!.json.choices[0].finish_reason).toBe('length');
  });

  it('eos_probability stops early with finish_reason stop, unless the request sets ignore_eos', async () => {
    sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words', eos_probability: 0.2 });
    const results = await Promise.all(Array.from({ length: 20 }, async () => (await postJson(`${sim!.url}/v1/completions`, { prompt: 'a', max_tokens: 200 })).choices[0]));
    expect(results.every((c) => c.finish_reason === 'stop' && words(c.text) < 200)).toBe(true);
    const ignored = await postJson(`${sim.url}/v1/completions`, { prompt: 'a', max_tokens: 200, ignore_eos: true });
    expect(ignored.choices[0].finish_reason).toBe('length');
    expect(ignored.usage.completion_tokens).toBe(200);
  });

  it('is deterministic for a seed: the n-th request of two runs gets the same text', async () => {
    const texts = async (seed: number): Promise<string[]> => {
      const s = await startSimServer({ profile: 'test-fast', tokenizer: 'words', seed });
      const out: string[] = [];
      for (let i = 0; i < 3; i++) out.push((await postJson(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 6 })).choices[0].text);
      await s.close();
      return out;
    };
    const a = await texts(7);
    expect(await texts(7)).toEqual(a);
    expect(await texts(8)).not.toEqual(a);
    expect(new Set(a).size).toBe(3);
  });
});

describe('the qwen3 tokenizer', () => {
  it('counts chat prompts through ChatML and generates single Qwen3 tokens', async () => {
    sim = await startSimServer({ profile: 'test-fast' });
    const tok = await getTokenizer('qwen3');
    const messages = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Name three rivers in Europe, please.' },
    ];
    const body = await postJson(`${sim.url}/v1/chat/completions`, { messages, max_tokens: 12 });
    expect(body.usage.prompt_tokens).toBe(tok.encode(renderChatML(messages)).length);
    expect(renderChatML(messages)).toBe('<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nName three rivers in Europe, please.<|im_end|>\n<|im_start|>assistant\n');
    const text: string = body.choices[0].message.content;
    expect(text).toMatch(/^( [a-z]{2,12}){12}$/);
    expect(tok.count(text)).toBe(12);
    const completion = await postJson(`${sim.url}/v1/completions`, { prompt: 'The capital of France is', max_tokens: 1 });
    expect(completion.usage.prompt_tokens).toBe(tok.count('The capital of France is'));
  });
});
