import { describe, expect, it } from 'vitest';
import { classify } from '../../lib/k8s/classify.ts';
import type { ProviderInfo, RequesterTimeline } from '../../lib/k8s/duo-tracker.ts';

const T = 1_800_000_000_000;

function requester(over: Partial<RequesterTimeline> = {}): RequesterTimeline {
  return {
    name: 'req-abcde', uid: 'u1', style: 'direct', convention: 'current', firstSeen: T + 10, created: T,
    scheduled: {}, containerStarted: {}, bound: {}, ready: {}, preexisting: false, ...over,
  };
}

function provider(over: Partial<ProviderInfo> = {}): ProviderInfo {
  return { name: 'req-abcde-dual-x1y2z', uid: 'p1', launcher: false, firstSeen: T + 500, created: T + 1000, boundTo: ['req-abcde'], instances: [], ...over };
}

describe('classify', () => {
  it('direct provider generated for the requester is cold, by name and age', () => {
    const c = classify(requester(), provider(), undefined);
    expect(c.path).toBe('cold');
    expect(c.signals.map((s) => s.source).sort()).toEqual(['provider_age', 'provider_name']);
    expect(c.disagreements).toEqual([]);
  });

  it('a provider born for another requester that existed before is hot', () => {
    const c = classify(requester(), provider({ name: 'old-req-dual-aaaaa', created: T - 60_000 }), { wake: T + 2000, wakeLatencyS: 0.5, metricPath: 'hot' });
    expect(c.path).toBe('hot');
    expect(c.disagreements).toEqual([]);
    expect(c.controllerMetricPath).toBe('hot');
  });

  it('the controller log decides, and contradicting signals are reported', () => {
    // Log says the controller created a provider (cold), but the name says another requester's.
    const c = classify(requester(), provider({ name: 'old-req-dual-aaaaa', created: T + 1000 }), { createdProvider: T + 900 });
    expect(c.path).toBe('cold');
    expect(c.disagreements).toHaveLength(1);
    expect(c.disagreements[0]).toMatch(/provider_name says hot/);
  });

  it('launcher created after the requester: cold with launcher', () => {
    const c = classify(requester({ style: 'launcher', instance: 'Iabci' }), provider({ name: 'launcher-lc-abcde', launcher: true, created: T + 2000 }), undefined);
    expect(c.path).toBe('cold_launcher');
  });

  it('existing launcher, instance never seen before: warm; seen before the requester: hot', () => {
    const r = requester({ style: 'launcher', instance: 'Iabci' });
    const warm = classify(r, provider({ name: 'launcher-lc-abcde', launcher: true, created: T - 100_000, instances: [{ id: 'Iabci', at: T + 800 }] }), undefined);
    expect(warm.path).toBe('warm');
    const hot = classify(r, provider({ name: 'launcher-lc-abcde', launcher: true, created: T - 100_000, instances: [{ id: 'Iabci', at: T - 50_000 }] }), undefined);
    expect(hot.path).toBe('hot');
  });

  it('equal whole-second timestamps decide nothing; no provider means unknown', () => {
    const c = classify(requester(), undefined, undefined);
    expect(c.path).toBe('unknown');
    const same = classify(requester({ style: 'launcher' }), provider({ name: 'launcher-lc-x', launcher: true, created: T }), undefined);
    expect(same.path).toBe('unknown');
  });
});
