import { describe, expect, test } from 'vitest';
import { evaluateSlo, formatEvaluation, limitName } from '../../lib/slo/evaluate.ts';
import { DEFAULT_FLOORS, SLO_PRESETS, type SloProfile } from '../../lib/slo/profile.ts';
import { failedRecord, statsOf, timedRecord } from './stats.ts';

/**
 * Five requests with TTFT 10..50 ms, TPOT 5..9 ms and schedule lag 0..4 ms (linear percentiles:
 * p95 of 10,20,30,40,50 is 48; of 5..9 is 8.8; p99 of lags 0..4 is 3.96), plus a slow warm-up
 * request that must not count.
 */
const FIVE = [
  ...[0, 1, 2, 3, 4].map((k) => timedRecord(10 + 10 * k, 5 + k, k)),
  timedRecord(9000, 900, 500, { warmup: true }),
];
const close = (x: number): unknown => expect.closeTo(x, 9);

const profile = (name: string, limits: SloProfile['limits']): SloProfile => ({ name, description: `${name} profile`, source: 'test', limits });

describe('evaluateSlo', () => {
  test('mlperf-standard passes with every check listed: value, limit, verdict', () => {
    const e = evaluateSlo(SLO_PRESETS['mlperf-standard']!, statsOf(FIVE), DEFAULT_FLOORS);
    expect(e).toEqual({
      profile: 'mlperf-standard',
      description: 'MLPerf standard: TTFT p95 <= 2 s, TPOT p95 <= 100 ms',
      source: 'vitest-llm-d DESIGN.md (MLPerf-derived standard profile)',
      pass: true,
      checks: [
        { name: 'TTFT p95', value: close(48), op: '<=', limit: 2000, unit: 'ms', pass: true },
        { name: 'TPOT p95', value: close(8.8), op: '<=', limit: 100, unit: 'ms', pass: true },
        { name: 'success rate', value: 1, op: '>=', limit: 0.95, unit: '', pass: true },
        { name: 'schedule lag p99 (client kept up)', value: close(3.96), op: '<=', limit: 10, unit: 'ms', pass: true },
      ],
    });
  });

  test('MLPerf server presets use TTFT from the intended time at p99', () => {
    // TTFT from intended = lag + TTFT: 10, 21, 32, 43, 54 → p99 = 43 + 0.96 * 11.
    const e = evaluateSlo(SLO_PRESETS['mlperf-llama3.1-8b-interactive']!, statsOf(FIVE), DEFAULT_FLOORS);
    expect(e.checks.slice(0, 2)).toEqual([
      { name: 'TTFT from intended p99', value: close(53.56), op: '<=', limit: 500, unit: 'ms', pass: true },
      { name: 'TPOT p99', value: close(8.96), op: '<=', limit: 30, unit: 'ms', pass: true },
    ]);
    expect(e.pass).toBe(true);
  });

  test('one limit over fails the profile; seconds are converted', () => {
    // E2E = TTFT + 3 TPOT: 25, 38, 51, 64, 77 ms → p50 0.051 s.
    const e = evaluateSlo(
      profile('tight', [
        { metric: 'ttft', stat: 'p95', max: 45, unit: 'ms' },
        { metric: 'e2e', stat: 'p50', max: 0.06, unit: 's' },
        { metric: 'itl', stat: 'max', max: 9, unit: 'ms' },
      ]),
      statsOf(FIVE),
      DEFAULT_FLOORS,
    );
    expect(e.pass).toBe(false);
    expect(e.checks.map((c) => [c.name, c.value, c.pass])).toEqual([
      ['TTFT p95', close(48), false],
      ['E2E latency p50', close(0.051), true],
      ['ITL max', close(9), true],
      ['success rate', 1, true],
      ['schedule lag p99 (client kept up)', close(3.96), true],
    ]);
    const atLimit = evaluateSlo(profile('edge', [{ metric: 'itl', stat: 'max', max: 8.999, unit: 'ms' }]), statsOf(FIVE), DEFAULT_FLOORS);
    expect(atLimit.checks[0]!.pass).toBe(false);
  });

  test('no successful request: latency limits are not measurable, and the success-rate floor fails the run', () => {
    const e = evaluateSlo(SLO_PRESETS['mlperf-standard']!, statsOf([failedRecord(), failedRecord()]), DEFAULT_FLOORS);
    expect(e.pass).toBe(false);
    expect(e.checks).toEqual([
      { name: 'TTFT p95', value: null, op: '<=', limit: 2000, unit: 'ms', pass: null, note: 'not measurable: no successful request' },
      { name: 'TPOT p95', value: null, op: '<=', limit: 100, unit: 'ms', pass: null, note: 'not measurable: no successful request' },
      { name: 'success rate', value: 0, op: '>=', limit: 0.95, unit: '', pass: false },
      { name: 'schedule lag p99 (client kept up)', value: 1, op: '<=', limit: 10, unit: 'ms', pass: true },
    ]);
  });

  test('nothing sent, nothing measured, a statistic not computed: each fails with its note', () => {
    const refused = statsOf([failedRecord({ sent: null, headers: null, status: null, error: { class: 'connect_refused', message: 'x' } })]);
    const lag = evaluateSlo(profile('p', []), refused, DEFAULT_FLOORS).checks[1]!;
    expect(lag).toEqual({ name: 'schedule lag p99 (client kept up)', value: null, op: '<=', limit: 10, unit: 'ms', pass: false, note: 'no request was sent' });

    const empty = evaluateSlo(profile('p', []), statsOf([]), DEFAULT_FLOORS);
    expect(empty.checks[0]).toEqual({ name: 'success rate', value: null, op: '>=', limit: 0.95, unit: '', pass: false, note: 'no measured requests' });
    expect(empty.pass).toBe(false);

    const p80 = evaluateSlo(profile('p', [{ metric: 'ttft', stat: 'p80', max: 1000, unit: 'ms' }]), statsOf(FIVE), DEFAULT_FLOORS);
    expect(p80.checks[0]).toMatchObject({ name: 'TTFT p80', value: null, pass: false, note: 'p80 not computed' });
  });

  test('success-rate floor: 19 of 20 is exactly 0.95', () => {
    const records = [...Array.from({ length: 19 }, () => timedRecord(10, 5)), failedRecord()];
    const at = (minSuccessRate: number): boolean =>
      evaluateSlo(profile('p', []), statsOf(records), { ...DEFAULT_FLOORS, minSuccessRate }).checks[0]!.pass === true;
    expect(statsOf(records).requests.successRate).toBe(0.95);
    expect(at(0.95)).toBe(true);
    expect(at(0.951)).toBe(false);
  });

  test('schedule-lag floor: a client that fell behind fails whatever the latencies', () => {
    // 20 lags, one of 50 ms: p99 = 0.81 * 50 = 40.5 ms.
    const records = Array.from({ length: 20 }, (_, k) => timedRecord(10, 5, k === 7 ? 50 : 0));
    const e = evaluateSlo(SLO_PRESETS['mlperf-standard']!, statsOf(records), DEFAULT_FLOORS);
    expect(e.pass).toBe(false);
    expect(e.checks.map((c) => c.pass)).toEqual([true, true, true, false]);
    expect(e.checks[3]!.value).toBeCloseTo(40.5, 9);
    expect(evaluateSlo(SLO_PRESETS['mlperf-standard']!, statsOf(records), { ...DEFAULT_FLOORS, maxScheduleLagP99Ms: 41 }).pass).toBe(true);
  });
});

