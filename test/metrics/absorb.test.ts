/**
 * A StatsAccumulator's state travels as JSON (`encode`) and joins another's (`absorb`): what a pod
 * of a distributed run sends besides its records, and what the merge falls back to when a pod's
 * records did not arrive intact. Exact stores pool into the exact answer; histograms merge within
 * their stated bound; counts, windows and goodput add up.
 */
import { describe, expect, it } from 'vitest';
import { splitmix32 } from '../../lib/stats/prng.ts';
import { type EncodedStats, LATENCY_METRICS, type RunStats, StatsAccumulator } from '../../lib/metrics/aggregate.ts';
import type { RequestRecord } from '../../lib/metrics/record.ts';
import { GoodputCounter } from '../../lib/slo/goodput.ts';
import { SLO_PRESETS } from '../../lib/slo/profile.ts';
import { makeRecord } from './records.ts';

const SLO = SLO_PRESETS['mlperf-standard']!;

/** `n` synthetic records of a run: varied latencies, a few failures, cut and warm-up requests. */
function records(n: number, seed = 7): RequestRecord[] {
  const prng = splitmix32(seed);
  const u = (): number => prng.next() / 2 ** 32;
  return Array.from({ length: n }, (_, seq) => {
    const intended = 1000 + seq * 13.7;
    const sent = intended + u() * 3;
    const ttft = 20 + u() ** 3 * 3000;
    const tokens = 1 + Math.floor(u() * 40);
    const chunkTimes = Array.from({ length: tokens }, (_, k) => sent + ttft + k * (5 + u() * 60));
    const end = chunkTimes.at(-1)! + u();
    const kind = u();
    const base = makeRecord({
      seq, requestId: `r-${seq}`, warmup: seq < 3, stage: seq < 3 ? null : 0, intended, sent, headers: sent + 1, firstChunk: chunkTimes[0]!,
      chunkTimes, chunkTokens: chunkTimes.map(() => 1), end, promptTokens: 100 + (seq % 5),
      usage: { promptTokens: 101 + (seq % 5), completionTokens: tokens, cachedTokens: null }, tokenizerOutputTokens: tokens + (seq % 17 === 0 ? 1 : 0),
    });
    if (seq >= 3 && kind < 0.05) return { ...base, status: 503, error: { class: 'http_status', message: `overloaded ${seq}` }, firstChunk: null, chunkTimes: [], usage: null };
    if (seq >= 3 && kind > 0.98) return { ...base, error: { class: 'cut', message: 'cut' } };
    return base;
  });
}


function single(all: readonly RequestRecord[]): { stats: RunStats; good: GoodputCounter } {
  const acc = new StatsAccumulator();
  const good = new GoodputCounter(SLO);
  for (const r of all) {
    const m = acc.add(r);
    if (m) good.add(m);
  }
  return { stats: acc.stats(), good };
}

/** Each pod's accumulator over its records (global index i to pod i mod N, as the split deals them). */
function podAccumulators(all: readonly RequestRecord[], count: number): Array<{ acc: StatsAccumulator; good: GoodputCounter; records: RequestRecord[] }> {
  return Array.from({ length: count }, (_, k) => {
    const records = all.filter((r) => r.seq % count === k);
    const acc = new StatsAccumulator();
    const good = new GoodputCounter(SLO);
    for (const r of records) {
      const m = acc.add(r);
      if (m) good.add(m);
    }
    return { acc, good, records };
  });
}

/** Through JSON, as it travels in stats.jsonl. */
const wire = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function expectSameCounts(got: RunStats, want: RunStats): void {
  expect(got.requests).toEqual(want.requests);
  expect(got.retries).toEqual(want.retries);
  expect(Object.fromEntries(Object.entries(got.errors).map(([k, v]) => [k, v.count]))).toEqual(Object.fromEntries(Object.entries(want.errors).map(([k, v]) => [k, v.count])));
  const { input: _i, output: _o, perChunk: _p, ...tokenCounts } = got.tokens;
  const { input: _wi, output: _wo, perChunk: _wp, ...wantCounts } = want.tokens;
  expect(tokenCounts).toEqual(wantCounts);
  expect(got.window.durationMs).toBeCloseTo(want.window.durationMs, 9);
  expect(got.throughput.outputTokensPerS).toBeCloseTo(want.throughput.outputTokensPerS!, 9);
  expect(got.throughput.inputTokensPerS).toBeCloseTo(want.throughput.inputTokensPerS!, 9);
  expect(got.throughput.requestsPerS).toBeCloseTo(want.throughput.requestsPerS!, 9);
}

