import { describe, expect, it } from 'vitest';
import type { ActuationPath } from '../../lib/k8s/classify.ts';
import type { RequesterRecord } from '../../lib/actuation/record.ts';
import { ActuationResult } from '../../lib/actuation/result.ts';
import type { StepResult } from '../../lib/actuation/session.ts';
import { toMeetSLO } from '../../lib/vitest/matchers.ts';

function rec(path: ActuationPath, actuation: number, total: number, ready = true): RequesterRecord {
  return {
    requester: `r-${path}-${actuation}`, style: 'direct', path, ready,
    classification: { path, signals: [], disagreements: [] },
    timings: { actuation: { seconds: actuation, source: 'kube' }, total: { seconds: total, source: 'client' } },
  };
}

function step(phase: string, requesters: RequesterRecord[]): StepResult {
  return { phase, replicas: requesters.length, t0: 0, requesters, preexisting: 0, timedOut: false, diagnostic: [], dpcLog: 'read' };
}

// Counted phase: 4 hot (2, 4, 6, 8 s) and 1 cold (70 s); the uncounted first step must not count.
const result = new ActuationResult('actuation', 'wake', 'simulator', [
  step('up#1', [rec('cold', 65, 70), rec('cold', 66, 71)]),
  step('up_again#1', [rec('hot', 2, 5), rec('hot', 4, 7), rec('hot', 6, 9), rec('hot', 8, 11), rec('cold', 70, 74)]),
], ['up_again#1'], [], { hitRateMin: 0.9 });

describe('ActuationResult', () => {
  it('counts only the counted phases, with hit rates over them', () => {
    const s = result.summary;
    expect(s.n).toBe(5);
    expect(s.hitRates).toEqual({ hot: 0.8, warm: 0, cold: 0.2, coldLauncher: 0, unknown: 0 });
    // hot actuation 2, 4, 6, 8: p50 = 5, p95 = 6 + 0.85 * 2 = 7.7 (linear interpolation, rank 0.95 * 3 = 2.85)
    expect(s.byPath.hot?.actuation?.percentiles.p50).toBe(5);
    expect(s.byPath.hot?.actuation?.percentiles.p95).toBeCloseTo(7.7, 10);
    expect(s.byPath.cold?.count).toBe(1);
  });

  it('evaluates every given limit and the Ready floor', () => {
    const checks = result.evaluate({ hotP95Seconds: 7.5, coldP95Seconds: 80, hitRateMin: 0.8 });
    expect(checks.map((c) => [c.name, c.pass])).toEqual([
      ['hot actuation p95 (s)', false],
      ['cold actuation p95 (s)', true],
      ['hot hit rate', true],
      ['requesters Ready in time', true],
    ]);
  });

  it('toMeetSLO uses the configured SLO without arguments and lists each check', () => {
    const out = toMeetSLO(result);
    expect(out.pass).toBe(false);
    expect(out.message()).toMatch(/actuation\/wake on the SIMULATOR: actuation SLO not met/);
    expect(out.message()).toMatch(/FAIL {2}hot hit rate +0\.8 >= 0\.9/);
    expect(toMeetSLO(result, { hitRateMin: 0.8 }).pass).toBe(true);
  });

  it('toMeetSLO refuses latency profiles on actuation results and actuation keys on latency results', () => {
    expect(toMeetSLO(result, 'mlperf-standard').message()).toMatch(/takes hotP95Seconds, .*; got mlperf-standard/);
    expect(toMeetSLO(result, { ttftP95Ms: 5 } as never).pass).toBe(false);
  });
});
