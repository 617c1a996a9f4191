/**
 * Per-pod results of a split run (`split.ts`) merged into the statistics of one process that
 * had made the same requests.
 *
 * - Every pod sent its records (`requests.jsonl`, `seq` the global index): they are fed, in
 *   global index order, into one `StatsAccumulator`, the very code a single process runs, so
 *   every count and summary is the single process's, exactly.
 * - Otherwise (some pod sent only its `EncodedPodStats`): each metric's sample stores are merged
 *   (`SampleStore.mergeFrom`). While every store is exact, the pooled samples are summarised by
 *   `summarize` and the result is still exact; once any store had folded into a histogram, the
 *   merged percentiles come from the histogram: `exact: false`, and each percentile is within
 *   `relativeError` (2^-(precisionBits + 1), 0.098% at the default 9 bits) of the exact one,
 *   relatively; count, mean, min and max stay exact (mean up to float summation order).
 *
 * Times. Latencies are differences on one pod's clock and need no correction. The window (first
 * intended send to last end, across pods) puts each pod's `performance.now()` times on one
 * timeline: pod time t is at wall `Date.parse(clock.wallTime) + (t - clock.perfMs) - clockOffsetMs`,
 * with `clockOffsetMs` the pod's wall clock minus the reference clock as the launcher measured
 * it; the wall anchor has 1 ms resolution, so the window is good to about 1 ms plus the offset's
 * own error. Pods on one anchor and offset (tests) need no shift at all. Throughput and goodput
 * are over that union window, as `StatsAccumulator` defines them.
 *
 * A pod that never reported is listed as missing with its share, never silently dropped; a pod
 * that reported but did not finish (`incomplete`) is merged and named.
 */
import { type LatencyMetric, LATENCY_METRICS, type RunStats, StatsAccumulator } from '../metrics/aggregate.ts';
import { deriveRequestMetrics, forEachItl } from '../metrics/derive.ts';
import type { RequestRecord, RunClock } from '../metrics/record.ts';
import { type Goodput, GoodputCounter } from '../slo/goodput.ts';
import type { SloProfile } from '../slo/profile.ts';
import { type EncodedSampleStore, SampleStore, type SampleStoreOptions } from '../stats/sample-store.ts';
import { DEFAULT_PERCENTILES, type Summary } from '../stats/summary.ts';

/** Who a pod was and how it measured. */
export interface PodIdentity {
  /** Completion index in the Job (0-based). */
  index: number;
  /** Pod name. */
  pod: string;
  /** Node it ran on, when known. */
  node: string | null;
  /** Its share of the load (`Share.description`). */
  share: string;
  /** The pod's clock anchor (`RunClock` of its run). */
  clock: RunClock;
  /** The pod's wall clock minus the reference clock, ms, as measured by the launcher (0 when not measured). */
  clockOffsetMs: number;
  /** The pod's own validity: did it keep up with its schedule (schedule lag p99). */
  validity: { valid: boolean; scheduleLagP99Ms: number | null; reasons: string[] };
  /** Why the pod did not finish its share (failed, evicted midway), when it did not. */
  incomplete?: string;
}

/** A pod's statistics in mergeable JSON form, for pods whose records are not collected (`podStatsOf`). */
export interface EncodedPodStats {
  format: 'vitest-llm-d/pod-stats@1';
  requests: { total: number; successful: number; warmup: number; cut: number };
  errors: RunStats['errors'];
  retries: RunStats['retries'];
  /** First measured intended send and last measured end, on the pod's clock (ms); null with no measured request. */
  window: { start: number; end: number } | null;
  /** Input and output tokens of successful requests. */
  tokenSums: { input: number; output: number };
  latency: Record<LatencyMetric, EncodedSampleStore>;
  tokens: Omit<RunStats['tokens'], 'input' | 'output' | 'perChunk'> & { input: EncodedSampleStore; output: EncodedSampleStore; perChunk: EncodedSampleStore };
  /** Goodput counts under one SLO profile, when one was given. */
  goodput: Omit<Goodput, 'fraction' | 'requestsPerS'> | null;
}

/** What one pod reported: its records, or its encoded statistics. */
export interface PodResult {
  identity: PodIdentity;
  /** Its records, `seq` the global request index (preferred: the merge is then exact). */
  records?: readonly RequestRecord[];
  stats?: EncodedPodStats;
}

