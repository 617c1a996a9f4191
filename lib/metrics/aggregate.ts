import { type EncodedSampleStore, SampleStore, type SampleStoreOptions } from '../stats/sample-store.ts';
import { DEFAULT_PERCENTILES, type Summary } from '../stats/summary.ts';
import { DEFAULT_DEFINITIONS, type Definitions, deriveRequestMetrics, forEachItl, type RequestMetrics } from './derive.ts';
import { failureKey, type RequestRecord } from './record.ts';

/** Latency metrics a run summarises, by the names the config's SLO limits and the reports use. */
export const LATENCY_METRICS = [
  'ttft',
  'ttft_from_intended',
  'tpot',
  'itl',
  'e2e',
  'e2e_from_intended',
  'ntpot',
  'schedule_lag',
] as const;
/** One of `LATENCY_METRICS`. */
export type LatencyMetric = (typeof LATENCY_METRICS)[number];

/** Statistics of a set of requests (a whole test, or one workload cell). */
export interface RunStats {
  requests: {
    /** Measured requests (warm-up excluded). */
    total: number;
    successful: number;
    failed: number;
    /** successful / total; null when there were none. */
    successRate: number | null;
    /** Warm-up requests run before measuring, excluded from everything else here. */
    warmup: number;
    /**
     * Requests cut at the end of their stage (drain bound passed, or a stop rule ended it), or
     * cancelled in flight when the run was stopped (test timeout, Ctrl-C): they never finished, so
     * they are neither successes nor failures, excluded from everything else here.
     */
    cut: number;
    /**
     * Measured requests marked as overlapping a stall of the measuring thread longer than the
     * schedule-lag limit (`RequestRecord.stall`); counted in `total` and everything else. Absent
     * in reports from before it was counted.
     */
    stalled?: number;
  };
  /**
   * Retries of routing errors (scenario `retry`): measured requests retried at least once, the
   * retries in all, by the failure that caused them, how many requests then succeeded
   * (`recovered`) or failed anyway (`exhausted`), and the time spent backing off, ms.
   */
  retries: { requests: number; retries: number; byKey: Record<string, number>; recovered: number; exhausted: number; backoffMs: number };
  /** Failures by `failureKey` (class, or `http_<status>`), with the first message seen. */
  errors: Record<string, { count: number; example: string }>;
  /** Measurement window: first measured intended send to last measured end, less the idle pauses between stages in it (`excludeIdle`), ms. */
  window: { durationMs: number };
  throughput: {
    /** Successful output tokens / window. */
    outputTokensPerS: number | null;
    /** Successful input tokens / window. */
    inputTokensPerS: number | null;
    /** Successful requests / window. */
    requestsPerS: number | null;
  };
  /** Latency summaries in milliseconds, keyed by metric. */
  latency: Record<LatencyMetric, Summary>;
  tokens: {
    input: Summary;
    output: Summary;
    /** Tokens per content chunk, when known (1.0 everywhere means ITL per chunk is ITL per token). */
    perChunk: Summary;
    /** Successful requests by where their output token count came from. */
    outputSource: { server: number; tokenizer: number; unknown: number };
    /** Successful requests by where their input token count came from. */
    inputSource: { server: number; tokenizer: number };
    /** Successful requests whose output was counted both by the server and by the tokenizer. */
    checked: number;
    /** Of those, requests whose two counts disagree. */
    mismatches: number;
    /** Of those, requests whose two counts disagree beyond `USAGE_TOLERANCE`: their N is the tokenizer's (counted in `outputSource.tokenizer`). */
    usageOverruled: number;
    /** Successful streamed requests by where chunk token counts came from. */
    chunkSource: { server: number; inferred: number; unknown: number };
  };
}

/** A `StatsAccumulator`'s state in JSON form (`encode`, `absorb`): what a pod of a distributed run sends besides its records. */
export interface EncodedStats {
  format: 'vitest-llm-d/stats@1';
  counts: { total: number; successful: number; warmup: number; cut: number; checked: number; mismatches: number; inputTokens: number; outputTokens: number; usageOverruled?: number; stalled?: number };
  /** First intended send and last end of the measured requests, on the encoding process's clock (ms); null with none. */
  window: { start: number; end: number } | null;
  errors: RunStats['errors'];
  retries: RunStats['retries'];
  outputSource: RunStats['tokens']['outputSource'];
  inputSource: RunStats['tokens']['inputSource'];
  chunkSource: RunStats['tokens']['chunkSource'];
  latency: Record<LatencyMetric, EncodedSampleStore>;
  input: EncodedSampleStore;
  output: EncodedSampleStore;
  perChunk: EncodedSampleStore;
}

function addCounts<K extends string>(into: Record<K, number>, from: Record<K, number>): void {
  for (const k of Object.keys(from) as K[]) into[k] = (into[k] ?? 0) + from[k];
}

/**
 * Folds finished request records into statistics, one record at a time, keeping only compact
 * sample buffers (the records themselves go to disk), so memory grows by a few numbers a request.
 */
