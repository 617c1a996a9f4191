/**
 * `data.type: trace`: the requests of a recorded trace file, in its order, each a prompt of the
 * recorded length whose hashed prefix blocks become shared prompt text (`lib/data/traces`,
 * `lib/data/conversations`). With `load.type: trace` they are sent at the trace's own times.
 */
import { z } from 'zod';
import { OTelTraceReplaySchema, WekaTraceReplaySchema } from '../../data/conversations/schema.ts';
import { TokenizerOptionSchema } from './target.ts';

const positiveInt = (what: string) => z.number({ error: `expected a positive integer (${what})` }).int({ error: `expected a positive integer (${what})` }).min(1, { error: `expected a positive integer (${what})` });

/** The trace formats, as `data.format` names them. */
export const TRACE_FORMATS = ['auto', 'mooncake', 'azure', 'burstgpt', 'weka', 'otel'] as const;

const weka = WekaTraceReplaySchema.shape;
const otel = OTelTraceReplaySchema.shape;

/** A trace replay's data source. */
export const TraceDataSchema = z
  .strictObject({
    type: z.literal('trace').describe('Requests of a recorded trace file (Mooncake, Azure LLM inference, BurstGPT, Weka or OTel), replayed in order.'),
    path: z
      .union([z.string().min(1, { error: 'expected the path of a trace file' }), z.array(z.string().min(1, { error: 'expected the path of a trace file' })).min(1, { error: 'expected at least one trace file' })])
      .describe(
        'Trace file, or a list of files of one format replayed together (each from its own time 0, merged by time). A relative path is resolved against the current working directory (where vitest runs), as the sharegpt data type resolves its path.',
      ),
    format: z
      .enum(TRACE_FORMATS, { error: `expected one of ${TRACE_FORMATS.join(', ')}` })
      .default('auto')
      .describe(
        'auto (default: told from the file: Mooncake JSONL, Azure or BurstGPT CSV header, a Weka JSON with requests, an OTel JSON with spans), mooncake, azure, burstgpt, weka or otel.',
      ),
    block_size: positiveInt('tokens')
      .optional()
      .describe("Tokens per hashed prefix block (Mooncake hash_ids: default 512, the trace's own; Weka: the file's block_size). Set it to the server's KV-cache block size only if the trace was recorded with that size."),
    max_requests: positiveInt('requests').optional().describe('Replay at most this many requests: the earliest ones.'),
    max_duration_s: z
      .number({ error: 'expected a positive number of seconds' })
      .positive({ error: 'expected a positive number of seconds' })
      .optional()
      .describe("Replay only the requests recorded within this many seconds of the trace's first one (a window on the trace's clock, before any speed-up)."),
    seed: z.number().int().min(0).optional().describe('Seed of the text each hashed block and each unshared part of a prompt is made of: the same seed gives the same prompts. Unset (the default): a new seed per run, recorded in the report.'),
    tokenizer: TokenizerOptionSchema.optional().describe("Tokenizer that measures prompt lengths: auto, qwen3 or words (default: the target's tokenizer)."),
    burstgpt: z
      .strictObject({
        failures: z.enum(['drop', 'keep']).default('drop').describe("drop (default: as the BurstGPT _without_fails files) leaves out requests whose Response tokens are 0; keep replays them asking for one token."),
        model: z.string().min(1).optional().describe('Keep only the rows of this Model (e.g. ChatGPT or GPT-4), as vLLM\'s BurstGPT loader does; default all.'),
      })
      .optional()
      .describe('Options of a BurstGPT trace.'),
    weka: z
      .strictObject({
        trace_idle_gap_cap_seconds: weka.trace_idle_gap_cap_seconds.describe("inference-perf's weka_trace_replay key: every gap between request starts longer than this many seconds is shortened to it; <= 0 keeps the trace's gaps (default 60)."),
        default_block_size: weka.default_block_size.describe("inference-perf's weka_trace_replay key: block size of a trace whose file gives none (default 64)."),
      })
      .optional()
      .describe("Options of a Weka trace, with inference-perf's weka_trace_replay keys and defaults (its other keys choose models, sessions or trace sources, which this replay does not do)."),
    otel: z
      .strictObject({
        include_errors: otel.include_errors.describe("inference-perf's otel_trace_replay key: replay LLM spans with error status too (default true)."),
        default_max_tokens: otel.default_max_tokens.describe("inference-perf's otel_trace_replay key: max_tokens of a call that records no output (default 1000)."),
      })
      .optional()
      .describe("Options of an OTel trace, with inference-perf's otel_trace_replay keys and defaults (its other keys choose models, sessions or trace sources, which this replay does not do)."),
  })
  .superRefine((d, ctx) => {
    for (const key of ['burstgpt', 'weka', 'otel'] as const) {
      if (d[key] !== undefined && d.format !== key && d.format !== 'auto') {
        ctx.addIssue({ code: 'custom', path: [key], message: `options of a ${key} trace, but format is ${d.format}` });
      }
    }
  })
  .describe('A recorded trace replayed request by request (load.type: trace sends them at the trace\'s times).');

/** A parsed `data.type: trace`. */
export type TraceData = z.output<typeof TraceDataSchema>;