export interface MergeInput {
  /** Every pod's share (`Share.description`), by index: the Job's parallelism is its length. */
  shares: readonly string[];
  /** The pods that reported, any order. */
  pods: readonly PodResult[];
  percentiles?: readonly number[];
  /** SLO profile to count goodput under. */
  slo?: SloProfile;
}

export interface MergedResult {
  stats: RunStats;
  /** Every summary is exact (the single process's numbers). */
  exact: boolean;
  /** With `exact: false`: the largest relative error bound of any percentile; else null. */
  relativeError: number | null;
  /** The union window (first intended send to last end), in ms on the clock of the lowest-index pod that reported, the others' times corrected onto it; null with no measured request. */
  window: { startMs: number; endMs: number; durationMs: number } | null;
  goodput: Goodput | null;
  pods: Array<Omit<PodIdentity, 'clock'> & { source: 'records' | 'stats'; requests: number }>;
  /** Shares no pod reported for. */
  missing: Array<{ index: number; share: string }>;
  /** Some share is missing or incomplete: the statistics cover only what was reported. */
  partial: boolean;
  /** Whether the merged run measured truthfully: every pod valid, none missing or incomplete. */
  validity: { valid: boolean; reasons: string[] };
}

/** The measured (not warm-up, not cut) requests' window on the record's own clock. */
function windowOf(records: readonly RequestRecord[]): { start: number; end: number } | null {
  let start = Infinity;
  let end = -Infinity;
  for (const r of records) {
    if (r.warmup || r.error?.class === 'cut') continue;
    if (r.intended < start) start = r.intended;
    if (r.end > end) end = r.end;
  }
  return start === Infinity ? null : { start, end };
}

/** Statistics of one pod's records in mergeable form; `store` sets each metric's exact cap (default: keep every sample). */
export function podStatsOf(records: readonly RequestRecord[], options: { store?: SampleStoreOptions; slo?: SloProfile } = {}): EncodedPodStats {
  const acc = new StatsAccumulator([]);
  const cap = options.store ?? { exactCap: Number.MAX_SAFE_INTEGER };
  const make = (): SampleStore => new SampleStore(cap);
  const latency = Object.fromEntries(LATENCY_METRICS.map((m) => [m, make()])) as Record<LatencyMetric, SampleStore>;
  const input = make();
  const output = make();
  const perChunk = make();
  const good = options.slo ? new GoodputCounter(options.slo) : null;
  const sums = { input: 0, output: 0 };
  const push = (m: LatencyMetric, v: number | null): void => void (v !== null && latency[m].push(v));
  for (const r of records) {
    const m = acc.add(r);
    if (!m) continue;
    good?.add(m);
    push('schedule_lag', m.scheduleLagMs);
    if (!m.ok) continue;
    push('ttft', m.ttftMs);
    push('ttft_from_intended', m.ttftFromIntendedMs);
    push('tpot', m.tpotMs);
    push('e2e', m.e2eMs);
    push('e2e_from_intended', m.e2eFromIntendedMs);
    push('ntpot', m.ntpotMs);
    forEachItl(r, (gap) => latency.itl.push(gap));
    input.push(m.inputTokens);
    sums.input += m.inputTokens;
    if (m.outputTokens !== null) {
      output.push(m.outputTokens);
      sums.output += m.outputTokens;
    }
    if (r.stream && r.chunkTokens) for (const k of r.chunkTokens) perChunk.push(k);
  }
  const s = acc.stats();
  const { fraction: _f, requestsPerS: _r, ...g } = good?.result(0) ?? { fraction: null, requestsPerS: null };
  return {
    format: 'vitest-llm-d/pod-stats@1',
    requests: { total: s.requests.total, successful: s.requests.successful, warmup: s.requests.warmup, cut: s.requests.cut },
    errors: s.errors,
    retries: s.retries,
    window: windowOf(records),
    tokenSums: sums,
    latency: Object.fromEntries(LATENCY_METRICS.map((m) => [m, latency[m].encode()])) as Record<LatencyMetric, EncodedSampleStore>,
    tokens: { ...s.tokens, input: input.encode(), output: output.encode(), perChunk: perChunk.encode() },
    goodput: good ? (g as EncodedPodStats['goodput']) : null,
  };
}

