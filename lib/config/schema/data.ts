/**
 * Data sources: what each request says. One schema per source, joined on `type`, whose literal
 * is the key of the data-source registry in `lib/data`. To add a source (e.g. a JSONL
 * dataset): add its schema here (or in its own file once this one grows), add it to
 * `DataSchema`, and register the source under the same literal.
 */
import { GENERATE_SHAPES, SAMPLE_SHAPES, shapeProblem } from '../../data/length-shapes.ts';
import type { LengthSampler, LengthShape } from '../../data/length-shapes.ts';
import { z } from 'zod';
import { ConversationsDataSchema, SessionHeaderSchema } from './session-data.ts';
import { TokenizerOptionSchema } from './target.ts';
import { TraceDataSchema } from './trace-data.ts';

/**
 * One positive integer or a non-empty list of them, normalised to a list: `512` → `[512]`.
 * @param what what is counted, for the error message (`prompt lengths`).
 */
function tokenCounts(what: string) {
  const error = `expected a positive integer or a non-empty list of positive integers (${what})`;
  const count = z.number({ error }).int({ error }).min(1, { error });
  return z
    .union([count, z.array(count).min(1, { error })], { error })
    .transform((v): number[] => (Array.isArray(v) ? v : [v]));
}

/**
 * Synthetic prompts of exact token lengths (by the chosen tokenizer), deterministic for a seed.
 * Lists of lengths make a matrix of workload cells, one per prompt_tokens × max_tokens pair,
 * which requests cycle through in order; reports break statistics down by cell.
 */
export const SyntheticDataSchema = z
  .strictObject({
    type: z.literal('synthetic').describe('Synthetic prompts of exact token lengths.'),
    prompt_tokens: tokenCounts('prompt lengths').describe(
      "Prompt tokens as the server counts them (on the chat API the chat template's tokens are included: the text is that much shorter): one length, or a list of lengths (each >= 1).",
    ),
    max_tokens: tokenCounts('output lengths').describe(
      'max_tokens requested: one value or a list (each >= 1). With ignore_eos the output is exactly this long. Override with BENCH_MAX_TOKENS.',
    ),
    seed: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'Seed of the prompt generator (integer >= 0). Unset (the default): a new seed per run and scenario, so repeated runs never ' +
          "send the same prompts and a server's prefix cache cannot make a later run look faster; the report records the seed used. " +
          'Set it to send exactly the same prompts again.',
      ),
    tokenizer: TokenizerOptionSchema.optional().describe(
      "Tokenizer that measures prompt lengths: auto, qwen3 or words (default: the target's tokenizer).",
    ),
  })
  .describe('Synthetic prompts of exact token lengths.');

/** Synthetic prompts, lengths normalised to lists. */
export type SyntheticData = z.output<typeof SyntheticDataSchema>;

/**
 * Synthetic prompts for explicit (input, output) length pairs, as llm-d-benchmark's harness
 * matrix writes them (`isl_osl: [[8192, 1024], [1024, 128]]`): one cell per pair, not the cross
 * product of two lists. Prompts are built exactly as `synthetic`'s.
 */
export const IslOslDataSchema = z
  .strictObject({
    type: z.literal('isl_osl').describe('Synthetic prompts for explicit [input tokens, output tokens] pairs.'),
    pairs: z
      .array(
        z.tuple([z.number().int().min(1), z.number().int().min(1)], { error: 'expected a pair [input tokens, output tokens] of positive integers' }),
        { error: 'expected a non-empty list of [input tokens, output tokens] pairs' },
      )
      .min(1, { error: 'expected a non-empty list of [input tokens, output tokens] pairs' })
      .describe('[input tokens, output tokens] per cell, e.g. [[8192, 1024], [1024, 128]]; requests cycle through them. BENCH_MAX_TOKENS sets every output length.'),
    seed: SyntheticDataSchema.shape.seed,
    tokenizer: SyntheticDataSchema.shape.tokenizer,
  })
  .describe('Synthetic prompts for explicit input/output length pairs.');

/** Explicit input/output length pairs. */
export type IslOslData = z.output<typeof IslOslDataSchema>;

/**
 * A mix of request sizes by share (e.g. 40% short, 40% medium, 20% long): each component is one
 * cell; requests are spread over them by smooth weighted round-robin, so every window of one
 * period (shares reduced to the smallest whole numbers) holds each component exactly its share,
 * evenly interleaved. Prompts are built exactly as `synthetic`'s.
 */
