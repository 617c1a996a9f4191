import { describe, expect, it } from 'vitest';
import { buildMultiTurnSharedPrefixPlans, multiTurnRequest, userOrder } from '../../../lib/data/conversations/multi-turn-shared-prefix.ts';
import { DataError } from '../../../lib/data/data-error.ts';
import type { SharedPrefixDataConfig } from '../../../lib/data/shared-prefix.ts';
import type { SessionPlan } from '../../../lib/data/sessions.ts';
import { getTokenizer } from '../../../lib/tokenizer/index.ts';
import type { TokenizerName } from '../../../lib/tokenizer/index.ts';

const CONFIG: SharedPrefixDataConfig = { type: 'shared_prefix', num_groups: 3, num_prompts_per_group: 4, system_prompt_len: 60, question_len: 11, output_len: 7, seed: 9 };

async function plans(name: TokenizerName, over: Partial<SharedPrefixDataConfig> = {}, rounds = 3): Promise<SessionPlan[]> {
  const tok = await getTokenizer(name);
  return buildMultiTurnSharedPrefixPlans({ ...CONFIG, ...over }, tok, { name, kind: tok.kind, exact: false }, { rounds });
}

/** Group of a plan, from inference-perf's session id `user_session_<per_group * group + prompt>`. */
const groupOf = (p: SessionPlan, perGroup: number) => Math.floor(Number(p.id.replace('user_session_', '')) / perGroup);

describe.each<TokenizerName>(['qwen3', 'words'])('multi-turn shared_prefix, %s tokenizer', (name) => {
  it('one session per user: num_groups * num_prompts_per_group, ids as inference-perf names them', async () => {
    const all = await plans(name);
    expect(all).toHaveLength(12);
    expect(new Set(all.map((p) => p.id))).toEqual(new Set(Array.from({ length: 12 }, (_, u) => `user_session_${u}`)));
  });

  it("within a group every session's system prompt is identical and exactly system_prompt_len tokens; groups differ", async () => {
    const tok = await getTokenizer(name);
    const all = await plans(name);
    const byGroup = new Map<number, Set<string>>();
    for (const p of all) {
      expect(tok.count(p.system)).toBe(60);
      expect(p.systemTokens).toBe(60);
      byGroup.set(groupOf(p, 4), (byGroup.get(groupOf(p, 4)) ?? new Set()).add(p.system));
    }
    expect([...byGroup.values()].map((s) => s.size)).toEqual([1, 1, 1]);
    expect(new Set([...byGroup.values()].map((s) => [...s][0])).size).toBe(3);
  });

  it("each turn resends the user's prompt: its group's system prompt, a space and its question, exactly system + question tokens", async () => {
    const tok = await getTokenizer(name);
    const all = await plans(name, {}, 4);
    for (const p of all) {
      expect(p.turns).toHaveLength(4);
      for (const t of p.turns) {
        expect(t.text.startsWith(`${p.system} `)).toBe(true);
        expect(tok.count(t.text)).toBe(71);
        expect(t).toMatchObject({ tokens: 71, maxTokens: 7, thinkS: 0 });
        expect(t.text).toBe(p.turns[0]!.text);
      }
    }
    // Users of one group ask different questions.
    expect(new Set(all.map((p) => p.turns[0]!.text)).size).toBe(12);
  });

  it('a length distribution is drawn per group (system) and per user (question, output), within its bounds', async () => {
    const tok = await getTokenizer(name);
    const all = await plans(name, { system_prompt_len: { type: 'uniform', min: 20, max: 80, mean: 50, std: 0 }, output_len: { type: 'uniform', min: 5, max: 50, mean: 20, std: 0 } });
    const systems = new Map(all.map((p) => [groupOf(p, 4), p.systemTokens]));
    expect(systems.size).toBe(3);
    for (const p of all) {
      expect(p.systemTokens).toBe(systems.get(groupOf(p, 4)));
      expect(tok.count(p.turns[0]!.text)).toBe(p.systemTokens + 11);
      expect(p.turns[0]!.maxTokens).toBeGreaterThanOrEqual(5);
      expect(p.turns[0]!.maxTokens).toBeLessThanOrEqual(50);
    }
    expect(new Set(all.map((p) => p.turns[0]!.maxTokens)).size).toBeGreaterThan(1);
  });
});

describe('multi-turn shared_prefix ordering and seeds', () => {
  it('users are shuffled by the seed; request i is round i div users of plan i mod users', async () => {
    const a = await plans('words');
    const again = await plans('words');
    const other = await plans('words', { seed: 10 });
    expect(again).toEqual(a);
    expect(other.map((p) => p.id)).not.toEqual(a.map((p) => p.id));
    expect(other[0]!.system).not.toBe(a[0]!.system);
    expect(a.map((p) => p.id)).toEqual(userOrder(12, 9).map((u) => `user_session_${u}`));
    expect([...userOrder(12, 9)].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(multiTurnRequest(0, 12)).toEqual({ plan: 0, turn: 0 });
    expect(multiTurnRequest(13, 12)).toEqual({ plan: 1, turn: 1 });
    expect(multiTurnRequest(35, 12)).toEqual({ plan: 11, turn: 2 });
  });

  it('refuses a round count below 1', async () => {
    await expect(plans('words', {}, 0)).rejects.toBeInstanceOf(DataError);
  });
});
