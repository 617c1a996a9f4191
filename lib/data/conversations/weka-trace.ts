/**
 * Reader of Weka KV-cache-tester traces (inference-perf's `weka_trace_replay` data), as timed
 * prompts. Definition: kubernetes-sigs/inference-perf
 * `inference_perf/datagen/replay/weka_trace_replay_datagen.py` (`WekaTrace` and its request
 * models, `_IdleGapTimeWarp`, `_pack_into_streams`, `_subagent_request_absolute_t`,
 * `ConversationReconstructor.init_turn_0`), commit 7de5ef2e.
 *
 * The format: one JSON object per trace, `{id, models, block_size, tool_tokens, system_tokens,
 * requests}`. A request is `{t, type: "n" | "s", model, in, out, hash_ids, api_time?,
 * think_time?}` (`t` seconds on the trace's clock, `in`/`out` token counts, `hash_ids` the ids
 * of the prompt's `block_size`-token blocks, equal ids meaning equal blocks) or a subagent entry
 * `{t, type: "subagent", agent_id, subagent_type, duration_ms?, requests, tool_tokens,
 * system_tokens}` whose requests are `n` requests (a `t` below the entry's is relative to it).
 *
 * Meaning kept from upstream: the main requests are one session (`id`); a subagent's requests
 * are packed into streams that do not overlap in time (`api_time`), each a session
 * `<id>::sa:<agent_id>` (`:s<k>` when more than one); every gap between consecutive request
 * starts longer than `trace_idle_gap_cap_seconds` is shortened to the cap (a cap <= 0 keeps the
 * trace's times); a hash id stands for the same block text wherever it occurs in the trace (text
 * seeded by seed, trace id and hash id), so the server sees the trace's block reuse as shared
 * prefixes. A prompt is its first `min(hash_ids, floor(in / block_size))` blocks, then fresh text
 * up to `in` tokens, exactly, by the run's tokenizer (`tracePrompts` of lib/data/traces/prompts.ts,
 * which builds every trace's hashed blocks); `max_tokens` is `out`.
 *
 * Upstream sends these as chat messages split into system/user/assistant roles and substitutes
 * its reconstructed assistant text for the live one; here each request is one completions
 * prompt with the same token sequence up to the block boundaries. Upstream declares
 * `ignore_trace_delays` and `use_think_time_only` but never reads them; so does this reader.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Tokenizer } from '../../tokenizer/index.ts';
import { DataError } from '../data-error.ts';
import type { TimedPrompt } from '../source.ts';
import { tracePrompts } from '../traces/prompts.ts';
import type { TraceRequest } from '../traces/trace.ts';

/** A main-thread request of a Weka trace. */
export interface WekaRequest {
  t: number;
  type: 'n' | 's';
  model: string;
  in: number;
  out: number;
  hash_ids?: number[];
  api_time?: number;
  think_time?: number;
}

/** A subagent entry of a Weka trace. */
export interface WekaSubagent {
  t: number;
  type: 'subagent';
  agent_id: string;
  subagent_type: string;
  duration_ms?: number;
  requests: WekaRequest[];
  tool_tokens?: number;
  system_tokens?: number;
}

/** One Weka trace file. */
export interface WekaTrace {
  id: string;
  models: string[];
  block_size: number;
  tool_tokens?: number;
  system_tokens?: number;
  requests: (WekaRequest | WekaSubagent)[];
}

/** Options of the reader, named as in `data.weka_trace_replay`. */
export interface WekaReadOptions {
  /** Seed of the block texts. */
  seed: number;
  /** Idle gaps longer than this are shortened to it; <= 0 keeps the trace's gaps (upstream default 60). */
  trace_idle_gap_cap_seconds: number;
  /** Block size when the trace has none (upstream default 64). */
  default_block_size: number;
}

/** Maps trace seconds to seconds with every gap between request starts capped (`_IdleGapTimeWarp`). */
export function idleGapWarp(starts: readonly number[], cap: number): (t: number) => number {
  const sorted = [...starts].sort((a, b) => a - b);
  const gaps: { start: number; end: number; before: number; excess: number }[] = [];
  let shift = 0;
  for (let i = 1; i < sorted.length && cap > 0; i++) {
    const gap = sorted[i]! - sorted[i - 1]!;
    if (gap > cap) {
      gaps.push({ start: sorted[i - 1]!, end: sorted[i]!, before: shift, excess: gap - cap });
      shift += gap - cap;
    }
  }
  return (t) => {
    let s = 0;
    for (const g of gaps) {
      if (t < g.start) return t - g.before;
      if (t < g.end) return Math.min(t, g.start + cap) - g.before;
      s = g.before + g.excess;
    }
    return t - s;
  };
}

