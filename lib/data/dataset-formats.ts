import { firstExchange } from './sharegpt-file.ts';
import type { Exchange, SharegptSkipReason } from './sharegpt-file.ts';

/**
 * How an entry of a dataset file becomes an exchange (the prompt sent, and the reference reply
 * whose token count is `max_tokens`), per file format, keyed by the same literal as the config's
 * `data.format`. `sharegpt` is vLLM's reading of ShareGPT; the others are inference-perf's
 * readers of its dataset types on the completion API (kubernetes-sigs/inference-perf
 * `inference_perf/datagen/dataset/`):
 *
 * - `first_two_turns`, its `shareGPT` and `billsum_conversations` (`hf_sharegpt_datagen.py`
 *   `get_completion_data`, `hf_billsum_datagen.py`): turn 0's `value` is the prompt and turn 1's
 *   the reply, whatever their roles (a turn given as a JSON string is parsed, as inference-perf
 *   does for ShareGPT dumps that have them); fewer than 2 turns or an empty prompt is skipped.
 * - `cnn_dailymail` (`cnn_dailymail_datagen.py`): `article` is the prompt, `highlights` the reply.
 * - `infinity_instruct` (`infinity_instruct_datagen.py`): the last turn is the reply and must be
 *   from `gpt`; the prompt is every earlier turn's `value` joined by a line break; an empty prompt
 *   or reply is skipped.
 */
export type DatasetFormat = 'sharegpt' | 'first_two_turns' | 'cnn_dailymail' | 'infinity_instruct';

type Read = Exchange | Extract<SharegptSkipReason, 'not_a_conversation' | 'too_few_turns' | 'no_human_assistant_pair'>;

const textOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A turn: an object, or (as some ShareGPT dumps have) a string holding one (inference-perf issue 429). */
function turnAt(turns: unknown[], k: number): Record<string, unknown> | undefined {
  let t = turns[k];
  if (typeof t === 'string') {
    try {
      t = JSON.parse(t);
    } catch {
      return undefined;
    }
  }
  return typeof t === 'object' && t !== null && !Array.isArray(t) ? (t as Record<string, unknown>) : undefined;
}

function turnsOf(entry: unknown): unknown[] | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  const c = (entry as Record<string, unknown>).conversations;
  return Array.isArray(c) ? c : undefined;
}

/** Readers keyed by format; the mapped type makes a missing one a compile error. */
export const DATASET_FORMATS: { readonly [F in DatasetFormat]: (entry: unknown) => Read } = {
  sharegpt: firstExchange,
  first_two_turns(entry) {
    const turns = turnsOf(entry);
    if (!turns) return 'not_a_conversation';
    if (turns.length < 2) return 'too_few_turns';
    const prompt = textOf(turnAt(turns, 0)?.value);
    const reply = textOf(turnAt(turns, 1)?.value);
    return prompt && reply !== undefined ? { prompt, reply } : 'no_human_assistant_pair';
  },
  cnn_dailymail(entry) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'not_a_conversation';
    const e = entry as Record<string, unknown>;
    const prompt = textOf(e.article);
    const reply = textOf(e.highlights);
    return prompt && reply !== undefined ? { prompt, reply } : 'not_a_conversation';
  },
  infinity_instruct(entry) {
    const turns = turnsOf(entry);
    if (!turns || turns.length === 0) return 'not_a_conversation';
    const last = turnAt(turns, turns.length - 1);
    const reply = textOf(last?.value);
    if (last?.from !== 'gpt' || !reply) return 'no_human_assistant_pair';
    const prompt = turns.slice(0, -1).map((_, k) => textOf(turnAt(turns, k)?.value) ?? '').join('\n');
    return prompt ? { prompt, reply } : 'no_human_assistant_pair';
  },
};

/** Every format, in registry order. */
export const DATASET_FORMAT_NAMES = Object.freeze(Object.keys(DATASET_FORMATS) as DatasetFormat[]);