export const MixDataSchema = z
  .strictObject({
    type: z.literal('mix').describe('Synthetic prompts of several sizes, each a given share of the requests.'),
    components: z
      .array(
        z.strictObject({
          share: z.number().positive().max(1).describe('Share of the requests (0 < share <= 1, in steps of 0.001); shares sum to 1.'),
          prompt_tokens: z.number().int().min(1).describe('Prompt tokens of this component.'),
          max_tokens: z.number().int().min(1).describe('max_tokens of this component. BENCH_MAX_TOKENS sets every one.'),
        }),
      )
      .min(1)
      .describe('The sizes and their shares, e.g. [{share: 0.4, prompt_tokens: 128, max_tokens: 64}, ...].'),
    seed: SyntheticDataSchema.shape.seed,
    tokenizer: SyntheticDataSchema.shape.tokenizer,
  })
  .describe('A mix of synthetic request sizes by share.');

/** A mix of request sizes. */
export type MixData = z.output<typeof MixDataSchema>;

const positiveInt = (what: string) =>
  z.number({ error: `expected a positive integer (${what})` }).int({ error: `expected a positive integer (${what})` }).min(1, {
    error: `expected a positive integer (${what})`,
  });

/** The problem of an inference-perf distribution of `type` for `sampler`, recorded at its path. */
function checkShape(d: { type?: LengthShape | undefined; min: number; max: number; mean: number; std: number }, sampler: LengthSampler, ctx: z.RefinementCtx): void {
  if (d.min > d.max) {
    ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${d.min} is above max ${d.max}` });
    return;
  }
  if (d.type === undefined) {
    if (d.mean < d.min || d.mean > d.max) ctx.addIssue({ code: 'custom', path: ['mean'], message: `mean ${d.mean} is outside min..max (${d.min}..${d.max})` });
    return;
  }
  const problem = shapeProblem({ ...d, type: d.type }, sampler);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [problem.startsWith('type') ? 'type' : 'mean'], message: problem });
  else if (d.type === 'fixed' && Math.trunc(d.mean) < 1) ctx.addIssue({ code: 'custom', path: ['mean'], message: `a fixed length is int(mean), here ${Math.trunc(d.mean)}: expected at least 1 token` });
}

const SHAPE_DOC =
  "inference-perf's sampling (kubernetes-sigs/inference-perf utils/numeric/distribution): normal, lognormal, uniform, then clipped to min..max (out-of-range draws land on the bounds) and rounded; fixed: int(mean)";

/**
 * A length distribution: a truncated normal (no `type`: out-of-range draws are redrawn), or one
 * of inference-perf's types as its `generate_distribution` draws them for random data (`type`;
 * see `lib/data/length-shapes.ts`).
 */
export const LengthDistributionSchema = z
  .strictObject({
    type: z
      .enum(GENERATE_SHAPES)
      .optional()
      .describe(`Omitted: a normal distribution truncated to min..max. Given: ${SHAPE_DOC}. inference-perf configs always give it (their default is normal).`),
    min: positiveInt('tokens').describe('Smallest length in tokens (>= 1).'),
    max: positiveInt('tokens').describe('Largest length in tokens (>= min).'),
    mean: z.number().describe('Mean, in tokens (min <= mean <= max for a normal distribution).'),
    std: z.number().min(0).describe('Standard deviation, in tokens (>= 0; 0 = every length is round(mean)).'),
  })
  .superRefine((d, ctx) => checkShape(d, 'generate', ctx))
  .describe('Lengths drawn per prompt, rounded to integers: a truncated normal, or one of inference-perf\'s distribution types.');

/** A length of shared_prefix data: one number, or a distribution drawn as inference-perf's `sample_from_distribution` draws it. */
const SharedLengthSchema = (what: string) =>
  z.union([
    positiveInt('tokens'),
    z
      .strictObject({
        type: z.enum(SAMPLE_SHAPES).default('normal').describe(`${SHAPE_DOC}; also skew_normal and poisson.`),
        min: positiveInt('tokens').describe('Smallest length in tokens (>= 1).'),
        max: positiveInt('tokens').describe('Largest length in tokens (>= min).'),
        mean: z.number().describe('Mean, in tokens.'),
        std: z.number().min(0).describe('Standard deviation, in tokens.'),
        skew: z.number().optional().describe('Skewness (skew_normal).'),
      })
      .superRefine((d, ctx) => checkShape(d, 'sample', ctx)),
  ], { error: `expected a positive integer (${what}) or a distribution {type, min, max, mean, std}` });

/**
 * Random input and output lengths per prompt from truncated normal distributions
 * (inference-perf's `random` data). Reports break statistics down by input-length bucket.
 */
export const RandomDataSchema = z
  .strictObject({
    type: z.literal('random').describe('Random prompts whose input/output lengths follow truncated normal distributions.'),
    input_distribution: LengthDistributionSchema.describe("Prompt length in tokens as the server counts it (on the chat API the chat template's tokens included)."),
    output_distribution: LengthDistributionSchema.describe('max_tokens per request (with ignore_eos the output is exactly this long).'),
    total_count: positiveInt('prompts')
      .optional()
      .describe('Distinct prompts to generate; requests cycle through them. Default: one distinct prompt per request.'),
    // Same meaning as synthetic's: a fresh seed per run unless set; the report records it.
    seed: SyntheticDataSchema.shape.seed,
    tokenizer: SyntheticDataSchema.shape.tokenizer,
  })
  .describe('Random prompts with truncated-normal input and output lengths.');

/** Random-length prompts. */
export type RandomData = z.output<typeof RandomDataSchema>;

/**
 * Groups of prompts sharing a system prompt (inference-perf's `shared_prefix` data): each group
 * has one random system prompt; each of its prompts appends a distinct question. Requests go
 * round-robin over the groups. One workload cell: the groups are alike by construction.
 */
export const SharedPrefixDataSchema = z
  .strictObject({
    type: z.literal('shared_prefix').describe('Groups of prompts that share a system-prompt prefix.'),
    num_groups: positiveInt('groups').describe('Number of groups, each with its own shared prefix.'),
    num_prompts_per_group: positiveInt('prompts').describe('Distinct questions per group.'),
    system_prompt_len: SharedLengthSchema('tokens').describe("Tokens of the shared prefix of a group: a number, or a distribution drawn once per group."),
    question_len: SharedLengthSchema('tokens').describe('Tokens of the question appended to the prefix (prompt = prefix + " " + question): a number, or a distribution drawn per prompt.'),
    output_len: SharedLengthSchema('tokens').describe('max_tokens of a request (with ignore_eos the output is exactly this long): a number, or a distribution drawn per prompt.'),
    enable_multi_turn_chat: z
      .boolean()
      .optional()
      .describe(
        "inference-perf's multi-turn chat (default false): each of the num_groups x num_prompts_per_group users is a session that sends its prompt round after round, " +
          "each round appended to the conversation so far with the server's responses; the load starts sessions, and each runs `rounds` rounds.",
      ),
    rounds: positiveInt('rounds')
      .optional()
      .describe('With enable_multi_turn_chat: rounds each user session sends (default: ceil(sessions the run plans / users), so the planned sessions send about as many rounds as there are sessions).'),
    session_header: SessionHeaderSchema.optional().describe('With enable_multi_turn_chat: header that carries the session id on every round (default x-session-id).'),
    // Same meaning as synthetic's: a fresh seed per run unless set; the report records it.
    seed: SyntheticDataSchema.shape.seed,
    tokenizer: SyntheticDataSchema.shape.tokenizer,
  })
  .describe('Groups of prompts sharing a system prompt, for prefix-cache workloads.');

/** Shared-prefix prompt groups. */
export type SharedPrefixData = z.output<typeof SharedPrefixDataSchema>;

/** An inclusive token range, `min <= max` checked with the path named. */
const TokenRangeSchema = z
  .strictObject({
    min: z.number().int().min(0).describe('Fewest tokens kept.'),
    max: z.number().int().min(0).describe('Most tokens kept (>= min).'),
  })
  .superRefine((r, ctx) => {
    if (r.min > r.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${r.min} is above max ${r.max}` });
  });

