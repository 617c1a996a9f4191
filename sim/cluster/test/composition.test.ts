import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { spawnClusterSim, startClusterSim } from '../index.ts';
import { condition, openSim } from './sim-harness.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Counts of the handle kinds a leak would show up as. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (/TCP|Timeout|Immediate/.test(r)) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

/** A direct-path server request (protocol 2.1): the provider runs `vllm serve` on the requester's GPU. */
const serverPatch = `spec:
  containers:
  - name: inference-server
    image: vllm/vllm-openai:v0.11.0
    command: [vllm, serve, Qwen/Qwen3-0.6B, --port=8000, --enable-sleep-mode]
    env:
    - name: VLLM_SERVER_DEV_MODE
      value: "1"
    readinessProbe:
      httpGet: { path: /health, port: 8000 }
      initialDelaySeconds: 10
      periodSeconds: 5
metadata:
  labels:
    app: null
`;

describe('cluster simulator composition', () => {
  it('spawnClusterSim runs the cluster in a child process that the real client reaches; stop() ends it and removes its kubeconfig', async () => {
    const sim = await spawnClusterSim({ timeScale: 0.01, nodes: 3, gpusPerNode: 1 });
    try {
      expect(sim.pid).not.toBe(process.pid);
      expect(sim.namespace).toBe('llm-d-sim');
      expect(sim.clockInfo.timeScale).toBe(0.01);
      const kc = new KubeConfig();
      kc.loadFromFile(sim.kubeconfigPath);
      const core = kc.makeApiClient(CoreV1Api);
      expect((await core.listNode()).items).toHaveLength(3);
      expect((await core.readNamespace({ name: 'llm-d-sim' })).status?.phase).toBe('Active');
      expect((await core.readNamespace({ name: 'default' })).status?.phase).toBe('Active');
      // Cluster time maps from this process's monotonic clock.
      const clock = (await (await fetch(`${sim.url}/sim/clock`)).json()) as { timeScale: number; epochMs: number; startHrNs: string };
      expect(clock).toEqual(sim.clockInfo);
      const controllers = (await core.listNamespacedPod({ namespace: sim.namespace, labelSelector: 'app.kubernetes.io/component=dual-pods-controller' })).items;
      expect(controllers.map((p) => p.metadata?.name)).toEqual(['dual-pods-controller-sim']);
    } finally {
      await sim.stop();
    }
    expect(alive(sim.pid)).toBe(false);
    expect(existsSync(dirname(sim.kubeconfigPath))).toBe(false);
    await sim.stop();
  });

  it('rejects bad options before starting anything, with one line naming the key', async () => {
    await expect(spawnClusterSim({ gpusPerNod: 2 } as never)).rejects.toThrow('cluster-sim options: unknown key "gpusPerNod" (did you mean "gpusPerNode"?)');
    await expect(startClusterSim({ timing: { vllmLoadMs: -5 } })).rejects.toThrow('cluster-sim options: timing.vllmLoadMs: expected a non-negative number of cluster milliseconds');
    await expect(startClusterSim({ dualPods: { sleeperLimit: -1 } })).rejects.toThrow('cluster-sim options: dualPods.sleeperLimit: expected a whole number >= 0');
  });

  it('serves a direct-path duo end to end with the dual-pods controller, whose klog is the log of its pod', async () => {
    const h = await openSim({ dualPods: {}, nodes: 1, gpusPerNode: 2, timing: { vllmLoadMs: 20_000 } });
    try {
      const template = {
        metadata: { labels: { app: 'duo' }, annotations: { 'dual-pods.llm-d.ai/server-patch': serverPatch } },
        spec: {
          containers: [
            {
              name: 'inference-server',
              image: 'ghcr.io/llm-d-incubation/llm-d-fast-model-actuation/requester:latest',
              resources: { limits: { 'nvidia.com/gpu': '1' } },
              readinessProbe: { httpGet: { path: '/ready', port: 8080 }, initialDelaySeconds: 2, periodSeconds: 5 },
            },
          ],
        },
      };
      await h.apps.createNamespacedReplicaSet({ namespace: h.ns, body: { metadata: { name: 'duo' }, spec: { replicas: 1, selector: { matchLabels: { app: 'duo' } }, template } } });
      const requester = await h.until(
        'requester Ready',
        async () => (await h.core.listNamespacedPod({ namespace: h.ns, labelSelector: 'app=duo' })).items.find((p) => condition(p, 'Ready')?.status === 'True'),
        30_000,
      );
      const provider = requester.metadata!.labels!['dual-pods.llm-d.ai/dual']!;
      expect(provider).toMatch(new RegExp(`^${requester.metadata!.name}-dual-`));
      const state = await h.state();
      expect(state.vllm).toEqual([expect.objectContaining({ pod: `${h.ns}/${provider}`, state: 'awake', gpus: state.pods.find((p) => p.name === requester.metadata!.name)!.gpus })]);
      const klog = String(await h.core.readNamespacedPodLog({ name: 'dual-pods-controller-sim', namespace: h.ns }));
      expect(klog).toContain(`"Successfully relayed the readiness" node="sim-gpu-node-1"`);
      expect(klog).toContain(`requesterName="${requester.metadata!.name}"`);
      const controllerIp = (await h.pod('dual-pods-controller-sim')).status?.podIP;
      const metrics = await (await fetch(`http://${controllerIp}:8002/metrics`)).text();
      expect(metrics).toMatch(/^fma_actuation_seconds_count\{.*path="hot".*\} 1$/m);
    } finally {
      await h.close();
    }
  });

  it('close() leaves no servers, sockets or timers behind', async () => {
    const before = handles();
    const h = await openSim({ dualPods: {}, timing: { vllmLoadMs: 1000, launcherStartMs: 1000 } });
    await h.core.createNamespacedPod({
      namespace: h.ns,
      body: { metadata: { name: 'v' }, spec: { containers: [{ name: 'inference-server', image: 'vllm/vllm-openai:v0.11.0', command: ['vllm', 'serve', 'm'], readinessProbe: { httpGet: { path: '/health', port: 8000 }, periodSeconds: 1 } }] } },
    });
    await h.until('vLLM pod Ready', async () => condition(await h.pod('v'), 'Ready')?.status === 'True');
    await h.close();
    await new Promise((r) => setTimeout(r, 100));
    const after = handles();
    const leaked = Object.fromEntries(Object.entries(after).filter(([k, n]) => n > (before[k] ?? 0)));
    expect(leaked).toEqual({});
  });
});
