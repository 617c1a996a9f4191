import { afterEach, describe, expect, it } from 'vitest';
import { condition, ms, openSim, TIMING_SCALE, TIMING_SLACK_MS, type SimHarness } from './sim-harness.ts';

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A server-requesting pod as the FMA examples write it (protocol 2.1-2.3). */
function requester(name: string, opts: { annotations?: Record<string, string>; gpus?: number; env?: Array<{ name: string; value: string }> } = {}) {
  return {
    metadata: { name, annotations: opts.annotations ?? { 'dual-pods.llm-d.ai/server-patch': 'spec: {}\n' } },
    spec: {
      containers: [
        {
          name: 'inference-server',
          image: 'ghcr.io/llm-d-incubation/llm-d-fast-model-actuation/requester:latest',
          command: ['/ko-app/requester'],
          env: opts.env ?? [],
          resources: { limits: { 'nvidia.com/gpu': String(opts.gpus ?? 1), cpu: '200m', memory: '250Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 }, initialDelaySeconds: 2, periodSeconds: 5 },
        },
      ],
    },
  };
}

async function running(s: SimHarness, name: string): Promise<string> {
  return s.until(`${name} running`, async () => {
    const p = await s.pod(name);
    return p.status?.containerStatuses?.[0]?.state?.running && p.status.podIP;
  });
}

const post = (url: string, body?: string) => fetch(url, { method: 'POST', body: body ?? null });

describe('requester process', () => {
  it('answers the SPI with its allocated GPUs and relays readiness through the real /ready probe', async () => {
    h = await openSim({ timeScale: TIMING_SCALE, gpusPerNode: 2 });
    const s = h;
    await s.core.createNamespacedPod({ namespace: s.ns, body: requester('req', { gpus: 2 }) });
    const ip = await running(s, 'req');
    const allocated = (await s.state()).pods.find((p) => p.name === 'req')!.gpus;
    expect(allocated).toHaveLength(2);
    const accel = await fetch(`http://${ip}:8081/v1/dual-pods/accelerators`);
    expect(accel.status).toBe(200);
    expect(await accel.json()).toEqual(allocated);
    expect(await (await fetch(`http://${ip}:8081/v1/dual-pods/accelerator-memory-usage`)).json()).toEqual(Object.fromEntries(allocated.map((u) => [u, 0])));
    const notReady = await fetch(`http://${ip}:8080/ready`);
    expect([notReady.status, await notReady.text()]).toEqual([503, 'Service Unavailable\n']);

    await s.until('a failed readiness probe', async () => (await s.core.listNamespacedEvent({ namespace: s.ns, fieldSelector: 'involvedObject.name=req' })).items.some((e) => e.reason === 'Unhealthy'));
    const relayedAt = s.now();
    const relay = await post(`http://${ip}:8081/v1/become-ready`);
    expect([relay.status, await relay.text()]).toEqual([200, 'OK\n']);
    const ready = await s.until('req Ready', async () => {
      const p = await s.pod('req');
      return condition(p, 'Ready')?.status === 'True' && p;
    });
    // The kubelet notices on its next probe: within one 5 s period (whole-second timestamps).
    const lag = ms(condition(ready, 'Ready')!.lastTransitionTime) - relayedAt;
    expect(lag).toBeGreaterThanOrEqual(-1000);
    expect(lag).toBeLessThanOrEqual(5000 + 1000 + TIMING_SLACK_MS);
    expect(ready.status?.containerStatuses?.[0]?.ready).toBe(true);

    expect((await post(`http://${ip}:8081/v1/become-unready`)).status).toBe(200);
    // failureThreshold defaults to 3: three failed probes, 5 s apart.
    await s.until('req unready', async () => condition(await s.pod('req'), 'Ready')?.status === 'False');
    expect(s.now() - relayedAt).toBeGreaterThanOrEqual(10_000);
  });

  it('relays the inference-server log through set-log into its own container log', async () => {
    h = await openSim();
    const s = h;
    await s.core.createNamespacedPod({ namespace: s.ns, body: requester('logger') });
    const ip = await running(s, 'logger');
    const setLog = async (pos: string, body: string) => {
      const r = await post(`http://${ip}:8081/v1/set-log${pos}`, body);
      return [r.status, await r.text()];
    };
    expect(await setLog('?startPos=0', 'vllm line one\n')).toEqual([200, 'Accepted startPos=0, chunkLength=14; addedContentLength=14, new contentLength=14\r\n']);
    // Overlapping resend: bytes 10-13 ("one\n") are known, only the rest is new.
    expect(await setLog('?startPos=10', 'one\nvllm line two\n')).toEqual([200, 'Accepted startPos=10, chunkLength=18; addedContentLength=14, new contentLength=28\r\n']);
    expect(await setLog('?startPos=0', 'vllm')).toEqual([200, 'Accepted startPos=0, chunkLength=4, but that has nothing new; still contentLength=28\r\n']);
    expect(await setLog('?startPos=99', 'x')).toEqual([400, 'Starting position 99 is beyond the current contentLength=28\r\n']);
    expect(await setLog('', 'x')).toEqual([400, 'Missing startPos parameter\n']);
    const log = String(await s.core.readNamespacedPodLog({ name: 'logger', namespace: s.ns }));
    expect(log).toContain('\nvllm line one\nvllm line two\n');
  });

  it('honours the admin-port annotation and the legacy prefix, and reports a pod without GPUs as an error', async () => {
    h = await openSim();
    const s = h;
    await s.core.createNamespacedPod({
      namespace: s.ns,
      body: requester('legacy', { gpus: 0, annotations: { 'dual-pod.llm-d.ai/server-patch': 'spec: {}\n', 'dual-pod.llm-d.ai/admin-port': '9091' } }),
    });
    await s.core.createNamespacedPod({ namespace: s.ns, body: requester('envport', { env: [{ name: 'SPI_PORT', value: '9092' }, { name: 'PROBES_PORT', value: '9093' }] }) });
    const legacy = await running(s, 'legacy');
    const none = await fetch(`http://${legacy}:9091/v1/dual-pods/accelerators`);
    expect([none.status, await none.text()]).toEqual([500, 'no GPUs found\n']);
    const envport = await running(s, 'envport');
    expect((await fetch(`http://${envport}:9092/v1/dual-pods/accelerators`)).status).toBe(200);
    expect((await fetch(`http://${envport}:9093/ready`)).status).toBe(503);
  });
});