describe('formatEvaluation', () => {
  test('one line per check: verdict, name, value, operator, limit, note', () => {
    const pass = formatEvaluation(evaluateSlo(SLO_PRESETS['mlperf-standard']!, statsOf(FIVE), DEFAULT_FLOORS));
    expect(pass.split('\n')).toEqual([
      'SLO mlperf-standard: PASS (MLPerf standard: TTFT p95 <= 2 s, TPOT p95 <= 100 ms)',
      '  pass  TTFT p95                                48.0 ms <= 2000 ms',
      '  pass  TPOT p95                                8.80 ms <= 100 ms',
      '  pass  success rate                             100.0% >= 95.0%',
      '  pass  schedule lag p99 (client kept up)       3.96 ms <= 10.0 ms',
    ]);
    const fail = formatEvaluation(evaluateSlo(SLO_PRESETS['mlperf-standard']!, statsOf([failedRecord()]), DEFAULT_FLOORS));
    expect(fail.split('\n')).toEqual([
      'SLO mlperf-standard: FAIL (MLPerf standard: TTFT p95 <= 2 s, TPOT p95 <= 100 ms)',
      '  ----  TTFT p95                                    n/a <= 2000 ms  (not measurable: no successful request)',
      '  ----  TPOT p95                                    n/a <= 100 ms  (not measurable: no successful request)',
      '  FAIL  success rate                               0.0% >= 95.0%',
      '  pass  schedule lag p99 (client kept up)       1.00 ms <= 10.0 ms',
      '  TTFT p95, TPOT p95 not judged (not measurable: no successful request); no latency limit could be judged: the verdict rests on success rate and schedule lag p99 (client kept up) only',
    ]);
  });

  test('limit names', () => {
    expect(limitName({ metric: 'e2e_from_intended', stat: 'p99_9' })).toBe('E2E from intended p99.9');
    expect(limitName({ metric: 'ntpot', stat: 'mean' })).toBe('NTPOT mean');
  });
});