export class StatsAccumulator {
  private readonly latency: Record<LatencyMetric, SampleStore>;
  private readonly input: SampleStore;
  private readonly output: SampleStore;
  private readonly perChunk: SampleStore;
  private readonly errors: RunStats['errors'] = {};
  private readonly retries: RunStats['retries'] = { requests: 0, retries: 0, byKey: {}, recovered: 0, exhausted: 0, backoffMs: 0 };
  private readonly outputSource = { server: 0, tokenizer: 0, unknown: 0 };
  private readonly inputSource = { server: 0, tokenizer: 0 };
  private readonly chunkSource = { server: 0, inferred: 0, unknown: 0 };
  private total = 0;
  private successful = 0;
  private warmup = 0;
  private cut = 0;
  private stalled = 0;
  private mismatches = 0;
  private usageOverruled = 0;
  private checked = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private start = Infinity;
  private end = -Infinity;
  /** Idle pauses between stages, [from, to) ms: nothing was sent or in flight in them. */
  private readonly idle: Array<[number, number]> = [];

  /**
   * @param store options of every sample store: `exactCap` is how many samples a metric keeps
   *   exactly before folding into a histogram (percentiles then within 0.1%, and the summary
   *   says so); sub-accumulators (per cell, stage, model) take a smaller cap so memory stays bounded.
   * @param definitions where the per-request latencies start and stop (`Definitions`).
   */
  constructor(
    private readonly percentiles: readonly number[] = DEFAULT_PERCENTILES,
    store: SampleStoreOptions = {},
    private readonly definitions: Definitions = DEFAULT_DEFINITIONS,
  ) {
    this.latency = Object.fromEntries(LATENCY_METRICS.map((m) => [m, new SampleStore(store)])) as Record<LatencyMetric, SampleStore>;
    this.input = new SampleStore(store);
    this.output = new SampleStore(store);
    this.perChunk = new SampleStore(store);
  }

  /** Adds a finished request; returns its derived metrics (null for warm-up and cut requests). */
  add(r: RequestRecord): RequestMetrics | null {
    if (r.warmup) {
      this.warmup++;
      return null;
    }
    if (r.error?.class === 'cut' || r.error?.class === 'cancelled') {
      this.cut++;
      return null;
    }
    const m = deriveRequestMetrics(r, this.definitions);
    this.total++;
    if (r.stall) this.stalled++;
    if (r.retries && r.retries.length > 0) {
      const x = this.retries;
      x.requests++;
      x.retries += r.retries.length;
      for (const a of r.retries) {
        x.byKey[a.key] = (x.byKey[a.key] ?? 0) + 1;
        x.backoffMs += a.backoffMs;
      }
      if (m.ok) x.recovered++;
      else x.exhausted++;
    }
    if (r.intended < this.start) this.start = r.intended;
    if (r.end > this.end) this.end = r.end;
    if (m.scheduleLagMs !== null) this.latency.schedule_lag.push(m.scheduleLagMs);
    if (!m.ok) {
      const key = failureKey(r)!;
      const slot = (this.errors[key] ??= { count: 0, example: r.error!.message });
      slot.count++;
      return m;
    }
    this.successful++;
    if (r.usage && r.tokenizerOutputTokens !== null) this.checked++;
    if (m.tokenCountMismatch) this.mismatches++;
    if (m.usageOverruled) this.usageOverruled++;
    this.pushIf('ttft', m.ttftMs);
    this.pushIf('ttft_from_intended', m.ttftFromIntendedMs);
    this.pushIf('tpot', m.tpotMs);
    this.pushIf('e2e', m.e2eMs);
    this.pushIf('e2e_from_intended', m.e2eFromIntendedMs);
    this.pushIf('ntpot', m.ntpotMs);
    forEachItl(r, this.pushItl, this.definitions);
    this.input.push(m.inputTokens);
    this.inputTokens += m.inputTokens;
    this.inputSource[m.inputTokensSource]++;
    this.outputSource[m.outputTokensSource ?? 'unknown']++;
    if (m.outputTokens !== null) {
      this.output.push(m.outputTokens);
      this.outputTokens += m.outputTokens;
    }
    if (r.stream) {
      this.chunkSource[r.chunkTokensSource ?? 'unknown']++;
      if (r.chunkTokens) for (const k of r.chunkTokens) this.perChunk.push(k);
    }
    return m;
  }