/** Ms to add to a pod's `performance.now()` times to put them on the reference timeline. */
const anchorOf = (id: PodIdentity): number => Date.parse(id.clock.wallTime) - id.clockOffsetMs - id.clock.perfMs;

/**
 * Merges the pods' results (see the module comment). Throws on a pod index outside the shares,
 * a pod reported twice, or a pod with neither records nor statistics.
 */
export function mergePods(input: MergeInput): MergedResult {
  const percentiles = input.percentiles ?? DEFAULT_PERCENTILES;
  const count = input.shares.length;
  const pods = [...input.pods].sort((a, b) => a.identity.index - b.identity.index);
  const seen = new Set<number>();
  for (const p of pods) {
    const i = p.identity.index;
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`pod ${p.identity.pod} has index ${i}, outside the ${count} shares 0..${count - 1}`);
    if (seen.has(i)) throw new RangeError(`pod index ${i} reported twice (pod ${p.identity.pod})`);
    if (!p.records && !p.stats) throw new TypeError(`pod ${p.identity.pod} (index ${i}) reported neither records nor statistics`);
    seen.add(i);
  }
  const origin = pods.length > 0 ? anchorOf(pods[0]!.identity) : 0;
  const shift = (p: PodResult): number => anchorOf(p.identity) - origin;
  const windows = pods.map((p) => {
    const w = p.records ? windowOf(p.records) : p.stats!.window;
    return w && { start: w.start + shift(p), end: w.end + shift(p) };
  });
  let window: MergedResult['window'] = null;
  for (const w of windows) {
    if (!w) continue;
    const startMs = Math.min(window?.startMs ?? Infinity, w.start);
    const endMs = Math.max(window?.endMs ?? -Infinity, w.end);
    window = { startMs, endMs, durationMs: endMs - startMs };
  }
  const durationMs = window?.durationMs ?? 0;
  const merged = pods.every((p) => p.records) ? fromRecords(pods, percentiles, input.slo) : fromStores(pods, percentiles, input.slo);
  const { stats, sums } = merged;
  const perS = (x: number): number | null => (stats.requests.total > 0 && durationMs > 0 ? (x * 1000) / durationMs : null);
  stats.window = { durationMs: stats.requests.total > 0 ? durationMs : 0 };
  stats.throughput = { outputTokensPerS: perS(sums.output), inputTokensPerS: perS(sums.input), requestsPerS: perS(stats.requests.successful) };
  const summaries = [...Object.values(stats.latency), stats.tokens.input, stats.tokens.output, stats.tokens.perChunk];
  const inexact = summaries.filter((s) => s.exact === false);
  const missing = input.shares.flatMap((share, index) => (seen.has(index) ? [] : [{ index, share }]));
  const reasons = [
    ...missing.map((m) => `share ${m.index} missing (no pod reported): ${m.share}`),
    ...pods.flatMap((p) => [
      ...(p.identity.incomplete ? [`pod ${p.identity.pod} (share ${p.identity.index}) incomplete: ${p.identity.incomplete}`] : []),
      ...p.identity.validity.reasons.map((r) => `pod ${p.identity.pod}: ${r}`),
    ]),
  ];
  return {
    stats,
    exact: inexact.length === 0,
    relativeError: inexact.length === 0 ? null : Math.max(...inexact.map((s) => s.relativeError ?? 0)),
    window,
    goodput: merged.goodput ? { ...merged.goodput, fraction: merged.goodput.requests > 0 ? merged.goodput.good / merged.goodput.requests : null, requestsPerS: perS(merged.goodput.good) } : null,
    pods: pods.map((p) => {
      const { clock: _c, ...id } = p.identity;
      const requests = p.records ? p.records.filter((r) => !r.warmup && r.error?.class !== 'cut').length : p.stats!.requests.total;
      return { ...id, source: p.records ? ('records' as const) : ('stats' as const), requests };
    }),
    missing,
    partial: missing.length > 0 || pods.some((p) => p.identity.incomplete !== undefined),
    validity: { valid: reasons.length === 0 && pods.every((p) => p.identity.validity.valid), reasons },
  };
}

type MergedParts = { stats: RunStats; sums: { input: number; output: number }; goodput: EncodedPodStats['goodput'] };

