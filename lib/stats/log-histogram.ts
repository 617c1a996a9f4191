import type { Summary } from './summary.ts';
import { DEFAULT_PERCENTILES, percentileKey } from './summary.ts';

/*
 * A log-linear (HDR-style) histogram of float64 samples, read straight off their IEEE-754 bits:
 * a bucket is the sign, the 11-bit exponent and the top `precisionBits` bits of the mantissa. So
 * every power of two [2^e, 2^(e+1)) is cut into 2^precisionBits equal-width buckets, a bucket is
 * at most 2^-precisionBits of its lower edge wide, and its midpoint is within
 * 2^-(precisionBits+1) of any value in it, relatively: 0.098% at the default 9 bits. Bucket edges
 * are exact binary fractions fixed by the format, identical on every machine, so histograms from
 * different processes merge by adding counts, with nothing to agree on but the precision.
 *
 * It covers every finite double: zero (and -0) has its own exact bucket, negative values mirror
 * positive ones. The error bound holds for normal doubles (|x| >= 2^-1022); subnormals are
 * bucketed linearly, which no latency in milliseconds comes near.
 */

/** Precision used unless configured: 9 mantissa bits, relative error <= 2^-10 (0.098%). */
export const DEFAULT_PRECISION_BITS = 9;
/** Finest precision accepted (a page is 2^bits counts: 512 KB at 16). */
export const MAX_PRECISION_BITS = 16;

/** The histogram in a compact JSON-safe form (see `LogHistogram.encode`). */
export interface EncodedHistogram {
  format: 'vitest-llm-d/log-histogram@1';
  precisionBits: number;
  count: number;
  /** Exact sum of the samples (up to floating-point rounding). */
  sum: number;
  /** Running mean and sum of squared deviations (Welford), for the standard deviation. */
  mean: number;
  m2: number;
  /** Exact extremes; null when empty. */
  min: number | null;
  max: number | null;
  /** Samples equal to zero. */
  zero: number;
  /**
   * Non-empty buckets in ascending key order, flattened to `[gap, count, gap, count, ...]`: a
   * bucket's key is `(sign << 11 | exponent) << precisionBits | mantissa prefix`, and `gap` is
   * the number of keys skipped since the previous bucket (the first: since key -1), so runs of
   * neighbouring buckets cost one digit a key.
   */
  buckets: number[];
}

/** Sign bit and exponent: 12 bits, so 4096 pages of 2^precisionBits counts each. */
const PAGES = 4096;
/** Pages of exponent 2047 (Infinity and NaN) never hold a sample. */
const NON_FINITE_EXPONENT = 0x7ff;

// One scratch double and its two 32-bit halves: the bits of a sample without allocating.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
F64[0] = 1; // 0x3ff00000_00000000: the high word is where the exponent shows
const HI = U32[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

/** The double whose high 32 bits are `hi` and low 32 bits zero. */
function fromHighWord(hi: number): number {
  U32[HI] = hi >>> 0;
  U32[LO] = 0;
  return F64[0]!;
}

function checkPrecision(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > MAX_PRECISION_BITS) {
    throw new RangeError(`histogram precision must be an integer number of bits within 1..${MAX_PRECISION_BITS}, got ${bits}`);
  }
}

/** The relative error bound of a histogram with `precisionBits`: 2^-(precisionBits + 1). */
export function relativeErrorOf(precisionBits: number): number {
  return 2 ** -(precisionBits + 1);
}

/** Thrown for a sample that is NaN or infinite: no statistic of such a set means anything. */
export function nonFiniteSample(value: number): RangeError {
  return new RangeError(`a statistics sample must be a finite number, got ${value}`);
}

/** Non-empty buckets in ascending value order with their representative values and cumulative counts. */
interface Ranked {
  values: Float64Array;
  /** cum[i] = samples in buckets 0..i. */
  cum: Float64Array;
}

/**
 * Mergeable log-linear histogram with exact count, sum, min and max and a running variance.
 * `record` is O(1) and allocates only the first time a power of two is reached (one page of
 * 2^precisionBits counts).
 */
