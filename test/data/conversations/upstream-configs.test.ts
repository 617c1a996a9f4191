import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildConversationReplayPlans } from '../../../lib/data/conversations/conversation-replay.ts';
import { buildMultiTurnSharedPrefixPlans } from '../../../lib/data/conversations/multi-turn-shared-prefix.ts';
import { readOTelTraceFile } from '../../../lib/data/conversations/otel-trace.ts';
import {
  ConversationReplaySchema,
  DistributionSchema,
  OTelTraceReplaySchema,
  SharedPrefixBlockSchema,
  sharedPrefixDataConfig,
  WekaTraceReplaySchema,
} from '../../../lib/data/conversations/schema.ts';
import { getTokenizer } from '../../../lib/tokenizer/index.ts';

const UPSTREAM = new URL('./upstream/', import.meta.url).pathname;
const data = (file: string) => (parse(readFileSync(`${UPSTREAM}${file}`, 'utf8')) as { data: Record<string, unknown> }).data;
const WORDS = { name: 'words', kind: 'stand-in', exact: false } as const;

describe("inference-perf's example configs, through the schema fragments", () => {
  it('examples/vllm/config-shared-prefix-multi-turn.yml: 2 groups x 10 users, system 100, turns 100 + 50 tokens, output 50', async () => {
    const d = data('shared-prefix-multi-turn.yml');
    expect(d.type).toBe('shared_prefix');
    const block = SharedPrefixBlockSchema.parse(d.shared_prefix);
    expect(block.enable_multi_turn_chat).toBe(true);
    const config = sharedPrefixDataConfig(block, 7);
    expect(config).toMatchObject({ num_groups: 2, num_prompts_per_group: 10, system_prompt_len: 100, question_len: 50, output_len: 50, seed: 7 });
    const tok = await getTokenizer('qwen3');
    const plans = await buildMultiTurnSharedPrefixPlans(config, tok, { name: 'qwen3', kind: tok.kind, exact: true }, { rounds: 2 });
    expect(plans).toHaveLength(20);
    expect(new Set(plans.map((p) => p.system)).size).toBe(2);
    for (const p of plans) {
      expect(tok.count(p.system)).toBe(100);
      expect(p.turns).toHaveLength(2);
      for (const t of p.turns) expect([tok.count(t.text), t.maxTokens]).toEqual([150, 50]);
    }
  });

  it('workload-catalog/interactive-chat: 50 blueprints whose turns, lengths and tool latencies stay in the configured bounds', async () => {
    const d = data('conversation-replay-interactive-chat.yaml');
    expect(d.type).toBe('conversation_replay');
    const c = ConversationReplaySchema.parse(d.conversation_replay);
    expect(c).toMatchObject({ seed: 42, num_conversations: 50, shared_system_prompt_len: 1000 });
    expect(c.turns_per_conversation).toEqual({ type: 'lognormal', min: 1, max: 15, mean: 4, std: 2.5, skew: 0 });
    const tok = await getTokenizer('words');
    const plans = await buildConversationReplayPlans(c, tok, WORDS);
    expect(plans).toHaveLength(50);
    for (const p of plans) {
      expect(p.systemTokens).toBeGreaterThanOrEqual(1000 + 500);
      expect(p.systemTokens).toBeLessThanOrEqual(1000 + 15000);
      expect(p.turns.length).toBeGreaterThanOrEqual(1);
      expect(p.turns.length).toBeLessThanOrEqual(15);
      for (const [k, t] of p.turns.entries()) {
        expect(t.tokens).toBeGreaterThanOrEqual(10);
        expect(t.tokens).toBeLessThanOrEqual(1000);
        expect(t.maxTokens).toBeGreaterThanOrEqual(10);
        expect(t.maxTokens).toBeLessThanOrEqual(1000);
        if (k > 0) expect(t.thinkS).toBeGreaterThanOrEqual(5);
        expect(t.thinkS).toBeLessThanOrEqual(300);
      }
    }
    // A lognormal with mean 4 puts most conversations at a few turns, not at the bounds.
    const mean = plans.reduce((s, p) => s + p.turns.length, 0) / plans.length;
    expect(mean).toBeGreaterThan(2.5);
    expect(mean).toBeLessThan(6);
  });

  it('workload-catalog/deep-research and code-generation parse, with their keys', () => {
    const deep = ConversationReplaySchema.parse(data('conversation-replay-deep-research.yaml').conversation_replay);
    expect(deep).toMatchObject({ seed: 42, num_conversations: 5, shared_system_prompt_len: 2000 });
    expect(deep.dynamic_system_prompt_len).toMatchObject({ type: 'lognormal', min: 2000, max: 150000 });
    const code = ConversationReplaySchema.parse(data('conversation-replay-code-generation.yaml').conversation_replay);
    expect(code).toMatchObject({ num_conversations: 40, shared_system_prompt_len: 3000, max_model_len: 262144 });
  });

  it("config-weka.yaml: a HuggingFace trace source with inference-perf's Weka defaults", () => {
    const d = data('weka-trace-replay.yaml');
    expect(d.type).toBe('weka_trace_replay');
    const w = WekaTraceReplaySchema.parse(d.weka_trace_replay);
    expect(w).toMatchObject({ hf_dataset_path: 'semianalysisai/cc-traces-weka-with-subagents-060826-256k', num_dataset_entries: 5, default_block_size: 64, trace_idle_gap_cap_seconds: 60, max_wait_ms: 15000, use_static_model: true });
  });

  it('examples/otel two-sessions-sequential: its two trace files replay as two sessions of three calls', async () => {
    const d = data('otel-two-sessions-sequential.yml');
    const o = OTelTraceReplaySchema.parse(d.otel_trace_replay);
    expect(o).toMatchObject({ default_max_tokens: 100000, include_errors: true, bad_tool_call_handling: 'none' });
    const tok = await getTokenizer('words');
    const files = o.trace_files!.map((f) => `${UPSTREAM}${f.split('/').at(-1)}`);
    const sessions = await Promise.all(files.map((f) => readOTelTraceFile(f, tok, o)));
    expect(sessions.map((s) => s.length)).toEqual([3, 3]);
    expect(sessions.map((s) => s.map((p) => p.atS))).toEqual([[0, 3, 6], [0, 3, 6]]);
  });

  it('workload-catalog/agentic-trace-replay parses, keeping its filter and tool-call handling', () => {
    const o = OTelTraceReplaySchema.parse(data('otel-agentic-trace-replay.yaml').otel_trace_replay);
    expect(o).toMatchObject({ hf_dataset_path: 'Exgentic/agent-llm-traces-v2', include_errors: false, bad_tool_call_handling: 'use_recorded' });
    expect(o.filter).toContain('max_tokens');
  });
});

