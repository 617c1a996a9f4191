import { DEFAULT_PRECISION_BITS, type EncodedHistogram, LogHistogram, nonFiniteSample } from './log-histogram.ts';
import { DEFAULT_PERCENTILES, type Summary, summarize } from './summary.ts';

/**
 * Samples kept exactly, per store, before it folds them into a histogram: 2^18 = 262,144
 * (2 MB). A run's statistics hold about a dozen stores (TTFT, TPOT, ITL, E2E, lag, token counts,
 * ...) and the same samples again in a per-cell copy, so at this cap they never hold more than
 * ~50 MB of exact samples however long the run, while runs of up to 262,144 requests (and ITL
 * up to 262,144 chunks) stay exact.
 */
export const DEFAULT_EXACT_CAP = 2 ** 18;

/** How a `SampleStore` trades exactness for memory. */
export interface SampleStoreOptions {
  /** Samples kept exactly; beyond that, all of them go into a histogram. Default `DEFAULT_EXACT_CAP`. */
  exactCap?: number;
  /** Precision of that histogram, in mantissa bits (relative error 2^-(bits+1)). Default 9: 0.098%. */
  precisionBits?: number;
  /** Initial room for exact samples (grows by doubling up to the cap). Default 256. */
  initialCapacity?: number;
}

/** A store in a compact JSON-safe form (see `SampleStore.encode`): exactly one of `samples` and `histogram`. */
export interface EncodedSampleStore {
  format: 'vitest-llm-d/sample-store@1';
  exactCap: number;
  precisionBits: number;
  /** Every sample, in the order pushed, while the store is exact. */
  samples?: number[];
  /** The histogram, once the store has folded. */
  histogram?: EncodedHistogram;
}

function checkCap(cap: number): void {
  if (!Number.isSafeInteger(cap) || cap < 0) throw new RangeError(`exactCap must be an integer >= 0, got ${cap}`);
}

/**
 * The samples of one metric, bounded in memory: exact (8 bytes a sample, percentiles by numpy's
 * linear interpolation over every sample, as `summarize` does) up to `exactCap` samples; past
 * it, every sample so far and from then on goes into a `LogHistogram` (a few KB per power of two
 * the values span) and the summary says `exact: false` with its relative error bound (0.098% by
 * default). Count, mean, min and max stay exact. `push` is O(1) (amortised while exact) and
 * allocates only when the exact buffer doubles or the histogram meets a new power of two.
 *
 * Stores merge (`mergeFrom`, `SampleStore.merge`) and travel as JSON (`encode`, `decode`), so
 * statistics of several processes combine into one: two exact stores stay exact while their
 * samples together fit the cap, otherwise the result is a histogram of all of them.
 */
export class SampleStore {
  readonly exactCap: number;
  private data: Float64Array;
  private n = 0;
  private hist: LogHistogram | null = null;
  private bits: number;

  constructor(options: SampleStoreOptions = {}) {
    this.exactCap = options.exactCap ?? DEFAULT_EXACT_CAP;
    checkCap(this.exactCap);
    // Validates the precision now rather than at the first fold.
    this.bits = new LogHistogram(options.precisionBits ?? DEFAULT_PRECISION_BITS).precisionBits;
    // Zero room at cap 0, so the first push folds.
    this.data = new Float64Array(Math.min(Math.max(1, options.initialCapacity ?? 256), this.exactCap));
  }

  /** Number of samples. */
  get length(): number {
    return this.hist === null ? this.n : this.hist.count;
  }

  /** True while every sample is kept (percentiles are exact). */
  get exact(): boolean {
    return this.hist === null;
  }

  /** Histogram precision in mantissa bits (used from the first fold on). */
  get precisionBits(): number {
    return this.bits;
  }

  /** Appends one sample; it must be finite (NaN or an infinity is a RangeError). */
  push(value: number): void {
    const h = this.hist;
    if (h !== null) return h.record(value);
    if (!(value - value === 0)) throw nonFiniteSample(value);
    if (this.n === this.data.length && !this.makeRoom()) return this.hist!.record(value);
    this.data[this.n++] = value;
  }

  /** The exact samples as a view (no copy, valid until the next `push`), or null once folded. */
  exactSamples(): Float64Array | null {
    return this.hist === null ? this.data.subarray(0, this.n) : null;
  }

  /** The histogram of every sample: the store's own once folded (do not modify), else a new one. */
  histogram(): LogHistogram {
    if (this.hist !== null) return this.hist;
    const h = new LogHistogram(this.bits);
    for (let i = 0; i < this.n; i++) h.record(this.data[i]!);
    return h;
  }

