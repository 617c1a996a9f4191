/**
 * What multi-turn and replayed workloads send, before any request goes out: conversations
 * (`SessionPlan`, one per session, its turns in order) and timed requests read from a trace
 * (`TimedPrompt`, sent at the trace's own offsets). Data sources build them ahead of the run; the
 * load runner (`lib/load`) decides when each turn or request goes out and measures it.
 *
 * Chat: turn k's request carries the system prompt, every earlier user message and the server's
 * response to it, then turn k's `text` as the new user message. Completions: turn k's prompt is the
 * previous turn's prompt, its response, then turn k's `text`. Either way the server sees the
 * conversation so far as a growing shared prefix, which is what its prefix cache is for.
 */

/** One turn of a session: the new user content and how long a response it asks for. */
export interface TurnPlan {
  /** The new user message (chat) or the text appended to the running prompt (completions). */
  text: string;
  /** Tokens of `text` alone, by the source's tokenizer (the conversation so far is counted when sent). */
  tokens: number;
  /** `max_tokens` of this turn's request. */
  maxTokens: number;
  /** Seconds between the end of the previous turn's response and this turn's send (think time); 0 for the first turn. */
  thinkS: number;
}

/** One conversation: a shared system prompt and its turns, sent one after the other. */
export interface SessionPlan {
  /** Unique within the run; sent as the session header (default `x-session-id`) for gateway affinity. */
  id: string;
  /** The system prompt (chat) or leading text (completions) every turn starts with; empty when none. */
  system: string;
  /** Tokens of `system`, by the source's tokenizer. */
  systemTokens: number;
  /** The turns, in order (at least one). */
  turns: TurnPlan[];
  /** Label of the workload cell for reports (e.g. the conversation blueprint's name). */
  cell: string;
}