export class LogHistogram {
  readonly precisionBits: number;
  /** Bound on the relative error of any order statistic read from this histogram. */
  readonly relativeError: number;
  private readonly shift: number;
  private readonly mask: number;
  private readonly pages: Array<Float64Array | undefined> = new Array<Float64Array | undefined>(PAGES).fill(undefined);
  private _count = 0;
  private _sum = 0;
  private _mean = 0;
  private _m2 = 0;
  private _min = Infinity;
  private _max = -Infinity;
  private _zero = 0;

  constructor(precisionBits = DEFAULT_PRECISION_BITS) {
    checkPrecision(precisionBits);
    this.precisionBits = precisionBits;
    this.relativeError = relativeErrorOf(precisionBits);
    this.shift = 20 - precisionBits;
    this.mask = (1 << precisionBits) - 1;
  }

  /** Samples recorded. */
  get count(): number {
    return this._count;
  }
  /** Sum of the samples. */
  get sum(): number {
    return this._sum;
  }
  /** Smallest sample, exact; null when empty. */
  get min(): number | null {
    return this._count > 0 ? this._min : null;
  }
  /** Largest sample, exact; null when empty. */
  get max(): number | null {
    return this._count > 0 ? this._max : null;
  }

  /** Records one finite sample (a RangeError otherwise). */
  record(value: number): void {
    if (!(value - value === 0)) throw nonFiniteSample(value);
    const n = ++this._count;
    this._sum += value;
    if (value < this._min) this._min = value;
    if (value > this._max) this._max = value;
    const d = value - this._mean;
    this._mean += d / n;
    this._m2 += d * (value - this._mean);
    if (value === 0) {
      this._zero++;
      return;
    }
    F64[0] = value;
    const hi = U32[HI]!;
    const page = hi >>> 20;
    const counts = this.pages[page] ?? this.newPage(page);
    counts[(hi >>> this.shift) & this.mask]!++;
  }

  /** Adds `other`'s samples to this one (same precision; see `LogHistogram.merge` for mixed ones). */
  mergeFrom(other: LogHistogram): this {
    if (other.precisionBits !== this.precisionBits) {
      throw new RangeError(
        `cannot merge a ${other.precisionBits}-bit histogram into a ${this.precisionBits}-bit one in place; use LogHistogram.merge, which coarsens to the lower precision`,
      );
    }
    if (other._count === 0) return this;
    for (let p = 0; p < PAGES; p++) {
      const src = other.pages[p];
      if (src === undefined) continue;
      const dst = this.pages[p] ?? this.newPage(p);
      for (let i = 0; i < src.length; i++) dst[i]! += src[i]!;
    }
    this.addMoments(other._count, other._sum, other._mean, other._m2, other._min, other._max);
    this._zero += other._zero;
    return this;
  }

  /** A new histogram holding both inputs' samples, at the lower of their precisions. */
  static merge(a: LogHistogram, b: LogHistogram): LogHistogram {
    const bits = Math.min(a.precisionBits, b.precisionBits);
    return a.coarsened(bits).mergeFrom(b.coarsened(bits));
  }

  /** A copy at `precisionBits` (<= this one's): neighbouring buckets are added together. */
  coarsened(precisionBits: number): LogHistogram {
    checkPrecision(precisionBits);
    if (precisionBits > this.precisionBits) {
      throw new RangeError(`cannot refine a ${this.precisionBits}-bit histogram to ${precisionBits} bits`);
    }
    const out = new LogHistogram(precisionBits);
    const drop = this.precisionBits - precisionBits;
    for (let p = 0; p < PAGES; p++) {
      const src = this.pages[p];
      if (src === undefined) continue;
      const dst = out.newPage(p);
      for (let i = 0; i < src.length; i++) dst[i >>> drop]! += src[i]!;
    }
    out.addMoments(this._count, this._sum, this._mean, this._m2, this._min, this._max);
    out._zero = this._zero;
    return out;
  }