  /** Summary of the samples: exact while the store is, else from the histogram (`exact: false`). */
  summarize(percentiles: readonly number[] = DEFAULT_PERCENTILES): Summary {
    return this.hist === null ? summarize(this.data.subarray(0, this.n), percentiles) : this.hist.summarize(percentiles);
  }

  /**
   * Adds `other`'s samples. Both exact and together within this store's cap: still exact.
   * Otherwise this store folds, and takes the other's samples or histogram; histograms of
   * different precisions meet at the lower one. `other` is not changed.
   */
  mergeFrom(other: SampleStore): this {
    const theirs = other.exactSamples();
    if (this.hist === null && theirs !== null && this.n + theirs.length <= this.exactCap) {
      if (this.n + theirs.length > this.data.length) this.resize(Math.min(this.exactCap, Math.max(this.n + theirs.length, 2 * this.data.length)));
      this.data.set(theirs, this.n);
      this.n += theirs.length;
      return this;
    }
    const bits = Math.min(this.bits, other.bits);
    let mine = this.hist ?? this.fold();
    if (mine.precisionBits > bits) mine = this.hist = mine.coarsened(bits);
    this.bits = bits;
    if (theirs !== null) for (let i = 0; i < theirs.length; i++) mine.record(theirs[i]!);
    else mine.mergeFrom(other.hist!.precisionBits > bits ? other.hist!.coarsened(bits) : other.hist!);
    return this;
  }

  /** A new store with both inputs' samples, with `a`'s cap (see `mergeFrom`). */
  static merge(a: SampleStore, b: SampleStore): SampleStore {
    return new SampleStore({ exactCap: a.exactCap, precisionBits: a.bits, initialCapacity: 1 }).mergeFrom(a).mergeFrom(b);
  }

  /**
   * The store as JSON-safe data: every sample while exact (so a merge elsewhere can stay exact),
   * else the histogram (a few KB). `SampleStore.decode` restores it.
   */
  encode(): EncodedSampleStore {
    const base = { format: 'vitest-llm-d/sample-store@1' as const, exactCap: this.exactCap, precisionBits: this.bits };
    return this.hist === null ? { ...base, samples: Array.from(this.data.subarray(0, this.n)) } : { ...base, histogram: this.hist.encode() };
  }

  /** Restores an `encode`d store, checking it (it may come from another process). */
  static decode(data: unknown): SampleStore {
    const bad = (why: string): never => {
      throw new TypeError(`not an encoded sample store: ${why}`);
    };
    if (typeof data !== 'object' || data === null) bad('expected an object');
    const e = data as Partial<Record<keyof EncodedSampleStore, unknown>>;
    if (e.format !== 'vitest-llm-d/sample-store@1') bad(`format ${JSON.stringify(e.format)}`);
    if ((e.samples === undefined) === (e.histogram === undefined)) bad('expected exactly one of samples and histogram');
    if (!Number.isSafeInteger(e.exactCap) || !Number.isInteger(e.precisionBits)) bad('exactCap and precisionBits must be integers');
    const store = new SampleStore({ exactCap: e.exactCap as number, precisionBits: e.precisionBits as number, initialCapacity: 1 });
    if (e.histogram !== undefined) {
      const h = LogHistogram.decode(e.histogram);
      if (h.precisionBits !== store.bits) bad(`histogram precision ${h.precisionBits} is not the store's ${store.bits}`);
      store.hist = h;
      store.data = new Float64Array(0);
      return store;
    }
    if (!Array.isArray(e.samples)) bad('samples must be an array of numbers');
    const samples = e.samples as unknown[];
    if (samples.length > store.exactCap) bad(`${samples.length} samples exceed exactCap ${store.exactCap}`);
    store.resize(Math.max(1, samples.length));
    for (const v of samples) {
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(`sample ${JSON.stringify(v)} is not a finite number`);
      store.data[store.n++] = v as number;
    }
    return store;
  }

  /** Grows the exact buffer, or folds at the cap; true when the buffer has room again. */
  private makeRoom(): boolean {
    if (this.n >= this.exactCap) {
      this.fold();
      return false;
    }
    this.resize(Math.min(this.exactCap, 2 * this.data.length));
    return true;
  }

  private resize(capacity: number): void {
    const grown = new Float64Array(capacity);
    grown.set(this.data.subarray(0, this.n));
    this.data = grown;
  }

  /** Moves every exact sample into a histogram and frees the buffer. */
  private fold(): LogHistogram {
    const h = this.histogram();
    this.hist = h;
    this.data = new Float64Array(0);
    this.n = 0;
    return h;
  }
}
