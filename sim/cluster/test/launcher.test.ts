import { afterEach, describe, expect, it } from 'vitest';
import { instanceSignature, SIGNATURE_ANNOTATION } from '../behaviour/notifier-process.ts';
import { condition, ms, openSim, type SimHarness } from './sim-harness.ts';

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A launcher pod as the dual-pods controller builds it from a LauncherConfig (protocol 2.4), with the notifier sidecar. */
const launcherPod = {
  metadata: { name: 'launcher-lc-abcde', labels: { 'app.kubernetes.io/component': 'launcher', 'dual-pods.llm-d.ai/launcher-config-name': 'lc' } },
  spec: {
    nodeSelector: { 'kubernetes.io/hostname': 'sim-gpu-node-1' },
    containers: [
      {
        name: 'inference-server',
        image: 'ghcr.io/llm-d-incubation/llm-d-fast-model-actuation/launcher:v0.6.4',
        command: ['/app/launcher.py', '--host=0.0.0.0', '--log-level=info', '--port=8001'],
        env: [
          { name: 'VLLM_SERVER_DEV_MODE', value: '1' },
          { name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' },
        ],
        resources: { limits: { 'nvidia.com/gpu': '0' } },
        readinessProbe: { httpGet: { path: '/v2/vllm/instances', port: 8001 }, initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 2 },
      },
      {
        name: 'state-change-reflector',
        image: 'ghcr.io/llm-d-incubation/llm-d-fast-model-actuation/launcher:v0.6.4',
        command: ['python3', '/app/launcher_pod_notifier.py'],
        env: [
          { name: 'LAUNCHER_BASE_URL', value: 'http://127.0.0.1:8001' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        ],
      },
    ],
  },
};

async function reach(url: string, init?: RequestInit): Promise<Response | 'refused'> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return 'refused';
    throw err;
  }
}