  /**
   * Linear-interpolated percentile `q` (0-100), numpy's definition applied to the order
   * statistics this histogram estimates (see `summarize`); null when empty.
   */
  percentile(q: number): number | null {
    return this.summarize([q]).percentiles[percentileKey(q)] ?? null;
  }

  /**
   * Summary of the recorded samples, marked `exact: false` with the relative error bound.
   * Count, sum (so the mean), min and max are exact; the standard deviation is the population
   * one from a running (Welford) variance, exact up to rounding. Percentiles interpolate
   * linearly (numpy's default) between estimated order statistics: the first and last are the
   * exact min and max, every other is its bucket's midpoint clamped to [min, max], so each is
   * within `relativeError` of the true order statistic, and so is a percentile between two of
   * the same sign (between a negative and a positive one, within relativeError x the larger
   * magnitude).
   */
  summarize(percentiles: readonly number[] = DEFAULT_PERCENTILES): Summary {
    const n = this._count;
    const out: Summary = {
      count: n, mean: null, stddev: null, min: null, max: null, percentiles: {}, exact: false, relativeError: this.relativeError,
    };
    for (const q of percentiles) {
      if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be within 0..100, got ${q}`);
    }
    if (n === 0) {
      for (const q of percentiles) out.percentiles[percentileKey(q)] = null;
      return out;
    }
    out.mean = this._sum / n;
    out.stddev = Math.sqrt(Math.max(0, this._m2) / n);
    out.min = this._min;
    out.max = this._max;
    const ranked = this.ranked();
    for (const q of percentiles) {
      const h = ((n - 1) * q) / 100;
      const lo = Math.floor(h);
      const a = this.orderStatistic(ranked, lo);
      out.percentiles[percentileKey(q)] = lo + 1 >= n ? a : a + (h - lo) * (this.orderStatistic(ranked, lo + 1) - a);
    }
    return out;
  }

  /** The histogram as compact JSON-safe data; `LogHistogram.decode` restores it exactly. */
  encode(): EncodedHistogram {
    const buckets: number[] = [];
    let prev = -1;
    for (let p = 0; p < PAGES; p++) {
      const counts = this.pages[p];
      if (counts === undefined) continue;
      const base = p * counts.length;
      for (let i = 0; i < counts.length; i++) {
        if (counts[i] === 0) continue;
        const key = base + i;
        buckets.push(key - prev - 1, counts[i]!);
        prev = key;
      }
    }
    return {
      format: 'vitest-llm-d/log-histogram@1',
      precisionBits: this.precisionBits,
      count: this._count,
      sum: this._sum,
      mean: this._mean,
      m2: this._m2,
      min: this.min,
      max: this.max,
      zero: this._zero,
      buckets,
    };
  }

  /** Restores an `encode`d histogram, checking it is consistent (it may come from another process). */
  static decode(data: unknown): LogHistogram {
    const bad = (why: string): never => {
      throw new TypeError(`not an encoded histogram: ${why}`);
    };
    if (typeof data !== 'object' || data === null) bad('expected an object');
    const e = data as Partial<Record<keyof EncodedHistogram, unknown>>;
    if (e.format !== 'vitest-llm-d/log-histogram@1') bad(`format ${JSON.stringify(e.format)}`);
    const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
    const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
    if (!Number.isInteger(e.precisionBits)) bad('precisionBits must be an integer');
    const h = new LogHistogram(e.precisionBits as number);
    if (!isCount(e.count) || !isCount(e.zero) || !isNum(e.sum) || !isNum(e.mean) || !isNum(e.m2) || e.m2 < 0) {
      bad('count and zero must be counts; sum, mean and m2 finite numbers (m2 >= 0)');
    }
    const count = e.count as number;
    if (count === 0 ? e.min !== null || e.max !== null : !isNum(e.min) || !isNum(e.max) || e.min > e.max) {
      bad('min and max must be numbers with min <= max (null when empty)');
    }
    if (!Array.isArray(e.buckets) || e.buckets.length % 2 !== 0) bad('buckets must be an array of [gap, count] pairs');
    const flat = e.buckets as unknown[];
    const perPage = 1 << h.precisionBits;
    let key = -1;
    let inBuckets = 0;
    for (let i = 0; i < flat.length; i += 2) {
      const gap = flat[i];
      const c = flat[i + 1];
      if (!isCount(gap) || !isCount(c) || c === 0) bad(`bucket pair ${i / 2}: gap and count must be integers >= 0 and count > 0`);
      key += (gap as number) + 1;
      const page = Math.floor(key / perPage);
      if (page >= PAGES || (page & NON_FINITE_EXPONENT) === NON_FINITE_EXPONENT) bad(`bucket key ${key} is outside the finite doubles`);
      (h.pages[page] ?? h.newPage(page))[key % perPage] = c as number;
      inBuckets += c as number;
    }
    if (inBuckets + (e.zero as number) !== count) bad(`bucket counts and zero add up to ${inBuckets + (e.zero as number)}, not count ${count}`);
    h._count = count;
    h._sum = e.sum as number;
    h._mean = e.mean as number;
    h._m2 = e.m2 as number;
    h._zero = e.zero as number;
    if (count > 0) {
      h._min = e.min as number;
      h._max = e.max as number;
    }
    return h;
  }

  private newPage(page: number): Float64Array {
    const counts = new Float64Array(1 << this.precisionBits);
    this.pages[page] = counts;
    return counts;
  }

  /** Chan et al.'s pairwise update of count, sum, mean, M2, min and max. */
  private addMoments(count: number, sum: number, mean: number, m2: number, min: number, max: number): void {
    if (count === 0) return;
    const n = this._count + count;
    const d = mean - this._mean;
    this._mean += (d * count) / n;
    this._m2 += m2 + (d * d * this._count * count) / n;
    this._count = n;
    this._sum += sum;
    if (min < this._min) this._min = min;
    if (max > this._max) this._max = max;
  }

  /** Buckets in ascending order of value: negatives by falling magnitude, zero, positives. */
  private ranked(): Ranked {
    const values: number[] = [];
    const counts: number[] = [];
    const visit = (page: number, i: number, c: number): void => {
      values.push(this.midpoint(page, i));
      counts.push(c);
    };
    for (let p = PAGES - 1; p >= PAGES / 2; p--) {
      const page = this.pages[p];
      if (page !== undefined) for (let i = page.length - 1; i >= 0; i--) if (page[i]! > 0) visit(p, i, page[i]!);
    }
    if (this._zero > 0) {
      values.push(0);
      counts.push(this._zero);
    }
    for (let p = 0; p < PAGES / 2; p++) {
      const page = this.pages[p];
      if (page !== undefined) for (let i = 0; i < page.length; i++) if (page[i]! > 0) visit(p, i, page[i]!);
    }
    const cum = new Float64Array(counts.length);
    let run = 0;
    for (let i = 0; i < counts.length; i++) cum[i] = run += counts[i]!;
    return { values: Float64Array.from(values), cum };
  }

  /** Estimate of the k-th smallest sample (0-based): exact at the ends, else its bucket's midpoint within [min, max]. */
  private orderStatistic(r: Ranked, k: number): number {
    if (k <= 0) return this._min;
    if (k >= this._count - 1) return this._max;
    // First bucket whose cumulative count exceeds k.
    let lo = 0;
    let hi = r.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r.cum[mid]! > k) hi = mid;
      else lo = mid + 1;
    }
    return Math.min(this._max, Math.max(this._min, r.values[lo]!));
  }

  /** Midpoint of bucket `i` of `page`, from its two edges as exact doubles. */
  private midpoint(page: number, i: number): number {
    const hi = (page << 20) | (i << this.shift);
    const lower = fromHighWord(hi);
    // The next bucket's edge; at the last bucket of a page the carry moves into the exponent, as it should.
    const upper = fromHighWord(hi + (1 << this.shift));
    return lower / 2 + upper / 2;
  }
}