  /**
   * Everything added so far in mergeable JSON form (`absorb` is its inverse on another
   * accumulator). `store` re-encodes every sample store with those options: `{ exactCap: 0 }`
   * gives pure histograms (compact, percentiles within 2^-(precisionBits + 1) relative); by default
   * each store travels as it is (exact samples while it is exact).
   */
  encode(store?: SampleStoreOptions): EncodedStats {
    const enc = (b: SampleStore): EncodedSampleStore => (store ? new SampleStore({ ...store, initialCapacity: 1 }).mergeFrom(b) : b).encode();
    return {
      format: 'vitest-llm-d/stats@1',
      counts: { total: this.total, successful: this.successful, warmup: this.warmup, cut: this.cut, checked: this.checked, mismatches: this.mismatches, inputTokens: this.inputTokens, outputTokens: this.outputTokens, usageOverruled: this.usageOverruled, stalled: this.stalled },
      window: this.start === Infinity ? null : { start: this.start, end: this.end },
      errors: structuredClone(this.errors),
      retries: structuredClone(this.retries),
      outputSource: { ...this.outputSource },
      inputSource: { ...this.inputSource },
      chunkSource: { ...this.chunkSource },
      latency: Object.fromEntries(LATENCY_METRICS.map((k) => [k, enc(this.latency[k])])) as Record<LatencyMetric, EncodedSampleStore>,
      input: enc(this.input),
      output: enc(this.output),
      perChunk: enc(this.perChunk),
    };
  }

  /**
   * Adds what another accumulator had (`encode`) as if its requests had been added here: counts
   * add, sample stores merge (`SampleStore.mergeFrom`: exact while both are exact and fit this
   * store's cap, else a histogram, whose bound the summaries then state), and its window, moved
   * by `shiftMs` onto this accumulator's clock, joins this one's.
   */
  absorb(e: EncodedStats, shiftMs = 0): void {
    const c = e.counts;
    this.total += c.total;
    this.successful += c.successful;
    this.warmup += c.warmup;
    this.cut += c.cut;
    this.stalled += c.stalled ?? 0;
    this.checked += c.checked;
    this.mismatches += c.mismatches;
    this.usageOverruled += c.usageOverruled ?? 0;
    this.inputTokens += c.inputTokens;
    this.outputTokens += c.outputTokens;
    if (e.window) {
      if (e.window.start + shiftMs < this.start) this.start = e.window.start + shiftMs;
      if (e.window.end + shiftMs > this.end) this.end = e.window.end + shiftMs;
    }
    for (const [key, v] of Object.entries(e.errors)) (this.errors[key] ??= { count: 0, example: v.example }).count += v.count;
    const x = this.retries;
    x.requests += e.retries.requests;
    x.retries += e.retries.retries;
    x.recovered += e.retries.recovered;
    x.exhausted += e.retries.exhausted;
    x.backoffMs += e.retries.backoffMs;
    for (const [key, n] of Object.entries(e.retries.byKey)) x.byKey[key] = (x.byKey[key] ?? 0) + n;
    addCounts(this.outputSource, e.outputSource);
    addCounts(this.inputSource, e.inputSource);
    addCounts(this.chunkSource, e.chunkSource);
    for (const k of LATENCY_METRICS) this.latency[k].mergeFrom(SampleStore.decode(e.latency[k]));
    this.input.mergeFrom(SampleStore.decode(e.input));
    this.output.mergeFrom(SampleStore.decode(e.output));
    this.perChunk.mergeFrom(SampleStore.decode(e.perChunk));
  }

  /**
   * Leaves an idle pause between stages (a staged load's `pause`: nothing sent, nothing in
   * flight) out of the measurement window, where it falls in it. Not part of `encode`: a merge
   * adds the pauses of the run it rebuilds.
   */
  excludeIdle(from: number, to: number): void {
    if (to > from) this.idle.push([from, to]);
  }

  /** Statistics of everything added so far. */
  stats(): RunStats {
    const idleMs = this.idle.reduce((a, [from, to]) => a + Math.max(0, Math.min(to, this.end) - Math.max(from, this.start)), 0);
    const durationMs = this.total > 0 ? this.end - this.start - idleMs : 0;
    const perS = (x: number): number | null => (durationMs > 0 ? (x * 1000) / durationMs : null);
    const sum = (b: SampleStore): Summary => b.summarize(this.percentiles);
    return {
      requests: {
        total: this.total,
        successful: this.successful,
        failed: this.total - this.successful,
        successRate: this.total > 0 ? this.successful / this.total : null,
        warmup: this.warmup,
        cut: this.cut,
        stalled: this.stalled,
      },
      errors: structuredClone(this.errors),
      retries: structuredClone(this.retries),
      window: { durationMs },
      throughput: {
        outputTokensPerS: perS(this.outputTokens),
        inputTokensPerS: perS(this.inputTokens),
        requestsPerS: perS(this.successful),
      },
      latency: Object.fromEntries(LATENCY_METRICS.map((k) => [k, sum(this.latency[k])])) as RunStats['latency'],
      tokens: {
        input: sum(this.input),
        output: sum(this.output),
        perChunk: sum(this.perChunk),
        outputSource: { ...this.outputSource },
        inputSource: { ...this.inputSource },
        checked: this.checked,
        mismatches: this.mismatches,
        usageOverruled: this.usageOverruled,
        chunkSource: { ...this.chunkSource },
      },
    };
  }

  private pushIf(metric: LatencyMetric, value: number | null): void {
    if (value !== null) this.latency[metric].push(value);
  }

  private readonly pushItl = (gapMs: number): void => {
    this.latency.itl.push(gapMs);
  };
}
