/**
 * Config fragments of inference-perf's multi-turn and session-replay data types, with its keys
 * and defaults: `data.shared_prefix` (with `enable_multi_turn_chat`), `data.conversation_replay`,
 * `data.weka_trace_replay` and `data.otel_trace_replay`. Definitions (kubernetes-sigs/inference-perf,
 * commit 7de5ef2e): `inference_perf/config/common.py` (`Distribution`),
 * `inference_perf/config/datagen/config.py` (`SharedPrefix`), `inference_perf/config/datagen/replay.py`
 * (`ConversationReplayConfig`, `SessionReplayConfig`, `WekaTraceReplayConfig`, `OTelTraceReplayConfig`).
 * Every model there is strict (unknown keys are errors), and so are these.
 */
import { z } from 'zod';
import type { ShapedLength } from '../length-shapes.ts';
import type { SharedPrefixDataConfig } from '../shared-prefix.ts';
import type { ConversationReplayConfig } from './conversation-replay.ts';

const count = (what: string) => z.number({ error: `expected a positive integer (${what})` }).int().min(1);

/** inference-perf `Distribution` (defaults: normal, min 10, max 1024, mean 512, std_dev 200, skew 0). */
export const DistributionSchema = z
  .strictObject({
    type: z.enum(['normal', 'skew_normal', 'lognormal', 'uniform', 'poisson', 'fixed']).default('normal'),
    min: z.number().int().default(10),
    max: z.number().int().default(1024),
    mean: z.number().default(512),
    std_dev: z.number().min(0).optional(),
    variance: z.number().min(0).optional(),
    total_count: z.number().int().optional(),
    skew: z.number().default(0),
  })
  .superRefine((d, ctx) => {
    if (d.variance !== undefined && (d.std_dev ?? 0) > 0) ctx.addIssue({ code: 'custom', path: ['variance'], message: "specify either 'std_dev' or 'variance', not both" });
    if (d.min > d.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${d.min} is above max ${d.max}` });
  })
  .transform((d): ShapedLength => ({ type: d.type, min: d.min, max: d.max, mean: d.mean, std: d.variance === undefined ? (d.std_dev ?? 200) : Math.sqrt(d.variance), skew: d.skew }));

const lengthOrDistribution = z.union([count('tokens'), DistributionSchema]);

/** inference-perf `data.shared_prefix` (defaults: 10 groups of 10, 100 + 50 tokens, output 50, single-turn). */
export const SharedPrefixBlockSchema = z
  .strictObject({
    num_groups: count('groups').optional(),
    num_unique_system_prompts: count('groups').optional(),
    num_prompts_per_group: count('prompts').optional(),
    num_users_per_system_prompt: count('prompts').optional(),
    system_prompt_len: lengthOrDistribution.default(100),
    question_len: lengthOrDistribution.default(50),
    output_len: lengthOrDistribution.default(50),
    seed: z.number().int().optional(),
    question_distribution: DistributionSchema.optional(),
    output_distribution: DistributionSchema.optional(),
    enable_multi_turn_chat: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    if (typeof s.question_len !== 'number' && s.question_distribution) ctx.addIssue({ code: 'custom', path: ['question_distribution'], message: "cannot specify both inline distribution on 'question_len' and legacy 'question_distribution'" });
    if (typeof s.output_len !== 'number' && s.output_distribution) ctx.addIssue({ code: 'custom', path: ['output_distribution'], message: "cannot specify both inline distribution on 'output_len' and legacy 'output_distribution'" });
  });

/**
 * The source config a parsed `shared_prefix` block describes: the aliases resolved (upstream takes
 * either name), a legacy distribution over its fixed length, and `seed` (upstream's default is
 * none, an unseeded run) given by the caller when the file has none.
 */
export function sharedPrefixDataConfig(block: z.output<typeof SharedPrefixBlockSchema>, seedWhenNone: number): SharedPrefixDataConfig {
  return {
    type: 'shared_prefix',
    num_groups: block.num_groups ?? block.num_unique_system_prompts ?? 10,
    num_prompts_per_group: block.num_prompts_per_group ?? block.num_users_per_system_prompt ?? 10,
    system_prompt_len: block.system_prompt_len,
    question_len: block.question_distribution ?? block.question_len,
    output_len: block.output_distribution ?? block.output_len,
    seed: block.seed ?? seedWhenNone,
  };
}

/** inference-perf `data.conversation_replay` (defaults: seed 42, 200 conversations, shared prompt 8359 tokens). */
export const ConversationReplaySchema = z
  .strictObject({
    seed: z.number().int().default(42),
    num_conversations: count('conversations').default(200),
    shared_system_prompt_len: z.number().int().min(0).default(8359),
    dynamic_system_prompt_len: DistributionSchema.optional(),
    turns_per_conversation: DistributionSchema.optional(),
    input_tokens_per_turn: DistributionSchema.optional(),
    output_tokens_per_turn: DistributionSchema.optional(),
    tool_call_latency_sec: DistributionSchema.optional(),
    max_model_len: count('tokens').optional(),
  })
  .transform((c): ConversationReplayConfig => c);

/** Keys every session replay shares (`SessionReplayConfig`), with upstream's defaults. */
const sessionReplayKeys = {
  use_static_model: z.boolean().default(false),
  static_model_name: z.string().default(''),
  model_mapping: z.record(z.string(), z.string()).optional(),
  default_max_tokens: count('tokens').default(1000),
  override_tool_call_max_tokens: z.boolean().default(true),
  inject_random_session_id: z.boolean().default(false),
  duplicate_sessions_target: count('sessions').optional(),
  max_wait_ms: z.number().int().min(0).default(15000),
  predecessor_wait_timeout_sec: z.number().min(0).default(3600),
  include_errors: z.boolean().default(true),
  skip_invalid_files: z.boolean().default(false),
  trace_directory: z.string().optional(),
  trace_files: z.array(z.string()).optional(),
  hf_dataset_path: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
};

type ReplayCommon = { use_static_model: boolean; static_model_name: string; model_mapping?: Record<string, string>; trace_directory?: string; trace_files?: string[]; hf_dataset_path?: unknown };

/** Upstream's checks shared by both replays: a static model has its name, exactly one trace source. */
function checkReplay(r: ReplayCommon, ctx: z.RefinementCtx): void {
  if (r.use_static_model && !r.static_model_name) ctx.addIssue({ code: 'custom', path: ['static_model_name'], message: 'static_model_name is required when use_static_model=True' });
  if (!r.use_static_model && r.static_model_name && !r.model_mapping) ctx.addIssue({ code: 'custom', path: ['use_static_model'], message: 'either use_static_model must be True or model_mapping must be provided' });
  const sources = [r.trace_directory, r.trace_files, r.hf_dataset_path].filter((s) => s !== undefined).length;
  if (sources !== 1) ctx.addIssue({ code: 'custom', path: ['trace_directory'], message: sources === 0 ? 'either trace_directory, trace_files, or hf_dataset_path must be provided' : 'choose one of trace_directory, trace_files, hf_dataset_path' });
}

/** inference-perf `data.weka_trace_replay` (idle gaps capped at 60 s, block size 64 by default). */
export const WekaTraceReplaySchema = z
  .strictObject({
    ...sessionReplayKeys,
    trace_idle_gap_cap_seconds: z.number().default(60),
    ignore_trace_delays: z.boolean().default(false),
    use_think_time_only: z.boolean().default(false),
    default_block_size: count('tokens').default(64),
    num_dataset_entries: count('traces').default(100),
  })
  .superRefine(checkReplay);

/** inference-perf `data.otel_trace_replay`. */
export const OTelTraceReplaySchema = z
  .strictObject({
    ...sessionReplayKeys,
    filter: z.string().optional(),
    disable_output_substitution: z.boolean().default(false),
    attribute_to_header_map: z.record(z.string(), z.string()).optional(),
    attribute_to_label_map: z.record(z.string(), z.string()).optional(),
    bad_tool_call_handling: z.enum(['none', 'use_recorded']).default('none'),
  })
  .superRefine((r, ctx) => {
    checkReplay(r, ctx);
    if (r.disable_output_substitution && (r.inject_random_session_id || r.duplicate_sessions_target !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['disable_output_substitution'], message: 'disable_output_substitution cannot be combined with inject_random_session_id or duplicate_sessions_target' });
    }
  });

/** Parsed fragments. */
export type SharedPrefixBlock = z.output<typeof SharedPrefixBlockSchema>;
/** Parsed `weka_trace_replay`. */
export type WekaTraceReplayOptions = z.output<typeof WekaTraceReplaySchema>;
/** Parsed `otel_trace_replay`. */
export type OTelTraceReplayOptions = z.output<typeof OTelTraceReplaySchema>;
