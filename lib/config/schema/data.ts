/**
 * Data sources: what each request says. One schema per source, joined on `type`, whose literal
 * is the key of the data-source registry in `lib/data`. To add a source (shared prefix, JSONL
 * dataset): add its schema here (or in its own file once this one grows), add it to
 * `DataSchema`, and register the source under the same literal.
 */
import { z } from 'zod';
import { TokenizerOptionSchema } from './target.ts';

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
      'Tokens of prompt content (the chat template adds a few more on the server): one length, or a list of lengths (each >= 1).',
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

/** A scenario's `data:`, chosen by `type`. */
export const DataSchema = z
  .discriminatedUnion('type', [SyntheticDataSchema])
  .describe('What requests say: a data source chosen by `type` (synthetic).');

/** A data source config. */
export type Data = z.output<typeof DataSchema>;

/** The `type` literal of a data source. */
export type DataType = Data['type'];

/** Every data `type` literal, in schema order; the data-source registry must have exactly these keys. */
export const DATA_TYPES: readonly DataType[] = Object.freeze(DataSchema.options.map((option) => option.shape.type.value));
