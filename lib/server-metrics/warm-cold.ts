/**
 * Warm and cold requests of a `shared_prefix` run, and their TTFT.
 *
 * A request is **cold** when its group's system prompt was not in the server's prefix cache
 * when it arrived (it pays the full prefill), **warm** when it was. Two kinds of evidence:
 *
 * - `server`: the response's `usage.prompt_tokens_details.cached_tokens` (vLLM with
 *   `--enable-prompt-tokens-details`, the simulator by default). Warm when the server served at
 *   least half of the group's system prompt from cache. Not "any cached token": a chat
 *   template's opening is shared by every prompt, so a cold request can have one block cached.
 * - `order`: without `cached_tokens`, a client-side guess: the first request of its group to
 *   reach the server (earliest `sent`, warm-up included) is cold, every later one warm. Requests
 *   of one group in flight at the same time may all be cold on the server, and a cache that
 *   evicted a prefix makes a later request cold again, so this guess is only a fallback: where
 *   the server gives `cached_tokens`, it wins, and the number of requests on which the guess
 *   would have been wrong is reported.
 *
 * Request `seq` belongs to group `seq mod num_groups`, question
 * `floor(seq / num_groups) mod num_prompts_per_group` (`lib/data/shared-prefix.ts`); after
 * `num_groups x num_prompts_per_group` requests whole prompts repeat.
 */
import { percentile } from '../stats/summary.ts';
import type { RequestLine } from './requests-reader.ts';
import type { TtftStats, WarmColdEvidence } from '../report/server-metrics.ts';

export type { TtftStats, WarmColdEvidence };

/** The shape of a `shared_prefix` workload (its data config). */
export interface SharedPrefixShape {
  numGroups: number;
  promptsPerGroup: number;
  /** Tokens of a group's system prompt (client tokenizer). */
  systemPromptTokens: number;
  /** Tokens of each question. */
  questionTokens: number;
}

/** One request, placed in its group and labelled. */
export interface ClassifiedRequest {
  seq: number;
  group: number;
  /** Index of its question in the group. */
  question: number;
  /** 0 on the first pass over the prompts, 1 when whole prompts repeat, ... */
  cycle: number;
  warmup: boolean;
  /** Succeeded (no failure); only these have a TTFT. */
  ok: boolean;
  /** The label used: the server's when it gave `cached_tokens`, else the order guess. */
  warm: boolean;
  evidence: WarmColdEvidence;
  /** What the order guess says (kept beside the server's label to count disagreements). */
  orderWarm: boolean;
  cachedTokens: number | null;
  /** Prompt tokens as the server counted them (`usage.prompt_tokens`), else the client's count. */
  promptTokens: number;
  ttftMs: number | null;
}

/** Cached tokens from which the server's evidence calls a request warm: half the system prompt (at least 1). */
export function warmThreshold(shape: SharedPrefixShape): number {
  return Math.max(1, Math.floor(shape.systemPromptTokens / 2));
}

/** Labels every record of a run (warm-up included) warm or cold, in `seq` order. */
export function classifyRequests(lines: readonly RequestLine[], shape: SharedPrefixShape): ClassifiedRequest[] {
  const perCycle = shape.numGroups * shape.promptsPerGroup;
  // Order guess: per group, the earliest request that reached the server (sent, and answered
  // with any status) is cold. Ties on `sent` (never on one clock, but cheap to make stable) by seq.
  const firstOfGroup = new Map<number, RequestLine>();
  for (const l of lines) {
    if (l.sent_ms === null || l.status === null) continue;
    const g = l.seq % shape.numGroups;
    const cur = firstOfGroup.get(g);
    if (!cur || l.sent_ms < cur.sent_ms! || (l.sent_ms === cur.sent_ms && l.seq < cur.seq)) firstOfGroup.set(g, l);
  }
  const threshold = warmThreshold(shape);
  return [...lines]
    .sort((a, b) => a.seq - b.seq)
    .map((l) => {
      const group = l.seq % shape.numGroups;
      const first = firstOfGroup.get(group);
      // Every other request of the group was sent after the first (or never: it failed, no TTFT).
      const orderWarm = first !== undefined && first.seq !== l.seq;
      const cached = l.usage?.cached_tokens ?? null;
      const server = cached !== null && cached !== undefined;
      return {
        seq: l.seq,
        group,
        question: Math.floor(l.seq / shape.numGroups) % shape.promptsPerGroup,
        cycle: Math.floor(l.seq / perCycle),
        warmup: l.warmup,
        ok: l.error === null,
        warm: server ? cached >= threshold : orderWarm,
        evidence: server ? 'server' : 'order',
        orderWarm,
        cachedTokens: server ? cached : null,
        promptTokens: l.usage?.prompt_tokens ?? l.prompt_tokens,
        ttftMs: l.metrics?.ttft_ms ?? null,
      } satisfies ClassifiedRequest;
    });
}

/** Count, p50, p95 and mean of TTFT samples (numpy-linear percentiles, as everywhere else). */
export function ttftStats(samples: readonly number[]): TtftStats {
  if (samples.length === 0) return { count: 0, p50Ms: null, p95Ms: null, meanMs: null };
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const x of sorted) sum += x;
  return { count: sorted.length, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95), meanMs: sum / sorted.length };
}

/** TTFT of the measured (not warm-up), successful requests, split warm and cold. */
export function warmColdTtft(requests: readonly ClassifiedRequest[]): { warm: TtftStats; cold: TtftStats } {
  const warm: number[] = [];
  const cold: number[] = [];
  for (const r of requests) {
    if (r.warmup || !r.ok || r.ttftMs === null) continue;
    (r.warm ? warm : cold).push(r.ttftMs);
  }
  return { warm: ttftStats(warm), cold: ttftStats(cold) };
}

/**
 * The hit rate an ideal prefix cache would give these requests, in tokens (vLLM's definition:
 * cached prompt tokens / queried prompt tokens), taken in the order they were sent: the first of
 * a group hits nothing; a later one hits the group's system prompt in whole blocks; a repeat
 * of an identical prompt hits all of it but the last token (vLLM always recomputes that one).
 * Only successful requests count (a failed one may never have been scheduled). Approximate on
 * a chat API, whose template adds tokens the client does not count, and with no block size from
 * the server (`blockSize` is then vLLM's default, 16).
 */
export function idealHitRate(requests: readonly ClassifiedRequest[], lines: readonly RequestLine[], shape: SharedPrefixShape, blockSize: number): number | null {
  const sentAt = new Map(lines.map((l) => [l.seq, l.sent_ms ?? Number.POSITIVE_INFINITY]));
  const order = requests.filter((r) => r.ok).sort((a, b) => sentAt.get(a.seq)! - sentAt.get(b.seq)! || a.seq - b.seq);
  const groupsSeen = new Set<number>();
  const promptsSeen = new Set<string>();
  let queries = 0;
  let hits = 0;
  for (const r of order) {
    const cacheable = Math.floor(Math.max(0, r.promptTokens - 1) / blockSize) * blockSize;
    const prompt = `${r.group}/${r.question}`;
    if (promptsSeen.has(prompt)) hits += cacheable;
    else if (groupsSeen.has(r.group)) hits += Math.min(cacheable, Math.floor(shape.systemPromptTokens / blockSize) * blockSize);
    groupsSeen.add(r.group);
    promptsSeen.add(prompt);
    queries += r.promptTokens;
  }
  return queries > 0 ? hits / queries : null;
}
