/**
 * Multi-turn sessions: `data.type: conversations` (conversation blueprints, each a sequence of
 * turns sent one after the other with the conversation so far) and the session keys of
 * `shared_prefix`. The keys follow inference-perf's `conversation_replay` (kubernetes-sigs/
 * inference-perf `inference_perf/config/datagen/replay.py`, `ConversationReplayConfig`) under this
 * project's names; `lib/data/session-sources.ts` builds the sessions.
 */
import { z } from 'zod';
import { SAMPLE_SHAPES, shapeProblem } from '../../data/length-shapes.ts';
import { TokenizerOptionSchema } from './target.ts';

const SHAPES_DOC =
  "one of inference-perf's distribution types (normal, skew_normal, lognormal, uniform, poisson, fixed; default normal), drawn as its sample_from_distribution draws them, then clipped to min..max and rounded";

/** A distribution object, its bounds at least `least`; `unit` names what it counts. */
function distribution(least: number, unit: string, integers: boolean) {
  const bound = (what: string) => {
    const n = z.number({ error: `expected a number >= ${least} (${unit})` }).min(least, { error: `expected a number >= ${least} (${unit})` });
    return (integers ? n.int({ error: `expected an integer >= ${least} (${unit})` }) : n).describe(what);
  };
  return z
    .strictObject({
      type: z.enum(SAMPLE_SHAPES).default('normal').describe(`The distribution: ${SHAPES_DOC}.`),
      min: bound(`Smallest value, in ${unit}.`),
      max: bound(`Largest value, in ${unit} (>= min).`),
      mean: z.number().describe(`Mean, in ${unit}.`),
      std: z.number().min(0).default(0).describe(`Standard deviation, in ${unit} (default 0).`),
      skew: z.number().optional().describe('Skewness (skew_normal).'),
    })
    .superRefine((d, ctx) => {
      const problem = shapeProblem(d, 'sample');
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [problem.startsWith('min') ? 'min' : problem.startsWith('type') ? 'type' : 'mean'], message: problem });
    });
}

/** A token length: a positive integer, or a distribution drawn per use (per conversation or per turn). */
export function SessionLengthSchema(what: string) {
  const error = `expected a positive integer (${what}) or a distribution {type, min, max, mean, std}`;
  return z.union([z.number({ error }).int({ error }).min(1, { error }), distribution(1, 'tokens', true)], { error });
}

/** Seconds: a number >= 0, or a distribution of seconds (fractions kept, to the millisecond). */
export const SecondsSchema = z.union(
  [z.number({ error: 'expected a number of seconds >= 0' }).min(0, { error: 'expected a number of seconds >= 0' }), distribution(0, 'seconds', false)],
  { error: 'expected a number of seconds >= 0 or a distribution {type, min, max, mean, std}' },
);

/** Name of the header that carries a session's id on each of its turns. */
export const SessionHeaderSchema = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'expected an HTTP header name (letters, digits, - and _)' })
  .describe('Header that carries the session id on every turn, for gateway affinity (default x-session-id).');

/**
 * Multi-turn conversations: `conversations` blueprints, session i following blueprint
 * i mod conversations. Every turn sends the conversation so far (system prompt, earlier user
 * messages and the server's responses) plus a new user message of `turn_tokens`, `think_time_s`
 * after the previous response ended. The load starts sessions: an open loop's arrivals are
 * session arrivals, a closed loop's users each run one session after another, and `num_requests`
 * counts sessions.
 */
export const ConversationsDataSchema = z
  .strictObject({
    type: z.literal('conversations').describe('Multi-turn conversations: each session sends its turns in order, each carrying the conversation so far.'),
    conversations: z
      .number({ error: 'expected an integer >= 1' })
      .int({ error: 'expected an integer >= 1' })
      .min(1, { error: 'expected an integer >= 1' })
      .default(50)
      .describe('Distinct conversation blueprints (default 50); session i follows blueprint i mod conversations, under its own session id.'),
    system_prompt_tokens: z
      .number({ error: 'expected an integer >= 0' })
      .int({ error: 'expected an integer >= 0' })
      .min(0, { error: 'expected an integer >= 0' })
      .default(0)
      .describe('Tokens of the system prompt every conversation shares (default 0: none).'),
    dynamic_system_prompt_tokens: SessionLengthSchema('tokens')
      .optional()
      .describe("Tokens of each conversation's own part of the system prompt, after the shared part: a number, or a distribution drawn per conversation (default none)."),
    turns: SessionLengthSchema('turns').default(5).describe('Turns of a conversation: a number, or a distribution drawn per conversation (default 5).'),
    turn_tokens: SessionLengthSchema('tokens').default(128).describe('Tokens of the new user message of each turn: a number, or a distribution drawn per turn (default 128).'),
    max_tokens: SessionLengthSchema('tokens').default(128).describe('max_tokens of each turn: a number, or a distribution drawn per turn (default 128). BENCH_MAX_TOKENS sets it.'),
    think_time_s: SecondsSchema.default(0).describe(
      "Seconds between a turn's response end and the next turn's send: a number (fractions allowed), or a distribution of seconds drawn per turn (default 0).",
    ),
    max_model_len: z
      .number({ error: 'expected a positive integer (tokens)' })
      .int({ error: 'expected a positive integer (tokens)' })
      .min(1, { error: 'expected a positive integer (tokens)' })
      .optional()
      .describe("The model's context length: the planned conversations must fit in it (system prompt, every turn's message and max_tokens); unset: not checked."),
    seed: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Seed of the conversations (integer >= 0). Unset: a new seed per run and scenario, recorded in the report.'),
    tokenizer: TokenizerOptionSchema.optional().describe("Tokenizer that measures the lengths: auto, qwen3 or words (default: the target's tokenizer)."),
    session_header: SessionHeaderSchema.default('x-session-id'),
  })
  .describe('Multi-turn conversations sent as sessions.');

/** Multi-turn conversation data, defaults applied. */
export type ConversationsData = z.output<typeof ConversationsDataSchema>;
