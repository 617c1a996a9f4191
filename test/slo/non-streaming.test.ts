/*
 * Verdicts of a non-streaming run: limits on streamed-only metrics (TTFT, TTFT from intended, TPOT,
 * ITL) are not judged and say why; E2E, NTPOT, the success rate and schedule lag are judged; a
 * pass that judged no latency limit says so in every text that shows it.
 */
import { describe, expect, test } from 'vitest';
import type { RequestRecord } from '../../lib/metrics/record.ts';
import { evaluateSlo, formatEvaluation, unjudgedText, verdictWord } from '../../lib/slo/evaluate.ts';
import { GoodputCounter } from '../../lib/slo/goodput.ts';
import { DEFAULT_FLOORS, SLO_PRESETS, type SloProfile } from '../../lib/slo/profile.ts';
import { deriveRequestMetrics } from '../../lib/metrics/derive.ts';
import { makeRecord } from '../metrics/records.ts';
import { statsOf } from './stats.ts';

/** A successful non-streamed request: sent at `lag`, the whole body at sent + e2e, `n` tokens by the server's usage. */
function wholeBody(e2e: number, n: number, lag = 0): RequestRecord {
  return makeRecord({
    stream: false, intended: 0, sent: lag, headers: lag + e2e, firstChunk: null, chunkTimes: [], chunkTokens: null, chunkTokensSource: null,
    end: lag + e2e, usage: { promptTokens: 12, completionTokens: n, cachedTokens: null }, tokenizerOutputTokens: null,
  });
}

/** E2E 100, 200, 300, 400, 500 ms of 10 tokens each: E2E p95 480 ms, NTPOT p95 48 ms. */
const FIVE = [1, 2, 3, 4, 5].map((k) => wholeBody(100 * k, 10));
const profile = (limits: SloProfile['limits']): SloProfile => ({ name: 'p', description: 'p', source: 'test', limits });
const NOT_STREAMED = { streamed: false };

