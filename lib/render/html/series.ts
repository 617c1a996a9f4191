/**
 * Bounded chart series of a run folder's `requests.jsonl`, for `report.html`: histograms of TTFT,
 * TPOT, ITL and E2E per test and per stage, and latency and throughput over time. The file is
 * read once, line by line through a fixed buffer (never as one string), and each series has a
 * fixed bound whatever the number of requests: a 1M-request run gives a report of the same size
 * as a 1,000-request one.
 *
 * Tests are told apart by their `x-request-id` prefix (`<suite>-<scenario>-<clock anchor>-`, see
 * `lib/server-metrics/requests-reader.ts`), so one scenario run twice gives two series.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** Metrics with a distribution chart. */
export const DIST_METRICS = ['ttft', 'tpot', 'itl', 'e2e'] as const;
export type DistMetric = (typeof DIST_METRICS)[number];

/** Log-spaced bins: `BINS_PER_DECADE` a decade from `MIN_MS` (a value at or below it falls in the first bin). */
const BINS_PER_DECADE = 20;
const MIN_MS = 0.001;
/** Finer bins for the per-bucket percentiles of the time series (relative error <= 1.2%). */
const FINE_PER_DECADE = 100;
/** Most histogram bins kept per chart (adjacent bins merge beyond it). */
export const MAX_BINS = 60;
/** Most time buckets kept per test (buckets double in width beyond it). */
export const MAX_BUCKETS = 600;
/** Width of the first time buckets, ms (doubled while there are too many or too few samples in each). */
const FIRST_BUCKET_MS = 50;
/** Stages with their own histograms; later stages count in the test's only. */
const MAX_STAGES = 64;

const binOf = (v: number, perDecade: number): number => (v <= MIN_MS ? 0 : Math.floor(Math.log10(v / MIN_MS) * perDecade));
const edgeOf = (i: number, perDecade: number): number => MIN_MS * 10 ** (i / perDecade);

/** A histogram on a log grid: `edges` (ms) has one more entry than `counts`. */
export interface Histogram {
  edges: number[];
  counts: number[];
  /** Samples counted (ITL: gaps). */
  total: number;
}

/** One time bucket of a test: latency of the requests sent in it, completions in it. */
export interface TimePoint {
  /** Bucket start, s from the test's clock anchor. */
  t: number;
  /** Successful requests sent in the bucket; their TTFT and E2E percentiles, ms (null without samples). */
  sent: number;
  ttftP50: number | null;
  ttftP95: number | null;
  e2eP50: number | null;
  e2eP95: number | null;
  /** Successful requests and their output tokens that finished in the bucket, per second. */
  okPerS: number;
  outputTokensPerS: number;
  /** Failed requests that finished in the bucket, per second. */
  errorsPerS: number;
}

/** Series of one test. */
export interface TestSeries {
  scenario: string;
  /** `x-request-id` prefix of the test's requests (empty when the ids have another form). */
  idPrefix: string;
  /** Measured requests read (warm-up and cut requests excluded). */
  requests: number;
  hist: Record<DistMetric, Histogram>;
  /** Per stage index (the first `MAX_STAGES`), the same histograms. */
  stages: Array<{ stage: number; hist: Record<DistMetric, Histogram> }>;
  /** Time buckets in order, `bucketS` wide. */
  bucketS: number;
  timeline: TimePoint[];
}

/** What `report.html` draws from `requests.jsonl`. */
export interface HtmlSeries {
  /** The file read, relative to the run folder. */
  file: string;
  /** Lines read, and lines that did not parse (skipped). */
  lines: number;
  unparsable: number;
  tests: TestSeries[];
}

/** The fields of a `requests.jsonl` line read here (`lib/run-folder/requests-file.ts` writes them). */
interface Line {
  scenario?: string;
  request_id?: string;
  warmup?: boolean;
  stage?: number | null;
  sent_ms?: number | null;
  end_ms?: number | null;
  chunk_ms?: number[] | null;
  /** Chunks with a choice but no text; their gaps count in ITL when `metrics.definitions` is `vllm`. */
  empty_choice_ms?: number[] | null;
  error?: { class?: string } | null;
  metrics?: { definitions?: string; ttft_ms?: number | null; tpot_ms?: number | null; e2e_ms?: number | null; output_tokens?: number | null } | null;
}

