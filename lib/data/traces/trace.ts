import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DataError } from '../data-error.ts';

/**
 * The normalized form every trace reader (`mooncake.ts`, `azure.ts`, `burstgpt.ts`) produces:
 * one request per line of the file, its arrival as seconds from the trace's first request, its
 * token lengths, and what the format records beyond that (hashed prefix blocks, a session id).
 * Replay options (speed-up, caps) and prompt building (`prompts.ts`) work on this form only, so
 * every format is replayed the same way.
 */

/** One request of a trace, in the trace's own units converted to seconds and tokens. */
export interface TraceRequest {
  /** Seconds from the trace's earliest request to this one, as recorded (before any speed-up). */
  atS: number;
  /** Prompt tokens the trace recorded. */
  inputTokens: number;
  /** Output tokens the trace recorded (0 for a request the trace marks as failed). */
  outputTokens: number;
  /** Ids of the prompt's hashed blocks, in order, when the format records them (Mooncake). */
  hashIds?: readonly number[];
  /** Session or conversation id, when the format records one. */
  session?: string;
  /** Model the trace says served the request, when it records one (BurstGPT). */
  model?: string;
  /** 1-based line of the file the request was read from. */
  line: number;
}

/** A trace read from a file, sorted by arrival (stable: ties keep file order). */
export interface Trace {
  /** Format the file was read as. */
  format: 'mooncake' | 'azure' | 'burstgpt';
  /** The file, as given to the reader. */
  file: string;
  /** Tokens per hashed block, for formats with `hashIds` (Mooncake: 512). */
  blockSize?: number;
  /** The requests, earliest first, `atS` of the first one 0. */
  requests: readonly TraceRequest[];
  /** Rows of the file not replayed and why (e.g. BurstGPT's failed requests), when any. */
  skipped?: string;
}

/** How a trace is replayed: a faster clock and a cap on its length. */
export interface ReplayWindow {
  /** The trace's clock runs this many times faster (2 halves every offset); default 1. */
  speedup?: number;
  /** Keep at most this many requests (the earliest). */
  maxRequests?: number;
  /** Keep the requests whose offset after the speed-up is below this many seconds. */
  maxDurationS?: number;
}

/**
 * The error for a malformed line: one `DataError` naming the file, the 1-based line and the field.
 * @returns `DATA_INVALID` with path `data.path`, e.g. `data.path: t.jsonl:3: field input_length: expected ...`.
 */
export function traceLineError(file: string, line: number, field: string, reason: string): DataError {
  return new DataError('DATA_INVALID', 'data.path', `${file}:${line}: field ${field}: ${reason}`);
}

/**
 * Calls `onLine` with each line of a trace file and its 1-based number, streamed (a trace of
 * gigabytes never becomes one string); a byte-order mark is dropped and `\r\n` accepted.
 * @throws DataError `DATA_INVALID` naming the file when it cannot be read.
 */
export async function forEachTraceLine(file: string, onLine: (text: string, line: number) => void): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read file: ${(err as Error).message}`;
    throw new DataError('DATA_INVALID', 'data.path', `${file}: ${why}`, { cause: err });
  }
  const lines = createInterface({ input: handle.createReadStream({ encoding: 'utf8', autoClose: false }), crlfDelay: Infinity });
  try {
    let line = 0;
    for await (const text of lines) {
      line++;
      onLine(line === 1 ? text.replace(/^\uFEFF/, '') : text, line);
    }
  } finally {
    lines.close();
    await handle.close();
  }
}

/**
 * An integer count field: a non-negative safe integer (written as `12`, or `12.0` as pandas writes
 * some columns). @throws the line error naming `field` otherwise.
 */
export function countField(value: unknown, file: string, line: number, field: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw traceLineError(file, line, field, `expected a non-negative integer, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return n;
}

/**
 * Sorts requests by their raw time (stable) and turns it into seconds from the earliest.
 * @param rawTimes the time of each request in the format's unit, same order as `requests`.
 * @param perSecond units of `rawTimes` per second (1000 for milliseconds).
 */
export function offsetsFromFirst(requests: TraceRequest[], rawTimes: readonly number[], perSecond: number): TraceRequest[] {
  const order = requests.map((_, i) => i).sort((a, b) => rawTimes[a]! - rawTimes[b]! || a - b);
  const first = order.length > 0 ? rawTimes[order[0]!]! : 0;
  return order.map((i) => ({ ...requests[i]!, atS: (rawTimes[i]! - first) / perSecond }));
}

/**
 * The requests a replay sends: offsets divided by `speedup`, then the earliest `maxRequests`, then
 * those whose sped-up offset is below `maxDurationS`. The caps are on the replayed timeline, so
 * `maxDurationS` is how long the replay runs whatever the speed-up.
 * @throws DataError `DATA_INVALID` for a speed-up that is not a positive number or a bad cap.
 */
export function replayWindow(requests: readonly TraceRequest[], window: ReplayWindow = {}): TraceRequest[] {
  const { speedup = 1, maxRequests, maxDurationS } = window;
  if (!(Number.isFinite(speedup) && speedup > 0)) {
    throw new DataError('DATA_INVALID', 'data.speedup', `expected a positive number, got ${String(speedup)}`);
  }
  if (maxRequests !== undefined && !(Number.isSafeInteger(maxRequests) && maxRequests >= 1)) {
    throw new DataError('DATA_INVALID', 'data.max_requests', `expected an integer >= 1, got ${String(maxRequests)}`);
  }
  if (maxDurationS !== undefined && !(Number.isFinite(maxDurationS) && maxDurationS > 0)) {
    throw new DataError('DATA_INVALID', 'data.max_duration_s', `expected a positive number of seconds, got ${String(maxDurationS)}`);
  }
  const kept: TraceRequest[] = [];
  for (const r of requests) {
    if (maxRequests !== undefined && kept.length >= maxRequests) break;
    const atS = r.atS / speedup;
    if (maxDurationS !== undefined && atS >= maxDurationS) break;
    kept.push({ ...r, atS });
  }
  return kept;
}

/**
 * Calls `onRow` with each row of a header-first CSV of plain cells (no quoting: the Azure and
 * BurstGPT traces have none), keyed by the header's names. Blank lines are skipped.
 * @param required columns the format defines; a missing one is an error on line 1.
 */
export async function forEachCsvRow(file: string, required: readonly string[], onRow: (cells: Record<string, string>, line: number) => void): Promise<void> {
  let header: string[] | undefined;
  await forEachTraceLine(file, (text, line) => {
    if (header === undefined) {
      header = text.split(',').map((h) => h.trim());
      for (const name of required) {
        if (!header.includes(name)) throw traceLineError(file, 1, name, `missing from the header (found: ${header.join(', ') || 'nothing'})`);
      }
      return;
    }
    if (text.trim() === '') return;
    if (text.includes('"')) throw traceLineError(file, line, header[0]!, 'quoted cells are not part of this format');
    const values = text.split(',');
    if (values.length !== header.length) {
      throw traceLineError(file, line, header[Math.min(values.length, header.length - 1)]!, `expected ${header.length} cells, got ${values.length}`);
    }
    onRow(Object.fromEntries(header.map((h, i) => [h, values[i]!.trim()])), line);
  });
  if (header === undefined) throw traceLineError(file, 1, required[0]!, 'the file is empty (no header)');
}