describe('exact stores', () => {
  const all = records(600);
  const one = single(all);
  for (const count of [1, 2, 4]) {
    it(`${count} pod(s), encoded as they are and absorbed: the single accumulator's statistics`, () => {
      const merged = new StatsAccumulator();
      const good = new GoodputCounter(SLO);
      for (const p of podAccumulators(all, count).reverse()) {
        merged.absorb(wire(p.acc.encode()));
        good.absorb(wire(p.good.encode()));
      }
      const got = merged.stats();
      expectSameCounts(got, one.stats);
      for (const m of LATENCY_METRICS) {
        const [g, w] = [got.latency[m], one.stats.latency[m]];
        expect(g.exact).toBeUndefined();
        expect({ ...g, mean: null, stddev: null }).toEqual({ ...w, mean: null, stddev: null });
        if (w.mean !== null) expect(g.mean!).toBeCloseTo(w.mean, 9);
      }
      expect(got.tokens.output.percentiles).toEqual(one.stats.tokens.output.percentiles);
      expect(good.result(got.window.durationMs)).toEqual(one.good.result(one.stats.window.durationMs));
    });
  }
});

describe('histograms', () => {
  const all = records(3000, 11);
  const one = single(all);

  it('encoded as histograms (exactCap 0): percentiles within 2^-(bits+1) of the exact ones, counts, min, max exact', () => {
    const pods = podAccumulators(all, 4);
    const line = wire(pods[0]!.acc.encode({ exactCap: 0 }));
    expect(line.latency.ttft.samples).toBeUndefined();
    expect(line.latency.ttft.histogram).toBeDefined();
    const merged = new StatsAccumulator();
    // One pod's records arrived (added one by one), the others' histograms did.
    for (const r of pods[2]!.records) merged.add(r);
    for (const k of [0, 1, 3]) merged.absorb(wire(pods[k]!.acc.encode({ exactCap: 0 })));
    const got = merged.stats();
    expectSameCounts(got, one.stats);
    const bound = 2 ** -10;
    for (const m of LATENCY_METRICS) {
      const [g, w] = [got.latency[m], one.stats.latency[m]];
      expect(g.count).toBe(w.count);
      expect(g.min).toBe(w.min);
      expect(g.max).toBe(w.max);
      expect(g.mean!).toBeCloseTo(w.mean!, 6);
      expect(g.exact).toBe(false);
      expect(g.relativeError).toBe(bound);
      for (const [key, exact] of Object.entries(w.percentiles)) {
        expect(Math.abs(g.percentiles[key]! - exact!), `${m} ${key}`).toBeLessThanOrEqual(bound * Math.abs(exact!) + 1e-9);
      }
    }
  });

  it("absorbed with a shift: another clock's window joins this one's", () => {
    // Pod 1 ran on a clock that reads 5000 ms more at the same instant.
    const [p0, p1] = podAccumulators(all, 2);
    const later = new StatsAccumulator();
    for (const r of p1!.records) later.add({ ...r, intended: r.intended + 5000, sent: r.sent! + 5000, firstChunk: r.firstChunk === null ? null : r.firstChunk + 5000, chunkTimes: r.chunkTimes.map((t) => t + 5000), end: r.end + 5000 });
    const merged = new StatsAccumulator();
    merged.absorb(p0!.acc.encode());
    merged.absorb(wire(later.encode()), -5000);
    expect(merged.stats().window.durationMs).toBeCloseTo(one.stats.window.durationMs, 9);
    const unshifted = new StatsAccumulator();
    unshifted.absorb(p0!.acc.encode());
    unshifted.absorb(later.encode());
    expect(unshifted.stats().window.durationMs).toBeGreaterThan(one.stats.window.durationMs + 4000);
  });

  it('an empty accumulator encodes to nothing that moves the window', () => {
    const merged = new StatsAccumulator();
    merged.absorb(wire(new StatsAccumulator().encode({ exactCap: 0 })) as EncodedStats);
    expect(merged.stats().requests.total).toBe(0);
    expect(merged.stats().window.durationMs).toBe(0);
  });
});

describe('goodput counts', () => {
  it('refuse to join a count under another SLO profile', () => {
    const other = new GoodputCounter(SLO_PRESETS['mlperf-interactive']!);
    expect(() => new GoodputCounter(SLO).absorb(other.encode())).toThrow('goodput counted under SLO profile mlperf-interactive cannot join a count under mlperf-standard');
  });
});
