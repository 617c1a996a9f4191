import { open, readFile } from 'node:fs/promises';
import { deriveSeed } from '../../stats/prng.ts';
import type { Tokenizer } from '../../tokenizer/index.ts';
import { readOTelTraceFile } from '../conversations/otel-trace.ts';
import { readWekaTraceFile } from '../conversations/weka-trace.ts';
import { DataError } from '../data-error.ts';
import type { PromptApi, TimedPrompt } from '../source.ts';
import { detectTraceFormat, loadTraceReplay } from './replay.ts';

/**
 * The files of a `data.type: trace` source read into one replay: every file read by its format's
 * reader (Mooncake, Azure and BurstGPT by `loadTraceReplay`; Weka and OTel by the readers of
 * `lib/data/conversations`), merged by time (each file from its own time 0), cut to the window,
 * and each request's full prefix blocks named, so the block reuse the trace predicts can be
 * counted (`expectedCachedTokens`).
 */

/** The formats a trace source reads. */
export type ReplayFormat = 'mooncake' | 'azure' | 'burstgpt' | 'weka' | 'otel';

/** What the files are and how to read them (the `data.type: trace` keys a reader needs). */
export interface ReplayFilesConfig {
  path: string | string[];
  format?: ReplayFormat | 'auto' | undefined;
  block_size?: number | undefined;
  max_requests?: number | undefined;
  max_duration_s?: number | undefined;
  seed: number;
  burstgpt?: { failures?: 'drop' | 'keep' | undefined; model?: string | undefined } | undefined;
  weka?: { trace_idle_gap_cap_seconds: number; default_block_size: number } | undefined;
  otel?: { include_errors: boolean; default_max_tokens: number } | undefined;
}

/** One replayed request: its prompt, and the keys of its full prefix blocks in order (null: the format has no block hashes). */
export interface ReplayEntry {
  prompt: TimedPrompt;
  blocks: string[] | null;
}

/** The merged replay. */
export interface ReplayFiles {
  format: ReplayFormat;
  /** Tokens per block, null for a format without block hashes. */
  blockSize: number | null;
  /** The window's requests, earliest first, `atS` on the trace's clock from the first. */
  entries: ReplayEntry[];
  /** Rows left out by the readers, by reason. */
  skipped: Array<{ reason: string; rows: number }>;
  /** Requests read before the window. */
  read: number;
}

/** Bytes read to tell a file's format. */
const PEEK_BYTES = 65536;

/** Defaults of inference-perf's `weka_trace_replay` and `otel_trace_replay` (lib/data/conversations/schema.ts). */
const WEKA_DEFAULTS = { trace_idle_gap_cap_seconds: 60, default_block_size: 64 };
const OTEL_DEFAULTS = { include_errors: true, default_max_tokens: 1000 };

/** Re-throws a reader's error as one naming `data.path`. */
function namingPath(err: unknown): never {
  if (err instanceof DataError && err.path.startsWith('data.')) throw err;
  throw new DataError('DATA_INVALID', 'data.path', (err as Error).message, { cause: err });
}

/**
 * The format of a trace file: a JSON document with `spans` is OTel, one with `requests` Weka, a
 * first line with `input_length` Mooncake, else the CSV headers (`detectTraceFormat`).
 * @throws DataError naming `data.path` for a missing file or no known format.
 */