describe('schema fragments: defaults and refusals as inference-perf', () => {
  it("defaults: conversation_replay seed 42, 200 conversations, 8359 tokens; Distribution normal 10..1024, mean 512, std_dev 200", () => {
    expect(ConversationReplaySchema.parse({})).toEqual({ seed: 42, num_conversations: 200, shared_system_prompt_len: 8359 });
    expect(DistributionSchema.parse({})).toEqual({ type: 'normal', min: 10, max: 1024, mean: 512, std: 200, skew: 0 });
    expect(DistributionSchema.parse({ variance: 16 }).std).toBe(4);
    expect(sharedPrefixDataConfig(SharedPrefixBlockSchema.parse({}), 3)).toMatchObject({ num_groups: 10, num_prompts_per_group: 10, system_prompt_len: 100, question_len: 50, output_len: 50, seed: 3 });
  });

  it('refuses unknown keys, both legacy and inline distributions, and a replay without exactly one trace source', () => {
    expect(ConversationReplaySchema.safeParse({ num_conversation: 3 }).success).toBe(false);
    const dist = { type: 'uniform', min: 1, max: 9 };
    expect(SharedPrefixBlockSchema.safeParse({ question_len: dist, question_distribution: dist }).success).toBe(false);
    expect(WekaTraceReplaySchema.safeParse({}).success).toBe(false);
    expect(WekaTraceReplaySchema.safeParse({ trace_directory: 'a', trace_files: ['b'] }).success).toBe(false);
    expect(OTelTraceReplaySchema.safeParse({ trace_directory: 'a', use_static_model: true }).success).toBe(false);
    expect(OTelTraceReplaySchema.safeParse({ trace_directory: 'a', disable_output_substitution: true, inject_random_session_id: true }).success).toBe(false);
    expect(DistributionSchema.safeParse({ std_dev: 2, variance: 4 }).success).toBe(false);
  });

  it('a legacy question_distribution replaces the fixed question_len', () => {
    const block = SharedPrefixBlockSchema.parse({ question_distribution: { type: 'uniform', min: 5, max: 9 } });
    expect(sharedPrefixDataConfig(block, 0).question_len).toMatchObject({ type: 'uniform', min: 5, max: 9 });
  });
});
