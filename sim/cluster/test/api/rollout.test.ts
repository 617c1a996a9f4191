import { describe, expect, it } from 'vitest';
import { fenceposts, fnv32a, planRecreate, planRollingUpdate, podTemplateHash, resolveIntOrPercent, templatesEqual } from '../../api/rollout.ts';

const obj = (m: Map<string, number>): Record<string, number> => Object.fromEntries(m);

describe('rollout arithmetic', () => {
  it('hashes with FNV-1a (test vectors) and encodes with the Kubernetes alphabet', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
    const t = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } };
    const hash = podTemplateHash(t);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    // Key order and the pod-template-hash label do not change the hash; the collision count does.
    expect(podTemplateHash({ spec: t.spec, metadata: { labels: { 'pod-template-hash': hash, app: 'x' } } })).toBe(hash);
    expect(podTemplateHash(t, 1)).not.toBe(hash);
    expect(podTemplateHash({ ...t, spec: { containers: [{ name: 'c', image: 'i:2' }] } })).not.toBe(hash);
    expect(templatesEqual(t, { metadata: { labels: { app: 'x', 'pod-template-hash': 'zzz' } }, spec: t.spec })).toBe(true);
    expect(templatesEqual(t, { metadata: { labels: { app: 'y' } }, spec: t.spec })).toBe(false);
  });

  it('resolves maxSurge up and maxUnavailable down, never both zero', () => {
    expect(resolveIntOrPercent('25%', 3, true)).toBe(1);
    expect(resolveIntOrPercent('25%', 3, false)).toBe(0);
    expect(resolveIntOrPercent(2, 3, false)).toBe(2);
    expect(fenceposts('25%', '25%', 4)).toEqual({ surge: 1, unavailable: 1 });
    expect(fenceposts('25%', '25%', 3)).toEqual({ surge: 1, unavailable: 0 });
    expect(fenceposts(0, 0, 3)).toEqual({ surge: 0, unavailable: 1 });
  });

  it('steps a RollingUpdate with maxSurge 1, maxUnavailable 0', () => {
    // Step 1: one surge pod for the new ReplicaSet; nothing old can go while it is unavailable.
    expect(obj(planRollingUpdate(4, 1, 0, { name: 'new', replicas: 0, available: 0 }, [{ name: 'old', replicas: 4, available: 4 }]))).toEqual({ new: 1, old: 4 });
    // Step 2: the new pod is available, so one old one goes.
    expect(obj(planRollingUpdate(4, 1, 0, { name: 'new', replicas: 1, available: 1 }, [{ name: 'old', replicas: 4, available: 4 }]))).toEqual({ new: 1, old: 3 });
    // Step 3: room for another surge pod.
    expect(obj(planRollingUpdate(4, 1, 0, { name: 'new', replicas: 1, available: 1 }, [{ name: 'old', replicas: 3, available: 3 }]))).toEqual({ new: 2, old: 3 });
    // Done: everything new.
    expect(obj(planRollingUpdate(4, 1, 0, { name: 'new', replicas: 4, available: 4 }, [{ name: 'old', replicas: 0, available: 0 }]))).toEqual({ new: 4, old: 0 });
  });

  it('steps a RollingUpdate with maxUnavailable 1 and removes unhealthy old replicas first', () => {
    expect(obj(planRollingUpdate(4, 1, 1, { name: 'new', replicas: 0, available: 0 }, [{ name: 'old', replicas: 4, available: 4 }]))).toEqual({ new: 1, old: 3 });
    // Old pods that are not available go without waiting for the new ones.
    expect(obj(planRollingUpdate(2, 0, 1, { name: 'new', replicas: 0, available: 0 }, [{ name: 'old', replicas: 2, available: 0 }]))).toEqual({ new: 0, old: 1 });
    // Oldest ReplicaSet first: 4 available, at least 2 must stay, so v1 goes to 0 and v2 loses one.
    expect(obj(planRollingUpdate(3, 0, 1, { name: 'new', replicas: 1, available: 1 }, [{ name: 'v1', replicas: 1, available: 1 }, { name: 'v2', replicas: 2, available: 2 }]))).toEqual({ new: 1, v1: 0, v2: 1 });
    // A deployment scaled down mid-rollout shrinks the new ReplicaSet to the desired count.
    expect(obj(planRollingUpdate(1, 1, 0, { name: 'new', replicas: 3, available: 3 }, []))).toEqual({ new: 1 });
  });

  it('Recreate starts the new ReplicaSet only when the old ones are at zero and their pods are gone', () => {
    expect(obj(planRecreate(3, { name: 'new', replicas: 0, available: 0 }, [{ name: 'old', replicas: 3, available: 3 }], true))).toEqual({ old: 0, new: 0 });
    expect(obj(planRecreate(3, { name: 'new', replicas: 0, available: 0 }, [{ name: 'old', replicas: 0, available: 0 }], true))).toEqual({ old: 0, new: 0 });
    expect(obj(planRecreate(3, { name: 'new', replicas: 0, available: 0 }, [{ name: 'old', replicas: 0, available: 0 }], false))).toEqual({ old: 0, new: 3 });
  });
});
