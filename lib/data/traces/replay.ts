import { open } from 'node:fs/promises';
import type { Tokenizer } from '../../tokenizer/index.ts';
import { DataError } from '../data-error.ts';
import type { TimedPrompt } from '../source.ts';
import { readAzureTrace } from './azure.ts';
import { readBurstGptTrace } from './burstgpt.ts';
import type { BurstGptReadOptions } from './burstgpt.ts';
import { readMooncakeTrace } from './mooncake.ts';
import { tracePrompts } from './prompts.ts';
import type { TracePromptOptions } from './prompts.ts';
import { replayWindow } from './trace.ts';
import type { ReplayWindow, Trace } from './trace.ts';

/**
 * A trace file to replayed prompts in one call: read it (format given or told from its first
 * line), apply the replay window (speed-up, caps) and build the token-exact prompts. This is the
 * entry point for the load runner's replay path; the steps are exported on their own for
 * callers that need the normalized trace.
 */

/** Trace formats with a reader. */
export type TraceFormat = Trace['format'];

/** Everything a replay of a trace file needs besides the tokenizer. */
export interface TraceReplayOptions extends ReplayWindow, TracePromptOptions, BurstGptReadOptions {
  /** The trace file. */
  path: string;
  /** Its format; default told from the first line (`{`: Mooncake, `TIMESTAMP,`: Azure, `Timestamp,`: BurstGPT). */
  format?: TraceFormat;
}

/** A replay ready to run. */
export interface TraceReplay {
  /** The trace as read, before the window. */
  trace: Trace;
  /** One prompt per replayed request, `atS` after the speed-up, earliest first. */
  prompts: TimedPrompt[];
  /** One line for the report: what was replayed, and what was left out. */
  summary: string;
}

/** Bytes read to tell the format. */
const PEEK_BYTES = 4096;

/**
 * The format of a trace file from its first non-blank line.
 * @throws DataError `DATA_INVALID` naming the file when no format matches.
 */
export async function detectTraceFormat(path: string): Promise<TraceFormat> {
  let head = '';
  try {
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(PEEK_BYTES);
      const { bytesRead } = await handle.read(buf, 0, PEEK_BYTES, 0);
      head = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new DataError('DATA_INVALID', 'data.path', `${path}: cannot read file: ${(err as Error).message}`, { cause: err });
  }
  if (head.startsWith('{')) return 'mooncake';
  if (head.startsWith('TIMESTAMP,')) return 'azure';
  if (head.startsWith('Timestamp,')) return 'burstgpt';
  throw new DataError('DATA_INVALID', 'data.path', `${path}: not a known trace format (expected Mooncake JSONL, an Azure CSV with TIMESTAMP,ContextTokens,GeneratedTokens, or a BurstGPT CSV with Timestamp,Model,...)`);
}

/** Reads a trace file of `format` (BurstGPT options apply to BurstGPT only). */
export function readTrace(path: string, format: TraceFormat, options: BurstGptReadOptions = {}): Promise<Trace> {
  return format === 'mooncake' ? readMooncakeTrace(path) : format === 'azure' ? readAzureTrace(path) : readBurstGptTrace(path, options);
}

/**
 * Reads `options.path`, keeps the window's requests and builds their prompts with `tokenizer`.
 * @throws DataError `DATA_INVALID` for a malformed file (naming file, line and field) or window;
 *   `DATA_UNBUILDABLE` when the tokenizer cannot be met exactly.
 */
export async function loadTraceReplay(options: TraceReplayOptions, tokenizer: Tokenizer): Promise<TraceReplay> {
  const format = options.format ?? (await detectTraceFormat(options.path));
  const trace = await readTrace(options.path, format, options);
  const requests = replayWindow(trace.requests, options);
  if (requests.length === 0) {
    throw new DataError('DATA_INVALID', 'data.path', `${options.path}: no request to replay (${trace.requests.length} read${trace.skipped ? `; ${trace.skipped}` : ''})`);
  }
  const prompts = await tracePrompts(trace, requests, tokenizer, options);
  const speed = (options.speedup ?? 1) === 1 ? '' : ` at ${options.speedup}x speed`;
  const cut = requests.length < trace.requests.length ? ` (${trace.requests.length - requests.length} after the cap not sent)` : '';
  const span = prompts.at(-1)!.atS;
  const summary = `${format} trace ${options.path}: ${prompts.length} request(s) over ${span.toFixed(1)} s${speed}${cut}${trace.skipped ? `; ${trace.skipped}` : ''}`;
  return { trace, prompts, summary };
}
