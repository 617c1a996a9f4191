/**
 * The parts of an inference-perf workload that run sessions or replay a trace, as a well-lit-path
 * workload writes them: `data.conversation_replay`, `data.trace` and `load.trace` (a request trace
 * file), `data.otel_trace_replay` and `data.weka_trace_replay` (session traces, read with the
 * fragments of `lib/data/conversations/schema.ts`), and the stage keys of a
 * `trace_session_replay` load. Definitions (kubernetes-sigs/inference-perf, commit 7de5ef2e):
 * `inference_perf/config/datagen/replay.py` (`TraceConfig`, `ConversationReplayConfig`),
 * `inference_perf/config/loadgen/config.py` (`TraceSessionReplayLoadStage`). Upstream's defaults
 * are applied where the workload is translated (`translate-sessions.ts`), so they show in the
 * scenario.
 */
import { z } from 'zod';
import { ipDistribution, IpDistributionSchema } from './ip-distribution.ts';
import { choice, tokens } from './schema-helpers.ts';

/** inference-perf `ConversationReplayConfig` (defaults: seed 42, 200 conversations, shared system prompt 8359 tokens). */
export const IpConversationReplaySchema = z
  .strictObject({
    seed: z.number().int().min(0).optional().describe("Seed of the conversation blueprints (default 42, inference-perf's)."),
    num_conversations: tokens('conversations').optional().describe('Conversation blueprints (default 200); session i follows blueprint i mod this.'),
    shared_system_prompt_len: z.number().int().min(0).optional().describe('Tokens of the system prompt every conversation shares (default 8359).'),
    dynamic_system_prompt_len: IpDistributionSchema.optional().describe("Tokens of each conversation's own system prompt part, drawn per conversation (default none)."),
    turns_per_conversation: IpDistributionSchema.optional().describe('Turns of a conversation, drawn per conversation (default 10).'),
    input_tokens_per_turn: IpDistributionSchema.optional().describe("Tokens of a turn's new user message, drawn per turn (default 512)."),
    output_tokens_per_turn: IpDistributionSchema.optional().describe('max_tokens of a turn, drawn per turn (default 256).'),
    tool_call_latency_sec: ipDistribution(() => z.number({ error: 'expected a number of seconds >= 0' }).min(0, { error: 'expected a number of seconds >= 0' }), 'latency in seconds')
      .optional()
      .describe("Seconds a session waits after a turn's response before its next turn, drawn per turn (default none)."),
    max_model_len: tokens().optional().describe('Context ceiling, in tokens.'),
  })
  .describe("Synthetic multi-turn conversations (inference-perf's conversation_replay).");

/** A parsed `conversation_replay`. */
export type IpConversationReplay = z.output<typeof IpConversationReplaySchema>;

/** inference-perf `TraceConfig`: a request trace file (Azure LLM inference trace CSV, its only format). */
export const IpTraceSchema = z
  .strictObject({
    file: z.string({ error: 'expected the path of a trace file' }).min(1, { error: 'expected the path of a trace file' }).describe('The trace file, relative to where vitest runs.'),
    format: choice(['AzurePublicDataset'] as const).default('AzurePublicDataset').describe("AzurePublicDataset (the default and only format): CSV with TIMESTAMP, ContextTokens, GeneratedTokens."),
  })
  .describe('A request trace file to replay.');

/** The stage keys of a `trace_session_replay` load (`TraceSessionReplayLoadStage`). */
export const IP_SESSION_STAGE_KEYS = {
  concurrent_sessions: z.number().int().min(0).optional().describe('trace_session_replay: sessions active at once (0: all).'),
  session_rate: z.number().positive().optional().describe('trace_session_replay: sessions started per second.'),
  num_sessions: tokens('sessions').optional().describe('trace_session_replay: sessions the stage runs (default all).'),
  timeout: z.number().positive().optional().describe("trace_session_replay: the stage's time limit in seconds."),
} as const;