class Counts {
  readonly bins = new Map<number, number>();
  total = 0;
  add(v: number): void {
    if (!Number.isFinite(v)) return;
    const b = binOf(v, BINS_PER_DECADE);
    this.bins.set(b, (this.bins.get(b) ?? 0) + 1);
    this.total++;
  }
  /** Occupied grid range [lo, hi] and the merge width that keeps it within `MAX_BINS` bins; null when empty. */
  range(): { lo: number; hi: number; width: number } | null {
    if (this.total === 0) return null;
    let lo = Infinity;
    let hi = -Infinity;
    for (const k of this.bins.keys()) {
      if (k < lo) lo = k;
      if (k > hi) hi = k;
    }
    return { lo, hi, width: Math.max(1, Math.ceil((hi - lo + 1) / MAX_BINS)) };
  }
  /** The histogram over `range` (the test's, so a stage's bins line up with its test's). */
  histogram(range: { lo: number; hi: number; width: number } | null): Histogram {
    if (range === null || this.total === 0) return { edges: [], counts: [], total: this.total };
    const { lo, hi, width } = range;
    const counts: number[] = [];
    const edges: number[] = [];
    for (let b = lo; b <= hi; b += width) {
      let c = 0;
      for (let k = b; k < b + width; k++) c += this.bins.get(k) ?? 0;
      edges.push(round(edgeOf(b, BINS_PER_DECADE)));
      counts.push(c);
    }
    edges.push(round(edgeOf(lo + counts.length * width, BINS_PER_DECADE)));
    return { edges, counts, total: this.total };
  }
}

/** Sparse fine histogram of one bucket, for percentiles. */
class Fine {
  readonly bins = new Map<number, number>();
  n = 0;
  add(v: number): void {
    if (!Number.isFinite(v)) return;
    const b = binOf(v, FINE_PER_DECADE);
    this.bins.set(b, (this.bins.get(b) ?? 0) + 1);
    this.n++;
  }
  merge(o: Fine): void {
    for (const [k, c] of o.bins) this.bins.set(k, (this.bins.get(k) ?? 0) + c);
    this.n += o.n;
  }
  /** Percentile `q` (0-100): the geometric middle of the bin holding rank ceil(q% of n). */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil((q / 100) * this.n));
    let seen = 0;
    for (const k of [...this.bins.keys()].sort((a, b) => a - b)) {
      seen += this.bins.get(k)!;
      if (seen >= rank) return k === 0 ? MIN_MS : round(edgeOf(k + 0.5, FINE_PER_DECADE));
    }
    return null;
  }
}

interface Bucket {
  ttft: Fine;
  e2e: Fine;
  sent: number;
  ok: number;
  tokens: number;
  errors: number;
}

const newBucket = (): Bucket => ({ ttft: new Fine(), e2e: new Fine(), sent: 0, ok: 0, tokens: 0, errors: 0 });
const distCounts = (): Record<DistMetric, Counts> => ({ ttft: new Counts(), tpot: new Counts(), itl: new Counts(), e2e: new Counts() });
const round = (x: number): number => Number(x.toPrecision(5));

class TestAccumulator {
  requests = 0;
  readonly hist = distCounts();
  readonly stages = new Map<number, Record<DistMetric, Counts>>();
  bucketMs = FIRST_BUCKET_MS;
  buckets = new Map<number, Bucket>();

  constructor(
    readonly scenario: string,
    readonly idPrefix: string,
  ) {}

  private bucket(tMs: number): Bucket {
    const k = Math.floor(tMs / this.bucketMs);
    let b = this.buckets.get(k);
    if (!b) {
      b = newBucket();
      this.buckets.set(k, b);
      if (this.buckets.size > MAX_BUCKETS) this.widen();
      return this.buckets.get(Math.floor(tMs / this.bucketMs))!;
    }
    return b;
  }

  /** Doubles the bucket width, merging pairs. */
  widen(): void {
    const next = new Map<number, Bucket>();
    for (const [k, b] of this.buckets) {
      const nk = Math.floor(k / 2);
      const into = next.get(nk);
      if (!into) next.set(nk, b);
      else {
        into.ttft.merge(b.ttft);
        into.e2e.merge(b.e2e);
        into.sent += b.sent;
        into.ok += b.ok;
        into.tokens += b.tokens;
        into.errors += b.errors;
      }
    }
    this.buckets = next;
    this.bucketMs *= 2;
  }

