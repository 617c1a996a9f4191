import { countField, forEachTraceLine, offsetsFromFirst, traceLineError } from './trace.ts';
import type { Trace, TraceRequest } from './trace.ts';

/**
 * The Mooncake trace format (JSONL), as its owners define it: kvcache-ai/Mooncake,
 * `FAST25-release/README.md` and the traces in `FAST25-release/traces/` (`conversation_trace.jsonl`,
 * `synthetic_trace.jsonl`). One JSON object a line:
 *
 * - `timestamp`: the request's arrival in milliseconds since the first request (several requests
 *   may share one);
 * - `input_length`, `output_length`: prompt and output tokens;
 * - `hash_ids`: the remapped hashes of the prompt's KV-cache blocks, in order, one per block of
 *   {@link MOONCAKE_BLOCK_SIZE} tokens (the last block may be partial, so a request has
 *   `ceil(input_length / 512)` of them); two requests whose lists start with the same ids share
 *   that many blocks of prompt prefix.
 *
 * Replayers read it the same way: AIPerf (ai-dynamo/aiperf, `docs/benchmark_modes/trace_replay.md`,
 * and `src/aiperf/dataset/generator/prompt.py`, `_build_token_sequence`: one cached token block
 * per hash id, 512 tokens by default, the last block `input_length - (len(hash_ids) - 1) * 512`)
 * and NVIDIA Dynamo's `benchmarks/data_generator/README.md` ("the arrival time (in milliseconds)
 * of the request since the first request"). AIPerf's `MooncakeTrace` model also takes an optional
 * `session_id` (a conversation's requests) and a fractional `timestamp`; both are read here.
 */

/** Tokens per hashed block in the Mooncake traces. */
export const MOONCAKE_BLOCK_SIZE = 512;

/** One line of a Mooncake trace, as written. */
export interface MooncakeRecord {
  /** Milliseconds since the first request. */
  timestamp: number;
  /** Prompt tokens. */
  input_length: number;
  /** Output tokens. */
  output_length: number;
  /** Block ids of the prompt, one per 512 tokens. */
  hash_ids: number[];
  /** The conversation the request belongs to (AIPerf's extension), when written. */
  session_id?: string;
}

/** Reads one Mooncake JSONL line, or throws the error naming the file, line and field. */
function parseLine(text: string, file: string, line: number): { request: TraceRequest; timestampMs: number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw traceLineError(file, line, '(json)', `not a JSON value: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw traceLineError(file, line, '(json)', 'expected a JSON object');
  }
  const o = value as Record<string, unknown>;
  const ts = o.timestamp;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) {
    throw traceLineError(file, line, 'timestamp', `expected milliseconds >= 0, got ${JSON.stringify(ts) ?? 'nothing'}`);
  }
  const inputTokens = countField(o.input_length, file, line, 'input_length');
  if (inputTokens < 1) throw traceLineError(file, line, 'input_length', 'expected at least 1 token, got 0');
  const outputTokens = countField(o.output_length, file, line, 'output_length');
  const request: TraceRequest = { atS: 0, inputTokens, outputTokens, line };
  if (o.hash_ids !== undefined) {
    if (!Array.isArray(o.hash_ids)) throw traceLineError(file, line, 'hash_ids', 'expected an array of integers');
    request.hashIds = o.hash_ids.map((id, k) => countField(id, file, line, `hash_ids[${k}]`));
  }
  if (o.session_id !== undefined) {
    if (typeof o.session_id !== 'string' && typeof o.session_id !== 'number') {
      throw traceLineError(file, line, 'session_id', 'expected a string or a number');
    }
    request.session = String(o.session_id);
  }
  return { request, timestampMs: ts };
}

/**
 * Reads a Mooncake trace: milliseconds become seconds from the earliest request, `hash_ids` the
 * request's block ids (block size 512). Blank lines are skipped.
 * @throws DataError `DATA_INVALID` naming the file, line and field of the first malformed line.
 */
export async function readMooncakeTrace(file: string): Promise<Trace> {
  const requests: TraceRequest[] = [];
  const times: number[] = [];
  await forEachTraceLine(file, (text, line) => {
    if (text.trim() === '') return;
    const { request, timestampMs } = parseLine(text, file, line);
    requests.push(request);
    times.push(timestampMs);
  });
  return { format: 'mooncake', file, blockSize: MOONCAKE_BLOCK_SIZE, requests: offsetsFromFirst(requests, times, 1000) };
}

/** One Mooncake line, keys in the order of the upstream traces. */
export function formatMooncakeLine(r: MooncakeRecord): string {
  const head = `{"timestamp": ${r.timestamp}, "input_length": ${r.input_length}, "output_length": ${r.output_length}, "hash_ids": [${r.hash_ids.join(', ')}]`;
  return r.session_id === undefined ? `${head}}` : `${head}, "session_id": ${JSON.stringify(r.session_id)}}`;
}
