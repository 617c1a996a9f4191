import { resolve } from 'node:path';
import { DataError } from './data-error.ts';
import { readDatasetFile } from './dataset-file.ts';

/**
 * ShareGPT-shaped dataset files: which entries hold a usable exchange (a human turn and the
 * assistant turn after it), and why the others do not. The `sharegpt` source (`sharegpt.ts`)
 * tokenizes and filters the exchanges; this file only reads them.
 */

/**
 * Why an entry of the file was not used:
 * - `not_a_conversation`: not an object with a `conversations` (or `messages`) list;
 * - `too_few_turns`: fewer than 2 turns;
 * - `no_human_assistant_pair`: no human (`human`/`user`) turn with text directly followed by an
 *   assistant (`gpt`/`assistant`) turn with text;
 * - `prompt_too_short` / `output_too_short`: under 4 tokens (`MIN_SHAREGPT_TOKENS`) (the reply
 *   is not checked when `output_len` is set), or under `length_filter.input.min` / `output.min`;
 * - `prompt_too_long`: above `max_prompt_tokens`, or `length_filter.input.max`;
 * - `output_too_long`: the reply above `length_filter.output.max`;
 * - `total_too_long`: prompt + output (the reply's tokens, or `output_len`) above `max_total_tokens`.
 */
export type SharegptSkipReason =
  | 'not_a_conversation'
  | 'too_few_turns'
  | 'no_human_assistant_pair'
  | 'prompt_too_short'
  | 'output_too_short'
  | 'prompt_too_long'
  | 'output_too_long'
  | 'total_too_long';

/** Every skip reason, in the order reports list them. */
export const SHAREGPT_SKIP_REASONS: readonly SharegptSkipReason[] = Object.freeze([
  'not_a_conversation',
  'too_few_turns',
  'no_human_assistant_pair',
  'prompt_too_short',
  'output_too_short',
  'prompt_too_long',
  'output_too_long',
  'total_too_long',
]);

/** The first exchange of a conversation: what the benchmark sends, and the reply it got then. */
export interface Exchange {
  /** The human turn, verbatim. */
  prompt: string;
  /** The assistant turn that followed it, verbatim: its token count is the output length. */
  reply: string;
}

/** A dataset file read into its usable exchanges. */
export interface SharegptDataset {
  /** The file as named in messages. */
  file: string;
  /** Entries read (at most `max_entries`). */
  entries: number;
  /** Lines read. */
  lines: number;
  /** Exchanges in file order, one per usable entry. */
  exchanges: Exchange[];
  /** Entries without a usable exchange, by reason (the token reasons are 0 here). */
  skipped: Record<SharegptSkipReason, number>;
}

/** A count of 0 for every skip reason. */
export const noSkips = (): Record<SharegptSkipReason, number> =>
  Object.fromEntries(SHAREGPT_SKIP_REASONS.map((r) => [r, 0])) as Record<SharegptSkipReason, number>;

const HUMAN_ROLES = new Set(['human', 'user']);
const ASSISTANT_ROLES = new Set(['gpt', 'assistant']);

/** A turn's role (lower case) and text, from either shape; text `undefined` when it is not a string. */
function turnOf(turn: unknown): { role: string; text: string | undefined } {
  if (typeof turn !== 'object' || turn === null) return { role: '', text: undefined };
  const t = turn as Record<string, unknown>;
  const role = typeof t.from === 'string' ? t.from : typeof t.role === 'string' ? t.role : '';
  const text = typeof t.value === 'string' ? t.value : typeof t.content === 'string' ? t.content : undefined;
  return { role: role.toLowerCase(), text };
}

/**
 * The first exchange of a dataset entry: the first human turn that is directly followed by an
 * assistant turn, both with string text. Accepts the ShareGPT shape
 * (`{conversations: [{from: "human", value}, {from: "gpt", value}, ...]}`) and the OpenAI one
 * (`{messages: [{role: "user", content}, {role: "assistant", content}, ...]}`); roles `human` or
 * `user`, `gpt` or `assistant`, any case. Leading system turns are passed over. Returns the
 * reason instead when there is none.
 */
export function firstExchange(entry: unknown): Exchange | 'not_a_conversation' | 'too_few_turns' | 'no_human_assistant_pair' {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'not_a_conversation';
  const e = entry as Record<string, unknown>;
  const turns = Array.isArray(e.conversations) ? e.conversations : Array.isArray(e.messages) ? e.messages : undefined;
  if (turns === undefined) return 'not_a_conversation';
  if (turns.length < 2) return 'too_few_turns';
  for (let k = 0; k + 1 < turns.length; k++) {
    const human = turnOf(turns[k]);
    if (!HUMAN_ROLES.has(human.role)) continue;
    const reply = turnOf(turns[k + 1]);
    if (human.text === undefined || reply.text === undefined || !ASSISTANT_ROLES.has(reply.role)) continue;
    return { prompt: human.text, reply: reply.text };
  }
  return 'no_human_assistant_pair';
}

/**
 * Reads a ShareGPT-shaped dataset file into the first exchange of each entry (see
 * {@link firstExchange}), streaming (see `readDatasetFile`): only the exchanges stay in memory,
 * not the whole conversations.
 *
 * @param path the file, resolved against `baseDir` when relative.
 * @param options `maxEntries` to read at most that many entries; `baseDir` (default `process.cwd()`);
 *   `read`, how an entry becomes an exchange (default {@link firstExchange}; see `dataset-formats.ts`).
 * @throws DataError `DATA_INVALID` naming the file: missing, unreadable, empty, a malformed entry
 *   (with its line), or no entry with a usable exchange (with the entries read and why each was skipped).
 */
export async function readSharegptFile(
  path: string,
  options: { maxEntries?: number | undefined; baseDir?: string; read?: (entry: unknown) => ReturnType<typeof firstExchange> } = {},
): Promise<SharegptDataset> {
  const read = options.read ?? firstExchange;
  const exchanges: Exchange[] = [];
  const skipped = noSkips();
  const summary = await readDatasetFile(resolve(options.baseDir ?? process.cwd(), path), path, {
    maxEntries: options.maxEntries,
    onRecord({ value }) {
      const x = read(value);
      if (typeof x === 'string') skipped[x]++;
      else exchanges.push(x);
    },
  });
  const dataset = { file: path, entries: summary.entries, lines: summary.lines, exchanges, skipped };
  if (exchanges.length === 0) throw noUsableEntry(dataset, skipped);
  return dataset;
}

/** The error for a dataset with no usable entry: what was read and every skip reason. */
export function noUsableEntry(dataset: Pick<SharegptDataset, 'file' | 'entries' | 'lines'>, skipped: Record<SharegptSkipReason, number>): DataError {
  return new DataError(
    'DATA_INVALID',
    'data.path',
    `${dataset.file}: no usable conversation among ${dataset.entries} entries (${dataset.lines} lines read); skipped: ${formatSkips(skipped)}`,
  );
}

/** `too_few_turns 3, prompt_too_short 1`, or `none`. */
export function formatSkips(skipped: Readonly<Record<SharegptSkipReason, number>>): string {
  const parts = SHAREGPT_SKIP_REASONS.filter((r) => skipped[r] > 0).map((r) => `${r} ${skipped[r]}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