  add(l: Line): void {
    this.requests++;
    const ok = l.error === null || l.error === undefined;
    const m = l.metrics ?? {};
    const stage = typeof l.stage === 'number' && l.stage < MAX_STAGES ? l.stage : null;
    let sh = stage === null ? null : this.stages.get(stage);
    if (stage !== null && !sh) this.stages.set(stage, (sh = distCounts()));
    const put = (metric: DistMetric, v: number | null | undefined): void => {
      if (typeof v !== 'number') return;
      this.hist[metric].add(v);
      sh?.[metric].add(v);
    };
    if (ok) {
      put('ttft', m.ttft_ms);
      put('tpot', m.tpot_ms);
      put('e2e', m.e2e_ms);
      const e = l.empty_choice_ms;
      const c = m.definitions === 'vllm' && Array.isArray(e) && e.length > 0 && Array.isArray(l.chunk_ms) ? [...l.chunk_ms, ...e].sort((a, b) => a - b) : l.chunk_ms;
      if (Array.isArray(c)) for (let i = 1; i < c.length; i++) put('itl', c[i]! - c[i - 1]!);
      if (typeof l.sent_ms === 'number') {
        const b = this.bucket(l.sent_ms);
        b.sent++;
        if (typeof m.ttft_ms === 'number') b.ttft.add(m.ttft_ms);
        if (typeof m.e2e_ms === 'number') b.e2e.add(m.e2e_ms);
      }
    }
    if (typeof l.end_ms === 'number') {
      const b = this.bucket(l.end_ms);
      if (ok) {
        b.ok++;
        b.tokens += typeof m.output_tokens === 'number' ? m.output_tokens : 0;
      } else b.errors++;
    }
  }

  finish(): TestSeries {
    // Coarser buckets while the typical bucket holds too few requests for a p95 (but keep 30+ points).
    for (;;) {
      const keys = [...this.buckets.keys()];
      const span = keys.length ? Math.max(...keys) - Math.min(...keys) + 1 : 0;
      const sent = [...this.buckets.values()].reduce((a, b) => a + b.sent, 0);
      if (span <= MAX_BUCKETS && (span < 60 || sent / span >= 20)) break;
      this.widen();
    }
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    const timeline: TimePoint[] = [];
    const perS = 1000 / this.bucketMs;
    if (keys.length) {
      for (let k = keys[0]!; k <= keys.at(-1)!; k++) {
        const b = this.buckets.get(k) ?? newBucket();
        timeline.push({
          t: round((k * this.bucketMs) / 1000),
          sent: b.sent,
          ttftP50: b.ttft.quantile(50),
          ttftP95: b.ttft.quantile(95),
          e2eP50: b.e2e.quantile(50),
          e2eP95: b.e2e.quantile(95),
          okPerS: round(b.ok * perS),
          outputTokensPerS: round(b.tokens * perS),
          errorsPerS: round(b.errors * perS),
        });
      }
    }
    const ranges = Object.fromEntries(DIST_METRICS.map((m) => [m, this.hist[m].range()])) as Record<DistMetric, ReturnType<Counts['range']>>;
    const hists = (h: Record<DistMetric, Counts>) => Object.fromEntries(DIST_METRICS.map((m) => [m, h[m].histogram(ranges[m])])) as Record<DistMetric, Histogram>;
    return {
      scenario: this.scenario,
      idPrefix: this.idPrefix,
      requests: this.requests,
      hist: hists(this.hist),
      stages: [...this.stages.entries()].sort(([a], [b]) => a - b).map(([stage, h]) => ({ stage, hist: hists(h) })),
      bucketS: this.bucketMs / 1000,
      timeline,
    };
  }
}

/** `<suite>-<scenario>-<anchor>-` of a request id `<suite>-<scenario>-<anchor>-<i>`; empty for another form. */
function prefixOf(id: unknown): string {
  if (typeof id !== 'string') return '';
  const m = /^(.*-)\d+$/.exec(id);
  return m ? m[1]! : '';
}

/** Calls `visit` with each line of the file, read through a 1 MiB buffer. */
export function forEachLine(path: string, visit: (line: string) => void): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const text = rest + decoder.write(buf.subarray(0, n));
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        visit(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
    }
    rest += decoder.end();
    if (rest) visit(rest);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads `<runDir>/<file>` (default `requests.jsonl`) into bounded chart series; null when the
 * file does not exist or cannot be read (the report then draws from the summaries alone).
 */
export function loadHtmlSeries(runDir: string, file = 'requests.jsonl'): HtmlSeries | null {
  const tests = new Map<string, TestAccumulator>();
  let lines = 0;
  let unparsable = 0;
  try {
    forEachLine(join(runDir, file), (text) => {
      if (!text.trim()) return;
      lines++;
      let l: Line;
      try {
        l = JSON.parse(text) as Line;
      } catch {
        unparsable++;
        return;
      }
      if (l === null || typeof l !== 'object' || l.warmup || l.error?.class === 'cut') return;
      const prefix = prefixOf(l.request_id);
      const scenario = typeof l.scenario === 'string' ? l.scenario : '';
      const key = `${scenario}\n${prefix}`;
      let acc = tests.get(key);
      if (!acc) tests.set(key, (acc = new TestAccumulator(scenario, prefix)));
      acc.add(l);
    });
  } catch {
    return null;
  }
  return { file, lines, unparsable, tests: [...tests.values()].map((a) => a.finish()) };
}