/** A subagent's requests packed into streams that do not overlap in time (`_pack_into_streams`). */
export function packStreams(requests: readonly WekaRequest[]): WekaRequest[][] {
  const streams: WekaRequest[][] = [];
  const ends: number[] = [];
  for (const r of [...requests].sort((a, b) => a.t - b.t)) {
    const i = ends.findIndex((end) => end <= r.t);
    if (i >= 0) {
      streams[i]!.push(r);
      ends[i] = r.t + (r.api_time ?? 0);
    } else {
      streams.push([r]);
      ends.push(r.t + (r.api_time ?? 0));
    }
  }
  return streams;
}

/** A 32-bit seed from a string (sha256, as upstream seeds its per-hash-id generator). */
function seedOf(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

/**
 * The timed prompts of one Weka trace, every session's requests together, ordered by time.
 * `atS` is seconds from the trace's first request after the idle-gap cap.
 * @throws DataError `DATA_INVALID` naming a malformed request; `DATA_UNBUILDABLE` if the
 *   tokenizer cannot yield an exact prompt.
 */
export async function readWekaTrace(trace: WekaTrace, tokenizer: Tokenizer, options: WekaReadOptions): Promise<TimedPrompt[]> {
  const bs = trace.block_size || options.default_block_size;
  if (!Number.isSafeInteger(bs) || bs < 1) throw new DataError('DATA_INVALID', `trace ${trace.id}: block_size`, `expected an integer >= 1, got ${String(bs)}`);
  const timed: { t: number; r: WekaRequest; session: string }[] = [];
  trace.requests.forEach((r) => {
    if (r.type !== 'subagent') {
      timed.push({ t: r.t, r, session: trace.id });
      return;
    }
    const streams = packStreams(r.requests);
    streams.forEach((stream, s) => {
      const session = `${trace.id}::sa:${r.agent_id}${streams.length > 1 ? `:s${s}` : ''}`;
      for (const q of stream) timed.push({ t: q.t + 1e-6 < r.t ? r.t + q.t : q.t, r: q, session });
    });
  });
  const warp = idleGapWarp(timed.map((x) => x.t), options.trace_idle_gap_cap_seconds);
  const t0 = Math.min(...timed.map((x) => warp(x.t)));
  const requests: TraceRequest[] = timed
    .map(({ t, r, session }, line) => {
      if (!Number.isSafeInteger(r.in) || r.in < 1 || !Number.isSafeInteger(r.out) || r.out < 0) {
        throw new DataError('DATA_INVALID', `trace ${trace.id}: request at t=${t}`, `expected integer in >= 1 and out >= 0, got in ${String(r.in)}, out ${String(r.out)}`);
      }
      // Only whole blocks are shared: a block the length cuts is fresh text of this request.
      const hashIds = (r.hash_ids ?? []).slice(0, Math.floor(r.in / bs));
      return { atS: warp(t) - t0, inputTokens: r.in, outputTokens: r.out, hashIds, session, line: line + 1 };
    })
    .sort((a, b) => a.atS - b.atS);
  // Block texts are seeded by the trace's id too, so two traces of one directory share no block by accident.
  const prompts = await tracePrompts({ format: 'weka', blockSize: bs }, requests, tokenizer, { seed: seedOf(`${options.seed}:${trace.id}`), cell: 'weka_trace_replay' });
  // An output of 0 is kept as recorded (tracePrompts asks a failed request of a trace for one token).
  return prompts.map((p, i) => ({ ...p, maxTokens: requests[i]!.outputTokens }));
}

/** Reads and parses a Weka trace file, then {@link readWekaTrace}. @throws DataError `DATA_INVALID` for unreadable JSON. */
export async function readWekaTraceFile(path: string, tokenizer: Tokenizer, options: WekaReadOptions): Promise<TimedPrompt[]> {
  let trace: WekaTrace;
  try {
    trace = JSON.parse(await readFile(path, 'utf8')) as WekaTrace;
  } catch (err) {
    throw new DataError('DATA_INVALID', path, `not a readable Weka trace JSON file: ${(err as Error).message}`, { cause: err });
  }
  if (typeof trace?.id !== 'string' || !Array.isArray(trace.requests)) throw new DataError('DATA_INVALID', path, 'a Weka trace needs a string id and a requests array');
  return readWekaTrace(trace, tokenizer, options);
}