/**
 * Real conversations from a ShareGPT-shaped dataset file, as vLLM's `benchmark_serving` uses
 * them: each entry's first human turn is a prompt, sent verbatim; the assistant turn after it
 * sets max_tokens (its token count) unless `output_len` is set. Entries are shuffled by `seed`,
 * filtered by length like vLLM (or, with `length_filter`, like inference-perf), and cycled when a
 * run needs more than the file has.
 * Cells are prompt-length buckets.
 */
export const SharegptDataSchema = z
  .strictObject({
    type: z.literal('sharegpt').describe('Conversations from a ShareGPT-shaped dataset file (JSONL or a JSON array), vLLM benchmark_serving style.'),
    path: z
      .string()
      .min(1, { error: 'expected the path of a dataset file' })
      .describe(
        'Dataset file: JSONL (one JSON object per line; streamed, any size) or one JSON array (e.g. ShareGPT_V3_unfiltered_cleaned_split.json; ' +
          'split into entries as it streams). Each entry is {conversations: [{from: human|user, value}, {from: gpt|assistant, value}, ...]} or ' +
          '{messages: [{role, content}, ...]}. A relative path is resolved against the current working directory (where vitest runs), ' +
          'not against this config file.',
      ),
    output_len: positiveInt('tokens')
      .optional()
      .describe(
        "Fixed max_tokens of every request (vLLM's --sharegpt-output-len). Unset (the default): each request's max_tokens is the token " +
          'count of the reference reply. BENCH_MAX_TOKENS sets it.',
      ),
    max_prompt_tokens: positiveInt('tokens')
      .min(4, { error: 'expected an integer >= 4 (shorter prompts are always skipped)' })
      .optional()
      .describe(
        "vLLM's length filter: entries whose prompt has more tokens than this are skipped (default 1024, as vLLM). Also the top of the " +
          "cells' length buckets. Not with length_filter.",
      ),
    max_total_tokens: positiveInt('tokens')
      .optional()
      .describe("vLLM's length filter: entries whose prompt + output tokens exceed this are skipped (default 2048, as vLLM). Not with length_filter."),
    length_filter: z
      .strictObject({
        input: TokenRangeSchema.optional().describe('Prompt tokens kept (inclusive); unset: any non-empty prompt.'),
        output: TokenRangeSchema.optional().describe("Reference-reply tokens kept (inclusive); unset: any reply. max_tokens is the reply's token count (or output_len)."),
      })
      .optional()
      .describe(
        "inference-perf's length filter instead of vLLM's (its input_distribution/output_distribution min and max on shareGPT): an entry " +
          'is skipped when its prompt or its reference reply has a token count outside the range; nothing is clipped, and no other ' +
          'limit applies (no 4-token minimum, no max_prompt_tokens or max_total_tokens). {} keeps every entry with a non-empty prompt.',
      ),
    order: z
      .enum(['shuffled', 'file'])
      .optional()
      .describe('shuffled (the default, as vLLM): conversations are used in an order shuffled by seed; file: in file order, as inference-perf streams its datasets.'),
    format: z
      .enum(['sharegpt', 'first_two_turns', 'cnn_dailymail', 'infinity_instruct'])
      .optional()
      .describe(
        'How an entry becomes a prompt and its reference reply. sharegpt (the default): the first human turn and the assistant turn after ' +
          "it. As inference-perf reads its dataset types: first_two_turns (its shareGPT and billsum_conversations), turns 1 and 2 of conversations whatever their roles; " +
          'cnn_dailymail, {article, highlights}; infinity_instruct, the last turn (from gpt) is the reply and the earlier ones, joined by ' +
          'line breaks, the prompt.',
      ),
    max_entries: positiveInt('entries')
      .optional()
      .describe('Read at most this many entries from the start of the file (before shuffling and filtering). Default: all.'),
    seed: SyntheticDataSchema.shape.seed.describe(
      'Seed of the order conversations are used in (integer >= 0): the same file and seed give the same order in any process. ' +
        'Unset (the default): a new seed per run and scenario, recorded in the report. A new order does not make prompts new: ' +
        "two runs draw from the same file, and prompts repeat within a run when it needs more than the file has, so a server's prefix " +
        'cache can serve repeats.',
    ),
    tokenizer: SyntheticDataSchema.shape.tokenizer,
  })
  .superRefine((d, ctx) => {
    if (d.length_filter === undefined) return;
    for (const key of ['max_prompt_tokens', 'max_total_tokens'] as const) {
      if (d[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: "belongs to vLLM's length filter, and length_filter chooses inference-perf's: give one of them" });
      }
    }
  })
  .describe('Conversations from a ShareGPT-shaped dataset file.');

/** A ShareGPT dataset source. */
export type SharegptData = z.output<typeof SharegptDataSchema>;

/** A scenario's `data:`, chosen by `type`. */
export const DataSchema = z
  .discriminatedUnion('type', [SyntheticDataSchema, IslOslDataSchema, MixDataSchema, RandomDataSchema, SharedPrefixDataSchema, SharegptDataSchema, ConversationsDataSchema, TraceDataSchema])
  .describe('What requests say: a data source chosen by `type` (synthetic, isl_osl, mix, random, shared_prefix, sharegpt, conversations, trace).');

/** A data source config. */
export type Data = z.output<typeof DataSchema>;

/** The `type` literal of a data source. */
export type DataType = Data['type'];

/** Every data `type` literal, in schema order; the data-source registry must have exactly these keys. */
export const DATA_TYPES: readonly DataType[] = Object.freeze(DataSchema.options.map((option) => option.shape.type.value));