/** Every pod's records, in global index order, through one accumulator: the single process's statistics. */
function fromRecords(pods: readonly PodResult[], percentiles: readonly number[], slo: SloProfile | undefined): MergedParts {
  const all = pods.flatMap((p) => p.records!).sort((a, b) => a.seq - b.seq);
  const acc = new StatsAccumulator(percentiles);
  const good = slo ? new GoodputCounter(slo) : null;
  const sums = { input: 0, output: 0 };
  for (const r of all) {
    const m = acc.add(r);
    if (!m) continue;
    good?.add(m);
    if (!m.ok) continue;
    sums.input += m.inputTokens;
    if (m.outputTokens !== null) sums.output += m.outputTokens;
  }
  const g = good?.result(0);
  return { stats: acc.stats(), sums, goodput: g ? { profile: g.profile, conditions: g.conditions, requests: g.requests, good: g.good, skipped: g.skipped } : null };
}

/** Pods' encoded statistics (records pods encoded exactly) merged store by store. */
function fromStores(pods: readonly PodResult[], percentiles: readonly number[], slo: SloProfile | undefined): MergedParts {
  const each = pods.map((p) => p.stats ?? podStatsOf(p.records!, slo ? { slo } : {}));
  const summary = (pick: (e: EncodedPodStats) => EncodedSampleStore): Summary => {
    const stores = each.map((e) => SampleStore.decode(pick(e)));
    const exactTotal = stores.every((s) => s.exact) ? stores.reduce((n, s) => n + s.length, 0) : 0;
    const bits = Math.min(...stores.map((s) => s.precisionBits));
    const out = new SampleStore({ exactCap: exactTotal, precisionBits: bits, initialCapacity: 1 });
    for (const s of stores) out.mergeFrom(s);
    return out.summarize(percentiles);
  };
  const add = <K extends string>(into: Record<K, number>, from: Record<K, number>): void => {
    for (const k of Object.keys(from) as K[]) into[k] = (into[k] ?? 0) + from[k];
  };
  const req = { total: 0, successful: 0, warmup: 0, cut: 0 };
  const errors: RunStats['errors'] = {};
  const counts = { requests: 0, retries: 0, recovered: 0, exhausted: 0, backoffMs: 0 };
  const byKeys: Record<string, number> = {};
  const t = { outputSource: { server: 0, tokenizer: 0, unknown: 0 }, inputSource: { server: 0, tokenizer: 0 }, chunkSource: { server: 0, inferred: 0, unknown: 0 }, checked: 0, mismatches: 0 };
  const sums = { input: 0, output: 0 };
  const goodputs = each.map((e) => e.goodput);
  for (const e of each) {
    add(req, e.requests);
    for (const [k, v] of Object.entries(e.errors)) (errors[k] ??= { count: 0, example: v.example }).count += v.count;
    const { byKey, ...mine } = e.retries;
    add(counts, mine);
    add(byKeys, byKey);
    add(t.outputSource, e.tokens.outputSource);
    add(t.inputSource, e.tokens.inputSource);
    add(t.chunkSource, e.tokens.chunkSource);
    t.checked += e.tokens.checked;
    t.mismatches += e.tokens.mismatches;
    add(sums, e.tokenSums);
  }
  const first = goodputs[0];
  const goodput = first && goodputs.every((g) => g?.profile === first.profile)
    ? { ...first, requests: goodputs.reduce((n, g) => n + g!.requests, 0), good: goodputs.reduce((n, g) => n + g!.good, 0) }
    : null;
  const stats: RunStats = {
    requests: { ...req, failed: req.total - req.successful, successRate: req.total > 0 ? req.successful / req.total : null },
    retries: { ...counts, byKey: byKeys },
    errors,
    window: { durationMs: 0 },
    throughput: { outputTokensPerS: null, inputTokensPerS: null, requestsPerS: null },
    latency: Object.fromEntries(LATENCY_METRICS.map((m) => [m, summary((e) => e.latency[m])])) as RunStats['latency'],
    tokens: { ...t, input: summary((e) => e.tokens.input), output: summary((e) => e.tokens.output), perChunk: summary((e) => e.tokens.perChunk) },
  };
  return { stats, sums, goodput };
}
