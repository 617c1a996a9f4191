import { describe, expect, it } from 'vitest';
import { mergePods, type PodIdentity, type PodResult, podStatsOf } from '../../lib/distributed/merge.ts';
import { splitmix32 } from '../../lib/data/prng.ts';
import { LATENCY_METRICS, StatsAccumulator } from '../../lib/metrics/aggregate.ts';
import type { RequestRecord, RunClock } from '../../lib/metrics/record.ts';
import { GoodputCounter } from '../../lib/slo/goodput.ts';
import { SLO_PRESETS } from '../../lib/slo/profile.ts';
import { makeRecord } from '../metrics/records.ts';

const SLO = SLO_PRESETS['mlperf-standard']!;
const CLOCK: RunClock = { perfMs: 1000, hrtimeUs: 5_000_000, wallTime: '2026-11-23T20:00:00.000Z' };

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

const identity = (index: number, over: Partial<PodIdentity> = {}): PodIdentity => ({
  index, pod: `bench-${index}`, node: `node-${index % 2}`, share: `share ${index}`, clock: CLOCK, clockOffsetMs: 0,
  validity: { valid: true, scheduleLagP99Ms: 1.5, reasons: [] }, ...over,
});

/** The records dealt to `count` pods as the split does (global index i to pod i mod N). */
function pods(all: RequestRecord[], count: number): PodResult[] {
  return Array.from({ length: count }, (_, index) => ({ identity: identity(index), records: all.filter((r) => r.seq % count === index) }));
}

function single(all: readonly RequestRecord[]): { stats: ReturnType<StatsAccumulator['stats']>; good: GoodputCounter } {
  const acc = new StatsAccumulator();
  const good = new GoodputCounter(SLO);
  for (const r of all) {
    const m = acc.add(r);
    if (m) good.add(m);
  }
  return { stats: acc.stats(), good };
}

describe('merge of per-pod records', () => {
  const all = records(600);
  const one = single(all);
  for (const count of [1, 2, 4]) {
    it(`${count} pod(s): statistics deep-equal to one accumulator over every record`, () => {
      const merged = mergePods({ shares: Array.from({ length: count }, (_, i) => `share ${i}`), pods: pods(all, count).reverse(), slo: SLO });
      expect(merged.stats).toEqual(one.stats);
      expect(merged.exact).toBe(true);
      expect(merged.relativeError).toBeNull();
      expect(merged.goodput).toEqual(one.good.result(one.stats.window.durationMs));
      expect(merged.partial).toBe(false);
      expect(merged.missing).toEqual([]);
      expect(merged.validity).toEqual({ valid: true, reasons: [] });
      expect(merged.pods.map((p) => [p.index, p.pod, p.node, p.share, p.source])).toEqual(
        Array.from({ length: count }, (_, i) => [i, `bench-${i}`, `node-${i % 2}`, `share ${i}`, 'records']),
      );
      expect(merged.pods.reduce((n, p) => n + p.requests, 0)).toBe(one.stats.requests.total);
    });
  }

  it('corrects each pod clock to one timeline for the union window', () => {
    // Pod 1's clock reads 5000 ms more at the same instant, and its wall clock is 250 ms fast.
    const shifted = pods(all, 2).map((p) => p.identity.index === 0 ? p : {
      identity: identity(1, { clock: { ...CLOCK, perfMs: CLOCK.perfMs + 5000, wallTime: '2026-11-23T20:00:00.250Z' }, clockOffsetMs: 250 }),
      records: p.records!.map((r) => ({ ...r, intended: r.intended + 5000, sent: r.sent! + 5000, firstChunk: r.firstChunk === null ? null : r.firstChunk + 5000, chunkTimes: r.chunkTimes.map((t) => t + 5000), end: r.end + 5000 })),
    });
    const merged = mergePods({ shares: ['a', 'b'], pods: shifted });
    expect(merged.stats.window.durationMs).toBeCloseTo(one.stats.window.durationMs, 6);
    expect(merged.stats.throughput.outputTokensPerS).toBeCloseTo(one.stats.throughput.outputTokensPerS!, 6);
    for (const m of LATENCY_METRICS) expect(merged.stats.latency[m].percentiles.p99).toBeCloseTo(one.stats.latency[m].percentiles.p99!, 6);
  });
});

