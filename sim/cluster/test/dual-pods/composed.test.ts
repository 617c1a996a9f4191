/**
 * The controller as the composed simulator runs it, driven only through the real Kubernetes
 * client: a ReplicaSet of requesters scaled 0 -> 1 -> 0 -> 1, the controller's log read through
 * `pods/log` of its Pod, as a benchmark reads it on a cluster.
 */
import type { V1ReplicaSet } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { openSim, type SimHarness } from '../sim-harness.ts';
import { directPatch, logLines } from './harness.ts';

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function replicaSet(name: string): V1ReplicaSet {
  return {
    metadata: { name },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'dual-pods.llm-d.ai/server-patch': directPatch() } },
        spec: {
          containers: [
            {
              name: 'inference-server',
              image: 'ghcr.io/llm-d-incubation/llm-d-fast-model-actuation/requester:latest',
              ports: [{ containerPort: 8080 }, { containerPort: 8081 }],
              readinessProbe: { httpGet: { path: '/ready', port: 8080 }, initialDelaySeconds: 2, periodSeconds: 5 },
              resources: { limits: { 'nvidia.com/gpu': '1' } },
            },
          ],
        },
      },
    },
  };
}

describe('the composed dual-pods controller through the real client', () => {
  it('serves a ReplicaSet scaled 0 -> 1 -> 0 -> 1 with a cold start, then a hot hit, and logs both on its Pod', async () => {
    h = await openSim({ nodes: 1, gpusPerNode: 1, dualPods: {} });
    const s = h;
    await s.apps.createNamespacedReplicaSet({ namespace: s.ns, body: replicaSet('my-request') });
    const scale = (replicas: number) => s.apps.replaceNamespacedReplicaSetScale({ name: 'my-request', namespace: s.ns, body: { metadata: { name: 'my-request' }, spec: { replicas } } });
    const readyRequester = () =>
      s.until(
        'a Ready requester',
        async () => {
          const pods = (await s.core.listNamespacedPod({ namespace: s.ns, labelSelector: 'app=my-request' })).items;
          const ready = pods.find((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
          return ready;
        },
        30_000,
      );

    await scale(1);
    const first = await readyRequester();
    const provider = first.metadata!.labels!['dual-pods.llm-d.ai/dual']!;
    expect(provider.startsWith(`${first.metadata!.name}-dual-`)).toBe(true);

    await scale(0);
    await s.until('no requester left', async () => (await s.core.listNamespacedPod({ namespace: s.ns, labelSelector: 'app=my-request' })).items.length === 0, 30_000);
    expect((await s.pod(provider)).metadata?.labels?.['dual-pods.llm-d.ai/sleeping']).toBe('true');

    await scale(1);
    const second = await readyRequester();
    expect(second.metadata!.labels!['dual-pods.llm-d.ai/dual']).toBe(provider);

    const log = String(await s.core.readNamespacedPodLog({ name: 'dual-pods-controller-sim', namespace: s.ns }));
    expect(logLines(log, '"Created server-providing pod"', `requesterName="${first.metadata!.name}"`)).toHaveLength(1);
    expect(logLines(log, '"Woke inference server"', `requesterName="${second.metadata!.name}"`, 'description="freshly-bound"')).toHaveLength(1);
    expect(logLines(log, '"Successfully relayed the readiness"')).toHaveLength(2);
  });
});