describe('a non-streaming run', () => {
  test('E2E is end - sent and N is usage.completion_tokens, so NTPOT = E2E / N; no TTFT or TPOT sample exists', () => {
    const m = deriveRequestMetrics(wholeBody(300, 10, 2));
    expect(m).toMatchObject({ e2eMs: 300, e2eFromIntendedMs: 302, outputTokens: 10, outputTokensSource: 'server', ntpotMs: 30, ttftMs: null, tpotMs: null });
    const s = statsOf(FIVE);
    expect(s.latency.ttft.count).toBe(0);
    expect(s.latency.tpot.count).toBe(0);
    expect(s.latency.e2e.percentiles.p95).toBeCloseTo(480, 9);
    expect(s.latency.ntpot.percentiles.p95).toBeCloseTo(48, 9);
  });

  test('streamed-only limits are not judged, the others are, and the verdict rests on them', () => {
    const limits: SloProfile['limits'] = [
      { metric: 'ttft', stat: 'p95', max: 1, unit: 'ms' },
      { metric: 'ttft_from_intended', stat: 'p99', max: 1, unit: 'ms' },
      { metric: 'tpot', stat: 'p95', max: 1, unit: 'ms' },
      { metric: 'itl', stat: 'p95', max: 1, unit: 'ms' },
      { metric: 'e2e', stat: 'p95', max: 0.5, unit: 's' },
      { metric: 'ntpot', stat: 'p95', max: 50, unit: 'ms' },
    ];
    const e = evaluateSlo(profile(limits), statsOf(FIVE), DEFAULT_FLOORS, NOT_STREAMED);
    expect(e.checks.map((c) => [c.name, c.pass, c.note ?? ''])).toEqual([
      ['TTFT p95', null, 'not measurable: non-streaming'],
      ['TTFT from intended p99', null, 'not measurable: non-streaming'],
      ['TPOT p95', null, 'not measurable: non-streaming'],
      ['ITL p95', null, 'not measurable: non-streaming'],
      ['E2E latency p95', true, ''],
      ['NTPOT p95', true, ''],
      ['success rate', true, ''],
      ['schedule lag p99 (client kept up)', true, ''],
    ]);
    expect(e.pass).toBe(true);
    expect(e.unjudged).toEqual(['TTFT p95', 'TTFT from intended p99', 'TPOT p95', 'ITL p95']);
    expect(verdictWord(e)).toBe('PASS (partly judged)');
    expect(unjudgedText(e)).toBe('TTFT p95, TTFT from intended p99, TPOT p95, ITL p95 not judged (not measurable: non-streaming)');

    // A violated E2E limit fails the verdict; the unjudged ones still only say so.
    const tight = evaluateSlo(profile([limits[0]!, { metric: 'e2e', stat: 'p95', max: 400, unit: 'ms' }]), statsOf(FIVE), DEFAULT_FLOORS, NOT_STREAMED);
    expect(tight.pass).toBe(false);
    expect(verdictWord(tight)).toBe('FAIL');
    expect(tight.checks.map((c) => c.pass)).toEqual([null, false, true, true]);
  });

  test('the same limits on a streamed run with no first chunk fail: there, nothing explains the missing samples', () => {
    const e = evaluateSlo(SLO_PRESETS['mlperf-standard']!, statsOf(FIVE), DEFAULT_FLOORS);
    expect(e.pass).toBe(false);
    expect(e.checks[0]).toMatchObject({ name: 'TTFT p95', pass: false, note: 'no samples, for no known reason' });
    expect(e.unjudged).toBeUndefined();
  });

  test('an MLPerf profile (TTFT and TPOT only) passes on the floors alone and says that no latency limit was judged', () => {
    const e = evaluateSlo(SLO_PRESETS['mlperf-standard']!, statsOf(FIVE), DEFAULT_FLOORS, NOT_STREAMED);
    expect(e.pass).toBe(true);
    expect(formatEvaluation(e).split('\n')).toEqual([
      'SLO mlperf-standard: PASS (partly judged) (MLPerf standard: TTFT p95 <= 2 s, TPOT p95 <= 100 ms)',
      '  ----  TTFT p95                                    n/a <= 2000 ms  (not measurable: non-streaming)',
      '  ----  TPOT p95                                    n/a <= 100 ms  (not measurable: non-streaming)',
      '  pass  success rate                             100.0% >= 95.0%',
      '  pass  schedule lag p99 (client kept up)       0.00 ms <= 10.0 ms',
      '  TTFT p95, TPOT p95 not judged (not measurable: non-streaming); no latency limit could be judged: the verdict rests on success rate and schedule lag p99 (client kept up) only',
    ]);
    // The floors are still judged: a failed success rate fails it.
    const failing = [...FIVE, makeRecord({ stream: false, firstChunk: null, chunkTimes: [], status: 503, usage: null, error: { class: 'http_status', message: 'HTTP 503' } })];
    expect(evaluateSlo(SLO_PRESETS['mlperf-standard']!, statsOf(failing), DEFAULT_FLOORS, NOT_STREAMED).pass).toBe(false);
  });

  test('goodput counts the limits a request can meet and lists the streamed-only ones as not counted', () => {
    const g = new GoodputCounter(profile([{ metric: 'ttft', stat: 'p95', max: 1, unit: 'ms' }, { metric: 'e2e', stat: 'p95', max: 250, unit: 'ms' }]), NOT_STREAMED);
    for (const r of FIVE) g.add(deriveRequestMetrics(r));
    const out = g.result(1000);
    expect(out.conditions).toEqual(['e2e <= 250 ms']);
    expect(out.skipped).toEqual(['ttft p95 <= 1 ms (not measurable: non-streaming)']);
    expect([out.good, out.requests]).toEqual([2, 5]);
    // Streamed, the TTFT condition stays and a request without TTFT is not good.
    const streamed = new GoodputCounter(profile([{ metric: 'ttft', stat: 'p95', max: 1, unit: 'ms' }]));
    for (const r of FIVE) streamed.add(deriveRequestMetrics(r));
    expect(streamed.result(1000).good).toBe(0);
  });
});
