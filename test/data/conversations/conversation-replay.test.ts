import { describe, expect, it } from 'vitest';
import { buildConversationReplayPlans, CONVERSATION_DEFAULTS, conversationRequest } from '../../../lib/data/conversations/conversation-replay.ts';
import type { ConversationReplayConfig } from '../../../lib/data/conversations/conversation-replay.ts';
import { DataError } from '../../../lib/data/data-error.ts';
import type { SessionPlan } from '../../../lib/data/sessions.ts';
import { getTokenizer } from '../../../lib/tokenizer/index.ts';
import type { TokenizerName } from '../../../lib/tokenizer/index.ts';

const BLUEPRINT: ConversationReplayConfig = {
  seed: 42,
  num_conversations: 6,
  shared_system_prompt_len: 50,
  dynamic_system_prompt_len: { type: 'uniform', min: 10, max: 30, mean: 20, std: 0 },
  turns_per_conversation: { type: 'uniform', min: 2, max: 6, mean: 4, std: 0 },
  input_tokens_per_turn: { type: 'lognormal', min: 5, max: 40, mean: 15, std: 8 },
  output_tokens_per_turn: { type: 'normal', min: 3, max: 30, mean: 12, std: 6 },
  tool_call_latency_sec: { type: 'uniform', min: 1, max: 4, mean: 2, std: 0 },
};

async function plans(name: TokenizerName, over: Partial<ConversationReplayConfig> = {}): Promise<SessionPlan[]> {
  const tok = await getTokenizer(name);
  return buildConversationReplayPlans({ ...BLUEPRINT, ...over }, tok, { name, kind: tok.kind, exact: false });
}

describe.each<TokenizerName>(['qwen3', 'words'])('conversation_replay, %s tokenizer', (name) => {
  it('num_conversations sessions conv_<c>; system = shared prefix identical for all, then a per-conversation part, exact lengths', async () => {
    const tok = await getTokenizer(name);
    const all = await plans(name);
    expect(all.map((p) => p.id)).toEqual(['conv_0', 'conv_1', 'conv_2', 'conv_3', 'conv_4', 'conv_5']);
    const prefix = tok.encode(all[0]!.system).slice(0, 50);
    for (const p of all) {
      expect(tok.encode(p.system).slice(0, 50)).toEqual(prefix);
      expect(p.systemTokens).toBe(tok.count(p.system));
      expect(p.systemTokens).toBeGreaterThanOrEqual(50 + 10);
      expect(p.systemTokens).toBeLessThanOrEqual(50 + 30);
      expect(p.cell).toBe('conversation_replay');
    }
    expect(new Set(all.map((p) => p.system)).size).toBe(6);
  });

  it('turn counts, per-turn input and output lengths follow the blueprint, lengths exact by the tokenizer', async () => {
    const tok = await getTokenizer(name);
    const all = await plans(name);
    for (const p of all) {
      expect(p.turns.length).toBeGreaterThanOrEqual(2);
      expect(p.turns.length).toBeLessThanOrEqual(6);
      for (const t of p.turns) {
        expect(tok.count(t.text)).toBe(t.tokens);
        expect(t.tokens).toBeGreaterThanOrEqual(5);
        expect(t.tokens).toBeLessThanOrEqual(40);
        expect(t.maxTokens).toBeGreaterThanOrEqual(3);
        expect(t.maxTokens).toBeLessThanOrEqual(30);
      }
    }
    expect(new Set(all.map((p) => p.turns.length)).size).toBeGreaterThan(1);
    expect(new Set(all.flatMap((p) => p.turns.map((t) => t.tokens))).size).toBeGreaterThan(3);
  });
});

describe('conversation_replay seeds, defaults and think times', () => {
  it('same seed, same plans; another seed, other plans', async () => {
    const a = await plans('words');
    expect(await plans('words')).toEqual(a);
    const b = await plans('words', { seed: 43 });
    expect(b[0]!.system).not.toBe(a[0]!.system);
    expect(b.map((p) => p.turns.length)).not.toEqual(a.map((p) => p.turns.length));
  });

  it('tool call latency of turn k is the think time before turn k + 1; none before the first turn', async () => {
    for (const p of await plans('words')) {
      expect(p.turns[0]!.thinkS).toBe(0);
      for (const t of p.turns.slice(1)) expect([1, 2, 3, 4]).toContain(t.thinkS);
    }
    for (const p of await plans('words', { tool_call_latency_sec: undefined })) expect(p.turns.every((t) => t.thinkS === 0)).toBe(true);
  });

  it("distributions left out take inference-perf's fallbacks: 10 turns of 512 tokens, max_tokens 256, no dynamic part", async () => {
    const tok = await getTokenizer('words');
    const all = await plans('words', { num_conversations: 2, dynamic_system_prompt_len: undefined, turns_per_conversation: undefined, input_tokens_per_turn: undefined, output_tokens_per_turn: undefined });
    expect(all[0]!.system).toBe(all[1]!.system);
    expect(tok.count(all[0]!.system)).toBe(50);
    for (const p of all) {
      expect(p.turns).toHaveLength(CONVERSATION_DEFAULTS.turns);
      expect(p.turns.every((t) => t.tokens === 512 && t.maxTokens === 256 && tok.count(t.text) === 512)).toBe(true);
    }
  });

  it('refuses a bad value, naming its path', async () => {
    await expect(plans('words', { num_conversations: 0 })).rejects.toThrow(/data\.conversation_replay\.num_conversations/);
    await expect(plans('words', { turns_per_conversation: { type: 'normal', min: 0, max: 3, mean: 2, std: 1 } })).rejects.toBeInstanceOf(DataError);
  });

  it('requests map to slots as the closed loop does: a finished conversation starts over as slot_<c>_convo_<k>', async () => {
    const all = await plans('words', { num_conversations: 2, turns_per_conversation: undefined });
    const seq = Array.from({ length: 42 }, (_, i) => conversationRequest(i, all));
    expect(seq.slice(0, 4)).toEqual([
      { conversation: 0, turn: 0, session: 'conv_0' },
      { conversation: 1, turn: 0, session: 'conv_1' },
      { conversation: 0, turn: 1, session: 'conv_0' },
      { conversation: 1, turn: 1, session: 'conv_1' },
    ]);
    expect(seq[20]).toEqual({ conversation: 0, turn: 0, session: 'slot_0_convo_1' });
    expect(seq[41]).toEqual({ conversation: 1, turn: 0, session: 'slot_1_convo_2' });
  });
});
