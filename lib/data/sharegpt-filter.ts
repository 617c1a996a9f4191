import { DataError } from './data-error.ts';
import type { SharegptSkipReason } from './sharegpt-file.ts';

/**
 * Which conversations of a ShareGPT-shaped dataset are used, by their token counts. Two rules:
 *
 * - vLLM's (`vllm/benchmarks/datasets.py`, `is_valid_sequence`, the default): a prompt or reference
 *   reply under 4 tokens, a prompt over `max_prompt_tokens` or prompt + output over
 *   `max_total_tokens` is skipped.
 * - inference-perf's (kubernetes-sigs/inference-perf `inference_perf/datagen/dataset/hf_sharegpt_datagen.py`,
 *   `get_completion_data`; the same in `cnn_dailymail_datagen.py`, `infinity_instruct_datagen.py`
 *   and `hf_billsum_datagen.py`), chosen by `length_filter`: an empty prompt is skipped; with
 *   `input` set, a prompt whose token count is below `input.min` or above `input.max` is skipped;
 *   with `output` set, a reference reply whose token count is below `output.min` or above
 *   `output.max` is skipped. Nothing is clipped: a kept conversation is sent whole, and its
 *   max_tokens is the reply's token count. No other limit applies. One addition: a reply of 0
 *   tokens (an empty reply, without `output_len`) is skipped as `output_too_short`, since vLLM
 *   refuses `max_tokens: 0` (inference-perf would send it and see the request fail).
 */

/** Inclusive token range of a length filter. */
export interface TokenRange {
  min: number;
  max: number;
}

/** inference-perf's length filter: its `input_distribution` / `output_distribution` `min` and `max`. */
export interface SharegptLengthFilter {
  /** Prompt tokens kept (inclusive). Unset: any non-empty prompt. */
  input?: TokenRange | undefined;
  /** Reference-reply tokens kept (inclusive). Unset: any reply. */
  output?: TokenRange | undefined;
}

/** Shortest prompt and reference reply kept by vLLM's rule, in tokens. */
export const MIN_SHAREGPT_TOKENS = 4;
/** vLLM's default `max_prompt_tokens`. */
export const DEFAULT_MAX_PROMPT_TOKENS = 1024;
/** vLLM's default `max_total_tokens`. */
export const DEFAULT_MAX_TOTAL_TOKENS = 2048;

/** The length settings of a sharegpt config that a rule reads. */
export interface LengthSettings {
  output_len?: number | undefined;
  max_prompt_tokens?: number | undefined;
  max_total_tokens?: number | undefined;
  length_filter?: SharegptLengthFilter | undefined;
}

/** A length rule: the prompt-length range it can keep (for the cells) and its verdict on one conversation. */
export interface LengthRule {
  /** Shortest and longest prompt kept (`hi` is `Infinity` when unbounded). */
  lo: number;
  hi: number;
  /** Why a conversation with these counts is skipped, or undefined to keep it. `output` is max_tokens. */
  check(promptTokens: number, replyTokens: () => number, output: (reply: number) => number): SharegptSkipReason | undefined;
}

/** vLLM's rule (the default). */
function vllmRule(c: LengthSettings): LengthRule {
  const maxPrompt = c.max_prompt_tokens ?? DEFAULT_MAX_PROMPT_TOKENS;
  const maxTotal = c.max_total_tokens ?? DEFAULT_MAX_TOTAL_TOKENS;
  return {
    lo: MIN_SHAREGPT_TOKENS,
    hi: maxPrompt,
    check(tokens, replyTokens, output) {
      if (tokens < MIN_SHAREGPT_TOKENS) return 'prompt_too_short';
      const reply = c.output_len === undefined ? replyTokens() : 0;
      if (c.output_len === undefined && reply < MIN_SHAREGPT_TOKENS) return 'output_too_short';
      if (tokens > maxPrompt) return 'prompt_too_long';
      if (tokens + output(reply) > maxTotal) return 'total_too_long';
      return undefined;
    },
  };
}

/** inference-perf's rule (`length_filter`). */
function inferencePerfRule(f: SharegptLengthFilter, outputLen: number | undefined): LengthRule {
  const input = f.input;
  const out = f.output;
  return {
    lo: Math.max(1, input?.min ?? 1),
    hi: input?.max ?? Number.POSITIVE_INFINITY,
    check(tokens, replyTokens, output) {
      if (tokens === 0) return 'prompt_too_short';
      if (input && tokens < input.min) return 'prompt_too_short';
      if (input && tokens > input.max) return 'prompt_too_long';
      if (out || outputLen === undefined) {
        const reply = replyTokens();
        if (out && reply < out.min) return 'output_too_short';
        if (out && reply > out.max) return 'output_too_long';
        if (output(reply) < 1) return 'output_too_short';
      }
      return undefined;
    },
  };
}

/** The rule a config asks for. @throws DataError `DATA_INVALID` naming a bad or conflicting value. */
export function lengthRule(c: LengthSettings): LengthRule {
  if (c.length_filter === undefined) return vllmRule(c);
  for (const key of ['max_prompt_tokens', 'max_total_tokens'] as const) {
    if (c[key] !== undefined) {
      throw new DataError('DATA_INVALID', `data.${key}`, "belongs to vLLM's length filter, and data.length_filter chooses inference-perf's: give one of them");
    }
  }
  for (const side of ['input', 'output'] as const) {
    const r = c.length_filter[side];
    if (r === undefined) continue;
    for (const key of ['min', 'max'] as const) {
      if (!Number.isSafeInteger(r[key]) || r[key] < 0) {
        throw new DataError('DATA_INVALID', `data.length_filter.${side}.${key}`, `expected an integer >= 0, got ${String(r[key])}`);
      }
    }
    if (r.min > r.max) throw new DataError('DATA_INVALID', `data.length_filter.${side}.min`, `${r.min} is above max ${r.max}`);
  }
  return inferencePerfRule(c.length_filter, c.output_len);
}