describe('merge of encoded pod statistics', () => {
  const all = records(3000, 11);
  const one = single(all);

  it('exact stores pool into the exact answer', () => {
    const merged = mergePods({ shares: ['a', 'b', 'c', 'd'], pods: pods(all, 4).map((p) => ({ identity: p.identity, stats: podStatsOf(p.records!, { slo: SLO }) })), slo: SLO });
    expect(merged.exact).toBe(true);
    expect(merged.stats.latency).toEqual(one.stats.latency);
    expect(merged.stats.tokens).toEqual(one.stats.tokens);
    expect(merged.stats.requests).toEqual(one.stats.requests);
    expect(merged.stats.retries).toEqual(one.stats.retries);
    expect(Object.keys(merged.stats.errors).sort()).toEqual(Object.keys(one.stats.errors).sort());
    expect(merged.stats.errors.http_503!.count).toBe(one.stats.errors.http_503!.count);
    expect(merged.stats.throughput).toEqual(one.stats.throughput);
    expect(merged.goodput).toEqual(one.good.result(one.stats.window.durationMs));
  });

  it('folded stores merge as histograms, within the stated bound', () => {
    // A cap of 100 samples per store: every pod's stores fold into histograms.
    const hist = pods(all, 4).map((p, k) => (k === 2 ? p : { identity: p.identity, stats: podStatsOf(p.records!, { store: { exactCap: 100 } }) }));
    const merged = mergePods({ shares: ['a', 'b', 'c', 'd'], pods: hist });
    expect(merged.exact).toBe(false);
    expect(merged.relativeError).toBe(2 ** -10);
    expect(merged.pods.map((p) => p.source)).toEqual(['stats', 'stats', 'records', 'stats']);
    for (const m of LATENCY_METRICS) {
      const got = merged.stats.latency[m];
      const want = one.stats.latency[m];
      expect(got.count).toBe(want.count);
      expect(got.min).toBe(want.min);
      expect(got.max).toBe(want.max);
      expect(got.mean!).toBeCloseTo(want.mean!, 6);
      if (got.count > 100) expect(got.exact).toBe(false);
      for (const [key, exact] of Object.entries(want.percentiles)) {
        const estimate = got.percentiles[key]!;
        expect(Math.abs(estimate - exact!)).toBeLessThanOrEqual(merged.relativeError! * Math.abs(exact!) + 1e-9);
      }
    }
    expect(merged.stats.requests).toEqual(one.stats.requests);
    expect(merged.stats.throughput.outputTokensPerS).toBeCloseTo(one.stats.throughput.outputTokensPerS!, 9);
  });
});

describe('a missing pod', () => {
  it('yields a partial result that names the missing share', () => {
    const all = records(400);
    const reported = pods(all, 4).filter((p) => p.identity.index !== 2);
    reported[0] = { ...reported[0]!, identity: identity(0, { incomplete: 'evicted at 12 s', validity: { valid: false, scheduleLagP99Ms: 31, reasons: ['schedule lag p99 31.00 ms > 10 ms'] } }) };
    const merged = mergePods({ shares: ['pod 1 of 4: ...', 'pod 2 of 4: ...', 'pod 3 of 4: every 4th request from global index 2', 'pod 4 of 4: ...'], pods: reported });
    expect(merged.partial).toBe(true);
    expect(merged.missing).toEqual([{ index: 2, share: 'pod 3 of 4: every 4th request from global index 2' }]);
    expect(merged.validity.valid).toBe(false);
    expect(merged.validity.reasons).toEqual([
      'share 2 missing (no pod reported): pod 3 of 4: every 4th request from global index 2',
      'pod bench-0 (share 0) incomplete: evicted at 12 s',
      'pod bench-0: schedule lag p99 31.00 ms > 10 ms',
    ]);
    expect(merged.pods.map((p) => p.index)).toEqual([0, 1, 3]);
    expect(merged.stats).toEqual(single(all.filter((r) => r.seq % 4 !== 2)).stats);
  });

  it('refuses a pod reported twice or outside the shares', () => {
    const p = pods(records(20), 2);
    expect(() => mergePods({ shares: ['a', 'b'], pods: [...p, p[0]!] })).toThrow('pod index 0 reported twice (pod bench-0)');
    expect(() => mergePods({ shares: ['a'], pods: p })).toThrow('pod bench-1 has index 1, outside the 1 shares 0..0');
  });
});
