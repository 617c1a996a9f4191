/**
 * Reader of OpenTelemetry agent traces (inference-perf's `otel_trace_replay` data, which its
 * agentic-trace-replay workload uses), as timed prompts. Definition: kubernetes-sigs/inference-perf
 * `inference_perf/datagen/replay/otel_trace_to_replay_graph.py` (`is_llm_span`,
 * `filter_duplicate_spans`, `build_raw_calls`, `extract_messages`, `extract_output_message`,
 * `message_content_text`, `build_graph`'s `expected_output_tokens`) and
 * `inference_perf/datagen/replay/otel_trace_replay_datagen.py` (session id), commit 7de5ef2e.
 *
 * The format: a JSON file `{trace_id, span_count, collected_at, spans}` (a dataset record may add
 * `session_id`); a span has `span_id`, `name`, ISO `start_time`/`end_time`, `status.code` (2 =
 * error) and `attributes`. An LLM call is a span whose `gen_ai.operation.name` is `chat` (or whose
 * name starts with `chat `) with non-empty `gen_ai.input.messages` (a JSON list of
 * `{role, content}`); error spans are left out unless `include_errors`. Identical spans (same
 * start, end and attributes) count once. Calls are ordered by start time (then span id) and timed
 * from the first call's start. A call asks for `gen_ai.usage.completion_tokens` (or
 * `output_tokens`) tokens, else as many as its recorded output (`gen_ai.output.text`,
 * `gen_ai.completion`, `gen_ai.output`), else `default_max_tokens`.
 *
 * Upstream replays a trace as a dependency graph of chat calls whose recorded assistant turns it
 * replaces with the live outputs of their predecessors; a timed prompt carries one text, so here a
 * call's prompt is its recorded messages' contents, in order, one per paragraph (non-text content
 * as JSON, as `message_content_text`), and its size is counted by the run's tokenizer (upstream
 * estimates four characters a token). Consecutive calls of a conversation repeat the earlier
 * messages, so they share a prefix as the trace's calls do.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Tokenizer } from '../../tokenizer/index.ts';
import { DataError } from '../data-error.ts';
import type { TimedPrompt } from '../source.ts';

/** A span of an OTel trace file (the keys this reader uses). */
export interface OTelSpan {
  span_id?: string;
  name?: string;
  start_time: string;
  end_time?: string;
  status?: { code?: number };
  attributes?: Record<string, unknown>;
}

/** An OTel trace file. */
export interface OTelTrace {
  trace_id?: string;
  session_id?: string;
  spans: OTelSpan[];
}

/** Options of the reader, named as in `data.otel_trace_replay`. */
export interface OTelReadOptions {
  /** Keep spans with error status (upstream default true). */
  include_errors: boolean;
  /** max_tokens of a call that records no output (upstream default 1000). */
  default_max_tokens: number;
}

/** Seconds since the epoch of an ISO-8601 time; a time without a zone is UTC, as upstream's `parse_iso`. */
export function parseIsoSeconds(ts: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/.exec(ts);
  const ms = m ? Date.parse(`${m[1]}${m[3] ?? 'Z'}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new DataError('DATA_INVALID', '', `not an ISO-8601 time: ${ts}`);
  // The fraction is added apart: Date keeps only milliseconds, traces record microseconds.
  return ms / 1000 + Number(m[2] ?? 0);
}

/** Whether `span` is an LLM call (`is_llm_span`). */
export function isLlmSpan(span: OTelSpan, includeErrors: boolean): boolean {
  const attrs = span.attributes ?? {};
  const llm = (attrs['gen_ai.operation.name'] === 'chat' || (span.name ?? '').startsWith('chat ')) && Boolean(attrs['gen_ai.input.messages']);
  return llm && (includeErrors || span.status?.code !== 2);
}

/** Text of one message's content (`message_content_text`). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((b) => (typeof b === 'object' && b !== null ? JSON.stringify(b) : String(b))).join(' ');
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

/** The call's messages, parsed. */
function messagesOf(span: OTelSpan): { role: string; content?: unknown }[] {
  const raw = span.attributes?.['gen_ai.input.messages'];
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new DataError('DATA_INVALID', `span ${span.span_id ?? '?'}`, 'gen_ai.input.messages is not JSON');
    }
  }
  return Array.isArray(parsed) ? (parsed as { role: string; content?: unknown }[]) : [];
}

/** max_tokens of a call: recorded completion tokens, else its recorded output's, else the default. */
function outputTokens(span: OTelSpan, tokenizer: Tokenizer, fallback: number): number {
  const a = span.attributes ?? {};
  const recorded = a['gen_ai.usage.completion_tokens'] ?? a['gen_ai.usage.output_tokens'];
  if (typeof recorded === 'number' && recorded > 0) return Math.trunc(recorded);
  const out = ['gen_ai.output.text', 'gen_ai.completion', 'gen_ai.output'].map((k) => a[k]).find((v) => typeof v === 'string') as string | undefined;
  const n = out ? tokenizer.count(out) : 0;
  return n > 0 ? n : fallback;
}

/**
 * The timed prompts of one OTel trace: its LLM calls in start order, `atS` seconds from the first
 * call's start, `session` the record's `session_id`, else its `trace_id`, else `name`.
 * @throws DataError `DATA_INVALID` for a span without a readable time or messages.
 */
export function readOTelTrace(trace: OTelTrace, tokenizer: Tokenizer, options: OTelReadOptions, name = 'trace'): TimedPrompt[] {
  const seen = new Set<string>();
  const calls = trace.spans.filter((s) => {
    const key = `${s.start_time}|${s.end_time ?? ''}|${JSON.stringify(s.attributes ?? {})}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return isLlmSpan(s, options.include_errors);
  });
  const session = trace.session_id ?? trace.trace_id ?? name;
  const timed = calls.map((s) => ({ s, t: parseIsoSeconds(s.start_time) }));
  timed.sort((a, b) => a.t - b.t || (a.s.span_id ?? '').localeCompare(b.s.span_id ?? ''));
  const t0 = timed[0]?.t ?? 0;
  return timed.map(({ s, t }) => {
    const text = messagesOf(s).map((m) => contentText(m.content)).join('\n\n');
    return { text, tokens: tokenizer.count(text), maxTokens: outputTokens(s, tokenizer, options.default_max_tokens), cell: 'otel_trace_replay', atS: t - t0, session };
  });
}

/** Reads an OTel trace JSON file, then {@link readOTelTrace} (session id falls back to the file's stem). */
export async function readOTelTraceFile(path: string, tokenizer: Tokenizer, options: OTelReadOptions): Promise<TimedPrompt[]> {
  let trace: OTelTrace;
  try {
    trace = JSON.parse(await readFile(path, 'utf8')) as OTelTrace;
  } catch (err) {
    throw new DataError('DATA_INVALID', path, `not a readable OTel trace JSON file: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(trace?.spans)) throw new DataError('DATA_INVALID', path, 'an OTel trace needs a spans array');
  return readOTelTrace(trace, tokenizer, options, basename(path, extname(path)));
}