export async function detectReplayFormat(path: string): Promise<ReplayFormat> {
  let head: string;
  try {
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(PEEK_BYTES);
      head = buf.subarray(0, (await handle.read(buf, 0, PEEK_BYTES, 0)).bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    } finally {
      await handle.close();
    }
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read file: ${(err as Error).message}`;
    throw new DataError('DATA_INVALID', 'data.path', `${path}: ${why}`, { cause: err });
  }
  if (!head.startsWith('{')) return detectTraceFormat(path);
  const first = head.slice(0, head.indexOf('\n') >>> 0);
  const parse = (s: string): Record<string, unknown> | null => {
    try {
      const v: unknown = JSON.parse(s);
      return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  if (parse(first)?.input_length !== undefined) return 'mooncake';
  const whole = parse(await readFile(path, 'utf8'));
  if (Array.isArray(whole?.spans)) return 'otel';
  if (Array.isArray(whole?.requests)) return 'weka';
  throw new DataError('DATA_INVALID', 'data.path', `${path}: not a known trace format (expected Mooncake JSONL, a Weka JSON with requests, an OTel JSON with spans, or an Azure or BurstGPT CSV)`);
}

/** The full blocks of a prompt built by `tracePrompts`: its text's pieces are its tokens, `blockSize` a block. */
function textBlocks(text: string, tokens: number, blockSize: number): string[] {
  const pieces = text.split(' ');
  const out: string[] = [];
  for (let k = 0; (k + 1) * blockSize <= Math.min(tokens, pieces.length); k++) out.push(pieces.slice(k * blockSize, (k + 1) * blockSize).join(' '));
  return out;
}

/** Reads file `k` of the source as `format`. */
async function readOne(path: string, k: number, format: ReplayFormat, cfg: ReplayFilesConfig, tokenizer: Tokenizer, api: PromptApi | undefined): Promise<{ entries: ReplayEntry[]; blockSize: number | null; skipped?: string }> {
  // Each file's block texts from its own seed: two files' equal ids are not the same block.
  const seed = deriveSeed(cfg.seed, k);
  if (format === 'weka') {
    const options = { ...WEKA_DEFAULTS, ...cfg.weka, seed };
    const prompts = await readWekaTraceFile(path, tokenizer, options).catch(namingPath);
    const declared = (JSON.parse(await readFile(path, 'utf8')) as { block_size?: number }).block_size;
    const blockSize = declared || options.default_block_size;
    return { blockSize, entries: prompts.map((prompt) => ({ prompt, blocks: textBlocks(prompt.text, prompt.tokens, blockSize).map((b) => `${k}:${b}`) })) };
  }
  if (format === 'otel') {
    const prompts = await readOTelTraceFile(path, tokenizer, { ...OTEL_DEFAULTS, ...cfg.otel }).catch(namingPath);
    return { blockSize: null, entries: prompts.map((prompt) => ({ prompt, blocks: null })) };
  }
  const { trace, prompts } = await loadTraceReplay({ path, format, seed, ...(api ? { api } : {}), ...(cfg.block_size ? { blockSize: cfg.block_size } : {}), ...cfg.burstgpt }, tokenizer).catch(namingPath);
  const blockSize = cfg.block_size ?? trace.blockSize ?? null;
  const entries = prompts.map((prompt, i) => {
    const r = trace.requests[i]!;
    const blocks = blockSize === null || r.hashIds === undefined ? null : r.hashIds.slice(0, Math.floor(r.inputTokens / blockSize)).map((id) => `${k}:${id}`);
    return { prompt, blocks };
  });
  return { entries, blockSize, ...(trace.skipped ? { skipped: trace.skipped } : {}) };
}

/** `3 failed request(s) (Response tokens 0) dropped; 2 ...` as counted reasons. */
function skippedRows(notes: string[]): Array<{ reason: string; rows: number }> {
  const byReason = new Map<string, number>();
  for (const note of notes.flatMap((n) => n.split('; '))) {
    const m = /^(\d+) (.*)$/.exec(note);
    const reason = m ? m[2]! : note;
    byReason.set(reason, (byReason.get(reason) ?? 0) + (m ? Number(m[1]) : 0));
  }
  return [...byReason].map(([reason, rows]) => ({ reason, rows }));
}

/**
 * Reads every file of `cfg.path`, merges them by time and keeps the window: the earliest
 * `max_requests`, those before `max_duration_s` on the trace's clock.
 * @throws DataError naming `data.path` (or the key) for a missing, malformed or empty trace, or files of different formats.
 */
export async function readReplayFiles(cfg: ReplayFilesConfig, tokenizer: Tokenizer, api?: PromptApi): Promise<ReplayFiles> {
  const paths = Array.isArray(cfg.path) ? cfg.path : [cfg.path];
  const formats = await Promise.all(paths.map((p) => (cfg.format === undefined || cfg.format === 'auto' ? detectReplayFormat(p) : cfg.format)));
  const format = formats[0]!;
  const other = formats.findIndex((f) => f !== format);
  if (other >= 0) throw new DataError('DATA_INVALID', `data.path[${other}]`, `${paths[other]} is a ${formats[other]} trace, ${paths[0]} a ${format} one: the files of one source share a format`);
  const files = await Promise.all(paths.map((p, k) => readOne(p, k, format, cfg, tokenizer, api)));
  const all = files.flatMap((f) => f.entries).sort((a, b) => a.prompt.atS - b.prompt.atS);
  const entries: ReplayEntry[] = [];
  for (const e of all) {
    if (cfg.max_requests !== undefined && entries.length >= cfg.max_requests) break;
    if (cfg.max_duration_s !== undefined && e.prompt.atS >= cfg.max_duration_s) break;
    entries.push(e);
  }
  if (entries.length === 0) throw new DataError('DATA_INVALID', 'data.path', `${paths.join(', ')}: no request to replay (${all.length} read before the window)`);
  const t0 = entries[0]!.prompt.atS;
  for (const e of entries) e.prompt = { ...e.prompt, atS: e.prompt.atS - t0 };
  const skipped = skippedRows(files.flatMap((f) => (f.skipped ? [f.skipped] : [])));
  return { format, blockSize: files[0]!.blockSize, entries, skipped, read: all.length };
}

/**
 * Prompt tokens a prefix cache of `blockSize`-token blocks serves if it keeps every block sent:
 * for each request in order, its leading full blocks that an earlier request already sent (a
 * prefix cache hits a block only after a hit on every block before it), at most
 * `floor((tokens - 1) / blockSize)` blocks (vLLM computes a prompt's last token even when all of
 * it is cached: `vllm/v1/core/kv_cache_manager.py`, `max_cache_hit_length = num_tokens - 1`),
 * times the block size. Null for a replay without block hashes.
 */
export function expectedCachedTokens(entries: readonly ReplayEntry[], blockSize: number | null): number | null {
  if (blockSize === null || entries.every((e) => e.blocks === null)) return null;
  const seen = new Set<string>();
  let cached = 0;
  for (const { prompt, blocks } of entries) {
    if (blocks === null) continue;
    const most = Math.min(blocks.length, Math.floor((prompt.tokens - 1) / blockSize));
    let run = 0;
    while (run < most && seen.has(blocks[run]!)) run++;
    cached += run * blockSize;
    for (const b of blocks) seen.add(b);
  }
  return cached;
}
