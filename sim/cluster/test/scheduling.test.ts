import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { condition, ms, openSim, TIMING_SCALE, TIMING_SLACK_MS, type SimHarness } from './sim-harness.ts';

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const gpuContainer = { name: 'app', image: 'registry.example/gpu-app:1.0', resources: { limits: { 'nvidia.com/gpu': '1' } } };

function gpuReplicaSet(replicas: number) {
  return {
    metadata: { name: 'gpu-app' },
    spec: { replicas, selector: { matchLabels: { app: 'gpu-app' } }, template: { metadata: { labels: { app: 'gpu-app' } }, spec: { containers: [gpuContainer] } } },
  };
}

async function rsPods(s: SimHarness): Promise<V1Pod[]> {
  return (await s.core.listNamespacedPod({ namespace: s.ns, labelSelector: 'app=gpu-app' })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

describe('nodes and scheduler', () => {
  it('serves GPU nodes with labels, capacity and deterministic GPU UUIDs', async () => {
    h = await openSim({ nodes: 2, gpusPerNode: 2, seed: 7 });
    const nodes = (await h.core.listNode()).items;
    expect(nodes.map((n) => n.metadata?.name)).toEqual(['sim-gpu-node-1', 'sim-gpu-node-2']);
    for (const n of nodes) {
      expect(n.metadata?.labels).toMatchObject({ 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', 'kubernetes.io/hostname': n.metadata?.name });
      expect(n.status?.allocatable?.['nvidia.com/gpu']).toBe('2');
      expect(n.status?.capacity?.['nvidia.com/gpu']).toBe('2');
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    const state = await h.state();
    const uuids = state.nodes.flatMap((n) => n.gpus.map((g) => g.uuid));
    expect(new Set(uuids).size).toBe(4);
    for (const u of uuids) expect(u).toMatch(/^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const gpuMap = await h.core.readNamespacedConfigMap({ name: 'gpu-map', namespace: h.ns });
    expect(JSON.parse(gpuMap.data!['sim-gpu-node-2']!)).toEqual(Object.fromEntries(state.nodes[1]!.gpus.map((g) => [g.uuid, g.index])));
    const again = await openSim({ nodes: 2, gpusPerNode: 2, seed: 7 });
    try {
      expect((await again.state()).nodes.flatMap((n) => n.gpus.map((g) => g.uuid))).toEqual(uuids);
    } finally {
      await again.close();
    }
  });

  it('binds a ReplicaSet first-fit with one GPU each, leaves a pod Unschedulable when full, and binds it when a GPU frees', async () => {
    h = await openSim({ timeScale: TIMING_SCALE, nodes: 2, gpusPerNode: 2, timing: { schedMs: 20_000 } });
    const s = h;
    await s.apps.createNamespacedReplicaSet({ namespace: s.ns, body: gpuReplicaSet(4) });
    const pods = await s.until('4 bound pods', async () => {
      const list = await rsPods(s);
      return list.length === 4 && list.every((p) => p.spec?.nodeName && p.status?.podIP) && list;
    });
    const state = await s.state();
    const holders = state.nodes.flatMap((n) => n.gpus.map((g) => `${n.name}/${g.index}=${g.pod ?? '-'}`));
    expect(holders.every((x) => !x.endsWith('=-'))).toBe(true);
    expect(new Set(state.pods.filter((p) => p.name.startsWith('gpu-app-')).map((p) => p.gpus[0])).size).toBe(4);
    for (const p of pods) {
      const scheduled = condition(p, 'PodScheduled')!;
      expect(scheduled.status).toBe('True');
      // Bound schedMs (20 s of cluster time) after the pod appeared; both timestamps are whole seconds.
      const waited = ms(scheduled.lastTransitionTime) - ms(p.metadata?.creationTimestamp);
      expect(waited).toBeGreaterThanOrEqual(19_000);
      expect(waited).toBeLessThanOrEqual(21_000 + TIMING_SLACK_MS);
      expect(p.status?.podIP).toMatch(/^127\.1\.\d+\.\d+$/);
      expect(p.status?.hostIP).toBe(p.spec?.nodeName === 'sim-gpu-node-1' ? '127.3.0.1' : '127.3.0.2');
    }
    expect(new Set(pods.map((p) => p.status?.podIP)).size).toBe(4);

    await s.core.createNamespacedPod({ namespace: s.ns, body: { metadata: { name: 'waiter' }, spec: { containers: [gpuContainer] } } });
    const unschedulable = await s.until('waiter Unschedulable', async () => {
      const c = condition(await s.pod('waiter'), 'PodScheduled');
      return c?.status === 'False' && c;
    });
    expect(unschedulable.reason).toBe('Unschedulable');
    expect(unschedulable.message).toMatch(/^0\/2 nodes are available: 2 Insufficient nvidia\.com\/gpu\./);
    const events = (await s.core.listNamespacedEvent({ namespace: s.ns, fieldSelector: 'involvedObject.name=waiter' })).items;
    expect(events.find((e) => e.reason === 'FailedScheduling')).toMatchObject({ type: 'Warning', reportingComponent: 'default-scheduler' });

    const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'gpu-app', namespace: s.ns }, spec: { replicas: 3 } };
    await s.apps.replaceNamespacedReplicaSetScale({ name: 'gpu-app', namespace: s.ns, body: scale });
    const waiter = await s.until('waiter bound', async () => {
      const p = await s.pod('waiter');
      return p.spec?.nodeName ? p : undefined;
    });
    expect(condition(waiter, 'PodScheduled')?.status).toBe('True');
    const after = await s.state();
    const freed = after.pods.find((p) => p.name === 'waiter')!.gpus;
    expect(freed).toHaveLength(1);
    expect(after.nodes.flatMap((n) => n.gpus).filter((g) => g.pod === null)).toHaveLength(0);
    const scheduledEvent = (await s.core.listNamespacedEvent({ namespace: s.ns, fieldSelector: 'involvedObject.name=waiter' })).items.find((e) => e.reason === 'Scheduled');
    expect(scheduledEvent?.message).toBe(`Successfully assigned ${s.ns}/waiter to ${waiter.spec?.nodeName}`);
  });

  it('honours nodeSelector and required node affinity, and explains a mismatch', async () => {
    h = await openSim({ nodes: 2, gpusPerNode: 1 });
    const s = h;
    const pin = (name: string, spec: Record<string, unknown>) => s.core.createNamespacedPod({ namespace: s.ns, body: { metadata: { name }, spec: { containers: [{ name: 'c', image: 'registry.example/c:1' }], ...spec } } });
    await pin('pinned', { nodeSelector: { 'kubernetes.io/hostname': 'sim-gpu-node-2' } });
    const affinity = (product: string) => ({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'nvidia.com/gpu.product', operator: 'In', values: [product] }] }] } } },
    });
    await pin('h100', affinity('NVIDIA-H100-80GB-HBM3'));
    await pin('a100', affinity('NVIDIA-A100-SXM4-80GB'));
    const pinned = await s.until('pinned bound', async () => (await s.pod('pinned')).spec?.nodeName);
    expect(pinned).toBe('sim-gpu-node-2');
    expect(await s.until('h100 bound', async () => (await s.pod('h100')).spec?.nodeName)).toBe('sim-gpu-node-1');
    const a100 = await s.until('a100 refused', async () => {
      const c = condition(await s.pod('a100'), 'PodScheduled');
      return c?.status === 'False' && c;
    });
    expect(a100.message).toMatch(/^0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector\./);
  });

  it('with the random policy, spreads choices by seed and still never double-books a GPU', async () => {
    h = await openSim({ nodes: 2, gpusPerNode: 4, gpuPolicy: 'random', seed: 3 });
    const s = h;
    await s.apps.createNamespacedReplicaSet({ namespace: s.ns, body: gpuReplicaSet(6) });
    await s.until('6 bound pods', async () => (await rsPods(s)).filter((p) => p.spec?.nodeName).length === 6);
    const held = (await s.state()).nodes.flatMap((n) => n.gpus.filter((g) => g.pod).map((g) => `${n.name}/${g.index}`));
    expect(held).toHaveLength(6);
    // First-fit would fill node 1's GPUs 0-3 first; a seeded random choice does not (seed 3 is fixed, so this is deterministic).
    expect(held.filter((x) => x.startsWith('sim-gpu-node-1/')).sort()).not.toEqual(['sim-gpu-node-1/0', 'sim-gpu-node-1/1', 'sim-gpu-node-1/2', 'sim-gpu-node-1/3']);
  });
});
