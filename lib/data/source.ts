/**
 * What a data source is: the prompts the benchmark sends, one per request index. The load
 * runner decides when a request goes out (`lib/load`); a data source decides what it says.
 * Indices are 0-based over the whole run, warm-up requests first, then the measured ones, so
 * warm-up never reuses a measured prompt.
 */
import type { SessionPlan } from './sessions.ts';

/** Tokenizer option of a data source: `auto` picks the target model's own when known. */
export type TokenizerOption = 'auto' | 'qwen3' | 'words';

/** One prompt ready to send. */
export interface Prompt {
  /** Prompt text (for chat: the single user message content). */
  text: string;
  /**
   * Prompt tokens the server should count, by the source's tokenizer: the text's, plus the chat
   * template's on the chat API (sized sources build the text so this equals the configured length).
   */
  tokens: number;
  /** max_tokens to request. */
  maxTokens: number;
  /** Label of the workload cell this prompt belongs to, e.g. `prompt=500,max_tokens=100`; reports break statistics down by it. */
  cell: string;
}

/** Which tokenizer a data source counts with, for the report's provenance. */
export interface TokenizerProvenance {
  /** Registry name of the tokenizer, e.g. `qwen3`. */
  name: string;
  /** `model` for a real model tokenizer, `stand-in` for the deterministic word tokenizer. */
  kind: 'model' | 'stand-in';
  /**
   * `true` when it is the target model's own tokenizer, so prompt sizes are exact on the server
   * too; `false` means they are approximate there and the server's `usage` is the truth.
   */
  exact: boolean;
  /** Why the tokenizer is not the one that would have been chosen (it could not be loaded), for the report. */
  note?: string;
}

/** A source of prompts, one per request index. */
export interface DataSource {
  /** Registry key, same literal as the config's `data.type`. */
  readonly type: string;
  /** Tokenizer used, and whether it is the target model's own (`exact`), for the report's provenance. */
  readonly tokenizer: TokenizerProvenance;
  /** Distinct cells in the order they cycle. */
  readonly cells: readonly string[];
  /** Builds prompts 0..count-1 ahead of the run (never on the request hot path). */
  prepare(count: number): Promise<void>;
  /** The prepared prompt for request i (throws a clear error if not prepared). */
  get(i: number): Prompt;
  /** One line for the report about what the source did (entries skipped, prompts reused), when it has something to say. */
  summary?(): string | undefined;
  /**
   * Multi-turn sources (`conversations`, `shared_prefix` with `enable_multi_turn_chat`): the run
   * sends sessions (`SessionPlan`, turn after turn) instead of single prompts; `get(i)` then only
   * gives the warm-up requests, which stay single requests.
   */
  readonly sessions?: SessionSource;
  /** Trace replays (`trace`): when the trace sent each prompt; the `trace` load sends them then. */
  readonly timing?: TraceTiming;
}

/** The sessions of a multi-turn source, built ahead of the run like prompts. */
export interface SessionSource {
  /** Builds session plans 0..count-1 (never on the request hot path). */
  prepare(count: number): Promise<void>;
  /** The plan of session i, i counting the run's sessions from 0 (throws a clear error if not prepared). */
  session(i: number): SessionPlan;
  /** Name of the header that carries the session id on every turn (default `x-session-id`). */
  readonly header: string;
}

/**
 * When a replayed trace sent each of its requests. The source's prompts are the trace's requests
 * in order: measured request k is `get(warmup + k)` and is due `atS(k) / speedup` s after the
 * measured phase starts.
 */
export interface TraceTiming {
  /** Requests the replay sends (after the window). */
  readonly count: number;
  /** Seconds from the trace's first replayed request to request k, on the trace's clock. */
  atS(k: number): number;
  /** What the trace was, for the report (`TraceReport` without what only the run can measure). */
  readonly info: {
    format: string;
    file: string;
    skipped?: Array<{ reason: string; rows: number }>;
    blockSize: number | null;
    /** Tokens the trace's block reuse predicts cached over the replayed requests (null without block hashes). */
    expectedCachedTokens: number | null;
  };
}

/** The API prompts are sent on: on `chat` the server counts a chat template around the text. */
export type PromptApi = 'chat' | 'completions';

/** What every data source factory gets besides its own config. */
export interface DataSourceContext {
  /** API the prompts go to; sources that size prompts leave room for the chat template on `chat`. Default completions. */
  api?: PromptApi;
  /** Model name the target serves, used by `tokenizer: auto` to pick the model's own tokenizer. */
  model: string;
  /** Tokenizer to use when the data config names none (default `auto`). */
  tokenizer?: TokenizerOption;
  /** Warm-up requests the run sends first (indices 0..n-1); a trace replay's requests follow them. Default 0. */
  warmupRequests?: number;
}

/** A request of a replayed trace: its prompt, and when the trace sent it. */
export interface TimedPrompt extends Prompt {
  /** Seconds from the trace's first request to this one, as the trace recorded it (before any speed-up). */
  atS: number;
  /** The trace's session or conversation this request belongs to, when it records one. */
  session?: string;
}
