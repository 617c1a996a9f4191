import { describe, expect, it } from 'vitest';
import { TimingModel, TimingOptionsSchema } from '../behaviour/timing.ts';
import { resolveClusterSimOptions } from '../cluster-options.ts';

const model = (input: Record<string, unknown>, seed = 0) => new TimingModel(TimingOptionsSchema.parse(input), seed);

describe('timing model', () => {
  it('draws exact durations without jitter', () => {
    const t = model({ jitter: 0, vllmLoadMs: 60_000 });
    expect([t.draw('vllmLoadMs'), t.draw('vllmLoadMs'), t.draw('schedMs')]).toEqual([60_000, 60_000, 500]);
  });

  it('jitters within [0.3, 1.7] x mean around the mean, replayable by seed', () => {
    const a = model({ jitter: 0.3, wakeMs: 500 }, 11);
    const samples = Array.from({ length: 4000 }, () => a.draw('wakeMs'));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(150);
    expect(Math.max(...samples)).toBeLessThanOrEqual(850);
    const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
    expect(Math.abs(mean - 500)).toBeLessThan(10);
    expect(new Set(samples.slice(0, 50)).size).toBeGreaterThan(45);
    const b = model({ jitter: 0.3, wakeMs: 500 }, 11);
    expect(Array.from({ length: 20 }, () => b.draw('wakeMs'))).toEqual(samples.slice(0, 20));
    const c = model({ jitter: 0.3, wakeMs: 500 }, 12);
    expect(c.draw('wakeMs')).not.toBe(samples[0]);
  });

  it('draws API write latency uniformly between its bounds', () => {
    const t = model({ apiWriteMinMs: 10, apiWriteMaxMs: 50 }, 5);
    const xs = Array.from({ length: 2000 }, () => t.apiWriteMs());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...xs)).toBeLessThan(50);
    expect(xs.filter((x) => x < 30).length / xs.length).toBeCloseTo(0.5, 1);
  });

  it('rejects inconsistent or unknown timing options with one line', () => {
    expect(() => resolveClusterSimOptions({ timing: { apiWriteMinMs: 60, apiWriteMaxMs: 50 } })).toThrow('cluster-sim options: timing.apiWriteMinMs: apiWriteMinMs must not exceed apiWriteMaxMs');
    expect(() => resolveClusterSimOptions({ timing: { jitter: 0.5 } })).toThrow('cluster-sim options: timing.jitter: expected a number between 0 and 0.3');
    expect(() => resolveClusterSimOptions({ timing: { vllmLoad: 1 } })).toThrow('cluster-sim options: timing: unknown key "vllmLoad" (did you mean "vllmLoadMs"?)');
    expect(() => resolveClusterSimOptions({ timeScale: 0 })).toThrow('cluster-sim options: timeScale: expected a positive number');
  });
});