const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('launcher pods', () => {
  it('serve the launcher API after the modelled start and turn Ready through their probe', async () => {
    h = await openSim({ timing: { launcherStartMs: 12_000 } });
    const s = h;
    await s.core.createNamespacedPod({ namespace: s.ns, body: launcherPod });
    const running = await s.until('launcher running', async () => {
      const p = await s.pod('launcher-lc-abcde');
      return p.status?.containerStatuses?.find((c) => c.name === 'inference-server')?.state?.running && p;
    });
    const api = `http://${running.status!.podIP}:8001`;
    expect(await reach(`${api}/health`)).toBe('refused');
    const ready = await s.until('launcher Ready', async () => {
      const p = await s.pod('launcher-lc-abcde');
      return condition(p, 'Ready')?.status === 'True' && p;
    });
    const startedAt = ms(ready.status!.containerStatuses!.find((c) => c.name === 'inference-server')!.state!.running!.startedAt);
    expect(ms(condition(ready, 'Ready')!.lastTransitionTime) - startedAt).toBeGreaterThanOrEqual(12_000);
    expect(await (await fetch(`${api}/health`)).json()).toEqual({ status: 'OK' });
    expect(await (await fetch(`${api}/v2/vllm/instances`)).json()).toEqual({ revision: 0, total_instances: 0, running_instances: 0, instances: [] });
  });

  it('creates, lists, logs and deletes vLLM instances; the notifier publishes the instance signature', async () => {
    h = await openSim({ timing: { launcherStartMs: 2000, instanceCreateMs: 20_000 } });
    const s = h;
    await s.core.createNamespacedPod({ namespace: s.ns, body: launcherPod });
    const ip = await s.until('launcher api', async () => {
      const p = await s.pod('launcher-lc-abcde');
      return p.status?.podIP && (await reach(`http://${p.status.podIP}:8001/health`)) !== 'refused' && p.status.podIP;
    });
    const api = `http://${ip}:8001/v2/vllm/instances`;
    const gpu2 = (await s.state()).nodes[0]!.gpus[2]!.uuid;
    const config = { options: '--model Qwen/Qwen3-0.6B --enable-sleep-mode --port 8005', gpu_uuids: [gpu2], env_vars: { VLLM_LOGGING_LEVEL: 'DEBUG' }, annotations: { 'isc-name': 'isc', 'inference-port': '8005' } };
    const createdAt = s.now();
    const created = await fetch(`${api}/inst-a`, json('PUT', config));
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ status: 'running', instance_id: 'inst-a', revision: 1, ...config, env_vars: { VLLM_LOGGING_LEVEL: 'DEBUG', CUDA_VISIBLE_DEVICES: '2' } });
    const again = await fetch(`${api}/inst-a`, json('PUT', config));
    expect([again.status, await again.json()]).toEqual([409, { detail: 'Instance with ID inst-a already exists' }]);
    const badGpu = await fetch(`${api}/inst-x`, json('PUT', { ...config, gpu_uuids: ['GPU-nope'] }));
    expect(badGpu.status).toBe(500);

    // "running" means the process is alive: the instance still refuses connections while it loads.
    const instance = `http://${ip}:8005`;
    expect(await reach(`${instance}/is_sleeping`)).toBe('refused');
    const up = await s.until('instance up', async () => (await reach(`${instance}/is_sleeping`)) !== 'refused');
    expect(up).toBe(true);
    expect(s.now() - createdAt).toBeGreaterThanOrEqual(20_000);
    expect(await (await fetch(`${instance}/is_sleeping`)).json()).toEqual({ is_sleeping: false });
    expect((await fetch(`${instance}/sleep`, { method: 'POST' })).status).toBe(200);
    const state = await s.state();
    expect(state.sleeping).toEqual([expect.objectContaining({ pod: `${s.ns}/launcher-lc-abcde`, instanceId: 'inst-a', gpus: [gpu2], url: instance })]);

    const listing = (await (await fetch(api)).json()) as Parameters<typeof instanceSignature>[0];
    expect(listing).toMatchObject({ revision: 1, total_instances: 1, running_instances: 1 });
    expect(await (await fetch(`${api}?detail=false`)).json()).toEqual({ revision: 1, instance_ids: ['inst-a'], count: 1 });
    const signed = await s.until('signature published', async () => (await s.pod('launcher-lc-abcde')).metadata?.annotations?.[SIGNATURE_ANNOTATION]);
    expect(signed).toBe(instanceSignature(listing));

    const full = await fetch(`${api}/inst-a/log`);
    const text = await full.text();
    expect(full.status).toBe(200);
    expect(text).toContain('vLLM API server version');
    expect(text).toContain('seconds to fall asleep.');
    const slice = await fetch(`${api}/inst-a/log`, { headers: { range: 'bytes=0-9' } });
    expect([slice.status, slice.headers.get('content-range'), await slice.text()]).toEqual([206, `bytes 0-9/${Buffer.byteLength(text)}`, text.slice(0, 10)]);
    const beyond = await fetch(`${api}/inst-a/log`, { headers: { range: 'bytes=99999999-' } });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${Buffer.byteLength(text)}`]);
    const launcherLog = String(await s.core.readNamespacedPodLog({ name: 'launcher-lc-abcde', namespace: s.ns, container: 'inference-server' }));
    expect(launcherLog).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - __main__ - INFO - Accepted request to create vLLM instance with id=inst-a/);

    const random = await fetch(api, json('POST', { options: '--model other --port 8006' }));
    const randomId = ((await random.json()) as { instance_id: string }).instance_id;
    expect([random.status, randomId]).toEqual([201, expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    const deleted = await fetch(`${api}/inst-a`, { method: 'DELETE' });
    expect([deleted.status, ((await deleted.json()) as { status: string }).status]).toEqual([200, 'stopped']);
    expect((await fetch(`${api}/inst-a`)).status).toBe(404);
    expect(await reach(`${instance}/health`)).toBe('refused');
    const after = (await (await fetch(api)).json()) as Parameters<typeof instanceSignature>[0];
    await s.until('signature updated', async () => (await s.pod('launcher-lc-abcde')).metadata?.annotations?.[SIGNATURE_ANNOTATION] === instanceSignature(after));
    expect(instanceSignature(after)).not.toBe(signed);
  });
});
