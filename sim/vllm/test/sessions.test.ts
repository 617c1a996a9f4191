import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../server.ts';
import { contentEvents, metric, postJson, stream } from './sim-client.ts';

/*
 * Multi-turn sessions over loopback: turn k's prompt is turn k-1's prompt, its response and a new
 * message, so it hits the prefix cache for the full blocks of all of it (vLLM caches the blocks of
 * generated tokens too); prefill time follows the uncached tokens; and sessions compete for a
 * bounded LRU of KV blocks.
 */

const BS = 16;
const words = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
/** Cached tokens vLLM reports when turn k-1 left `p + c` tokens (its last token never computed) and turn k has `pk`. */
const expectedCached = (p: number, c: number, pk: number): number => Math.floor(Math.min(p + c - 1, pk - 1) / BS) * BS;

type Msg = { role: string; content: string };

/** Runs a chat session of `turns` turns and returns each turn's usage. */
async function chatSession(url: string, id: string, system: string, turns: number, maxTokens = 30): Promise<Array<{ prompt: number; completion: number; cached: number }>> {
  const messages: Msg[] = [{ role: 'system', content: system }];
  const out: Array<{ prompt: number; completion: number; cached: number }> = [];
  for (let k = 0; k < turns; k++) {
    messages.push({ role: 'user', content: words(`${id}u${k}x`, 20) });
    const r = await postJson(`${url}/v1/chat/completions`, { messages, max_tokens: maxTokens, ignore_eos: true }, { 'x-session-id': id });
    messages.push({ role: 'assistant', content: r.choices[0].message.content });
    out.push({ prompt: r.usage.prompt_tokens, completion: r.usage.completion_tokens, cached: r.usage.prompt_tokens_details.cached_tokens });
  }
  return out;
}

describe.each(['words', 'qwen3'] as const)('multi-turn prefix caching (%s tokenizer)', (tokenizer) => {
  let sim: SimServer;
  beforeAll(async () => {
    sim = await startSimServer({ profile: 'test-fast', tokenizer, itl_ms: 0.05, block_size: BS, kv_cache_blocks: 4096 });
  });
  afterAll(() => sim.close());

  it("chat: turn k hits the full blocks of turn k-1's prompt and response", async () => {
    const turns = await chatSession(sim.url, 'chat', words('sys', 40), 4);
    expect(turns[0]!.cached).toBe(0);
    for (let k = 1; k < turns.length; k++) {
      const prev = turns[k - 1]!;
      const cur = turns[k]!;
      // The conversation is tokenized whole: it grows by the response and the new message.
      expect(cur.prompt).toBeGreaterThan(prev.prompt + prev.completion);
      expect(cur.cached).toBe(expectedCached(prev.prompt, prev.completion, cur.prompt));
      // The response's blocks hit too, not only the previous prompt's.
      expect(cur.cached).toBeGreaterThan(Math.floor((prev.prompt - 1) / BS) * BS);
    }
  });

  it('completions: a prompt that grows by the response and a new part hits the same way', async () => {
    let prompt = words('cmp', 50);
    let prev: { prompt: number; completion: number } | null = null;
    for (let k = 0; k < 3; k++) {
      const r = await postJson(`${sim.url}/v1/completions`, { prompt, max_tokens: 25, ignore_eos: true }, { 'x-session-id': 'cmp' });
      const cached = r.usage.prompt_tokens_details.cached_tokens;
      if (prev) expect(cached).toBe(expectedCached(prev.prompt, prev.completion, r.usage.prompt_tokens));
      else expect(cached).toBe(0);
      prev = { prompt: r.usage.prompt_tokens, completion: r.usage.completion_tokens };
      prompt += `${r.choices[0].text} ${words(`cmp${k}n`, 10)}`;
    }
  });
});

describe('prefill time and KV capacity', () => {
  it('prefills only the uncached tokens, so TTFT falls after the first turn', async () => {
    // 3,000 system tokens at 0.03 ms each: 90 ms of prefill on turn 1, about 2 ms after it.
    const sim = await startSimServer({ tokenizer: 'words', prefill_overhead_ms: 0, prefill_per_token_ms: 0.03, ttft_std_ms: 0, itl_ms: 0.05, itl_std_ms: 0, block_size: BS });
    try {
      const messages: Msg[] = [{ role: 'system', content: words('long', 3000) }];
      const ttft: number[] = [];
      for (let k = 0; k < 4; k++) {
        messages.push({ role: 'user', content: words(`t${k}x`, 20) });
        const r = await stream(`${sim.url}/v1/chat/completions`, { messages, max_tokens: 8, ignore_eos: true, stream: true }, { 'x-session-id': 'ttft' });
        expect(r.status).toBe(200);
        const first = contentEvents(r.events)[0]!;
        ttft.push(first.atMs - r.sentMs);
        messages.push({ role: 'assistant', content: contentEvents(r.events).map((e) => e.json.choices[0].delta.content).join('') });
      }
      // Turn 1 cannot be faster than its modeled prefill; later turns prefill a few dozen tokens.
      expect(ttft[0]).toBeGreaterThanOrEqual(85);
      for (const t of ttft.slice(1)) expect(t).toBeLessThan(ttft[0]! / 2);
    } finally {
      await sim.close();
    }
  });

  it('many interleaved sessions under a small KV capacity evict LRU blocks; few do not', async () => {
    // 64 blocks of 16 tokens. One session's turn 1 leaves about 8 blocks (~70 prompt + 30 output tokens).
    const sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words', itl_ms: 0.05, block_size: BS, kv_cache_blocks: 64 });
    try {
      /** Round-robin turns over `n` sessions; the cached tokens of each session's turn 2. */
      const interleaved = async (tag: string, n: number): Promise<number[]> => {
        const convs = Array.from({ length: n }, (_, i) => [{ role: 'system', content: words(`${tag}${i}s`, 50) }] as Msg[]);
        const cached: number[] = [];
        for (let k = 0; k < 2; k++) {
          for (const [i, messages] of convs.entries()) {
            messages.push({ role: 'user', content: words(`${tag}${i}u${k}x`, 20) });
            const r = await postJson(`${sim.url}/v1/chat/completions`, { messages, max_tokens: 30, ignore_eos: true }, { 'x-session-id': `${tag}${i}` });
            messages.push({ role: 'assistant', content: r.choices[0].message.content });
            if (k === 1) cached.push(r.usage.prompt_tokens_details.cached_tokens);
          }
        }
        return cached;
      };
      // Two sessions (~16 blocks) fit: every second turn hits its first turn's blocks.
      for (const c of await interleaved('few', 2)) expect(c).toBeGreaterThanOrEqual(80);
      // Twelve sessions (~96 blocks) do not: by the time a session's second turn comes, its blocks
      // were evicted by the sessions after it, least recently used first.
      const many = await interleaved('many', 12);
      expect(many.slice(0, 6).every((c) => c === 0)).toBe(true);
      // The server's counters (vLLM's names, in tokens) saw the same hits.
      const hits = await metric(sim.url, 'vllm:prefix_cache_hits_total');
      expect(hits).toBeGreaterThanOrEqual(160);
    } finally {
      await sim.close();
    }
  });
});
