import { describe, expect, test } from 'vitest';
import type { LoadOutcome } from '../../lib/load/runner.ts';
import { readRunClock } from '../../lib/metrics/record.ts';
import { assessValidity } from '../../lib/scenario/validity.ts';
import { statsOf, timedRecord } from '../slo/stats.ts';

const outcome = (over: Partial<LoadOutcome> = {}): LoadOutcome => ({
  clock: readRunClock(),
  measuredStart: 0,
  end: 1000,
  stopped: null,
  sent: 20,
  achievedSendRate: null,
  eventLoopDelayMs: { p50: 0.1, p99: 1, max: 2 },
  priority: { nice: 0, raised: false },
  stages: [],
  ...over,
});

/** 20 requests, schedule lag 0 except one of `late` ms: p99 = 0.81 * late. */
const lagged = (late: number) => statsOf(Array.from({ length: 20 }, (_, k) => timedRecord(10, 5, k === 3 ? late : 0)));

describe('assessValidity', () => {
  test('a client that kept up is valid', () => {
    expect(assessValidity(lagged(10), outcome(), null, 10)).toEqual({ valid: true, reasons: [] });
  });

  test('each way of not keeping up is a reason', () => {
    const v = assessValidity(
      lagged(20),
      outcome({ eventLoopDelayMs: { p50: 1, p99: 12.34, max: 20 }, achievedSendRate: 94.9, stopped: 'cancelled: test timeout' }),
      100,
      10,
    );
    expect(v).toEqual({
      valid: false,
      reasons: [
        'schedule lag p99 16.20 ms > 10 ms: the client could not keep up with its schedule',
        'client event loop delayed 12.3 ms at p99 (> 10 ms): chunk timestamps may be late by as much',
        'achieved 94.9 requests/s of 100 offered',
        'stopped early: cancelled: test timeout',
      ],
    });
  });

  test('95% of the offered rate is delivered; the limits are inclusive', () => {
    expect(assessValidity(lagged(0), outcome({ achievedSendRate: 95, eventLoopDelayMs: { p50: 0, p99: 10, max: 10 } }), 100, 10).valid).toBe(true);
    // 0.81 * 12.5 = 10.125 > 10
    expect(assessValidity(lagged(12.5), outcome(), null, 10).valid).toBe(false);
    expect(assessValidity(lagged(12.5), outcome(), null, 10.2).valid).toBe(true);
  });

  test('more than 1% (or the configured share) of requests marked by a stall is invalid, whatever the p99', () => {
    /** 200 requests without lag, `marked` of them overlapping a stall. */
    const stalled = (marked: number) =>
      statsOf(Array.from({ length: 200 }, (_, k) => ({ ...timedRecord(10, 5, 0), ...(k < marked ? { stall: { start: 0, ms: 24, runQueueMs: null } } : {}) })));
    const stalls = { count: 1, longestMs: 24.04, limitMs: 10, schedstat: true };
    expect(assessValidity(stalled(2), outcome({ stalls }), null, 10)).toEqual({ valid: true, reasons: [] });
    expect(assessValidity(stalled(3), outcome({ stalls }), null, 10)).toEqual({
      valid: false,
      reasons: ['3 of 200 requests (1.5% > 1%) overlapped a stall of the client longer than 10 ms; longest stall 24.0 ms: their timestamps may be late by as much'],
    });
    expect(assessValidity(stalled(3), outcome({ stalls }), null, 10, 0.02).valid).toBe(true);
    expect(assessValidity(stalled(1), outcome({ stalls }), null, 10, 0).valid).toBe(false);
  });
});
