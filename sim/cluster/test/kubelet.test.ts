import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { condition, ms, openSim, probedContainer, TIMING_SCALE, TIMING_SLACK_MS as SLACK, type SimHarness } from './sim-harness.ts';

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function connectRefused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

describe('kubelet', () => {
  it('assigns the pod IP and starts containers after the modelled delays, then real probes flip Ready once', async () => {
    h = await openSim({ timeScale: TIMING_SCALE, timing: { podIpMs: 3000, containerStartMs: 4000 } });
    const s = h;
    const watch = await s.watchPods();
    await s.core.createNamespacedPod({ namespace: s.ns, body: { metadata: { name: 'web' }, spec: { containers: [probedContainer('web', 8080, { initialDelaySeconds: 10, periodSeconds: 5 })] } } });
    const ready = await s.until('web Ready', async () => {
      const p = await s.pod('web');
      return condition(p, 'Ready')?.status === 'True' && p;
    });
    const scheduledAt = ms(condition(ready, 'PodScheduled')!.lastTransitionTime);
    const cs = ready.status!.containerStatuses![0]!;
    const startedAt = ms(cs.state?.running?.startedAt);
    // Pod IP after podIpMs, container running containerStartMs later (whole-second timestamps).
    expect(startedAt - scheduledAt).toBeGreaterThanOrEqual(6000);
    expect(startedAt - scheduledAt).toBeLessThanOrEqual(8000 + SLACK);
    // Not probed before initialDelaySeconds; then the next tick of the 5 s probe period.
    const readyAt = ms(condition(ready, 'Ready')!.lastTransitionTime);
    expect(readyAt - startedAt).toBeGreaterThanOrEqual(10_000);
    expect(readyAt - startedAt).toBeLessThanOrEqual(16_000 + SLACK);
    expect(cs).toMatchObject({ name: 'web', ready: true, started: true, restartCount: 0 });
    expect(ready.status).toMatchObject({ phase: 'Running', hostIP: '127.3.0.1' });
    expect(condition(ready, 'ContainersReady')?.status).toBe('True');

    // The watch saw the pod IP arrive before the container ran, and Ready's transition time never moved afterwards.
    const seen = watch.events.filter((e) => e.pod.metadata?.name === 'web');
    const ipEvent = seen.findIndex((e) => e.pod.status?.podIP);
    const runEvent = seen.findIndex((e) => e.pod.status?.containerStatuses?.[0]?.state?.running);
    expect(ipEvent).toBeGreaterThan(-1);
    expect(runEvent).toBeGreaterThan(ipEvent);
    expect((await fetch(`http://${ready.status!.podIP}:8080/anything`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const later = await s.pod('web');
    expect(ms(condition(later, 'Ready')!.lastTransitionTime)).toBe(readyAt);

    const events = (await s.core.listNamespacedEvent({ namespace: s.ns, fieldSelector: 'involvedObject.name=web' })).items;
    for (const reason of ['Pulled', 'Created', 'Started']) {
      const e = events.find((x) => x.reason === reason);
      expect(e, reason).toMatchObject({ type: 'Normal', source: { component: 'kubelet', host: 'sim-gpu-node-1' }, involvedObject: { fieldPath: 'spec.containers{web}' } });
    }
    expect(events.find((e) => e.reason === 'Pulled')?.message).toBe('Container image "registry.example/app:1.0" already present on machine');
  });

  it('keeps a pod unready while its probe target refuses, with aggregated Unhealthy events', async () => {
    h = await openSim();
    const s = h;
    await s.core.createNamespacedPod({ namespace: s.ns, body: { metadata: { name: 'deaf' }, spec: { containers: [probedContainer('deaf', 8080, { probePort: 9999, periodSeconds: 2 })] } } });
    const event = await s.until('two failed probes', async () => {
      const e = (await s.core.listNamespacedEvent({ namespace: s.ns, fieldSelector: 'involvedObject.name=deaf' })).items.find((x) => x.reason === 'Unhealthy');
      return (e?.count ?? 0) >= 2 && e;
    });
    const pod = await s.pod('deaf');
    expect(event.type).toBe('Warning');
    expect(event.message).toBe(`Readiness probe failed: Get "http://${pod.status!.podIP}:9999/healthz": dial tcp ${pod.status!.podIP}:9999: connect: connection refused`);
    expect(condition(pod, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [deaf]' });
    expect(pod.status?.containerStatuses?.[0]?.ready).toBe(false);
  });

  it('restarts a container whose liveness probe fails, keeping the previous run', async () => {
    h = await openSim({ timing: { restartBackoffMs: 10_000 } });
    const s = h;
    const c = { name: 'flaky', image: 'registry.example/flaky:2', ports: [{ containerPort: 8080 }], livenessProbe: { httpGet: { path: '/', port: 9999 }, periodSeconds: 3, failureThreshold: 2 } };
    await s.core.createNamespacedPod({ namespace: s.ns, body: { metadata: { name: 'flaky' }, spec: { containers: [c] } } });
    const restarted = await s.until('a restart', async () => {
      const p = await s.pod('flaky');
      const st = p.status?.containerStatuses?.[0];
      return (st?.restartCount ?? 0) >= 1 && st?.state?.running && p;
    });
    const st = restarted.status!.containerStatuses![0]!;
    expect(st.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    const events = (await s.core.listNamespacedEvent({ namespace: s.ns, fieldSelector: 'involvedObject.name=flaky' })).items;
    expect(events.find((e) => e.reason === 'Killing')?.message).toBe('Container flaky failed liveness probe, will be restarted');
    const previous = await s.core.readNamespacedPodLog({ name: 'flaky', namespace: s.ns, previous: true });
    expect(String(previous)).toContain('simulated container flaky (registry.example/flaky:2) started');
  });

  it('serves container logs through pods/log', async () => {
    h = await openSim();
    const s = h;
    await s.core.createNamespacedPod({ namespace: s.ns, body: { metadata: { name: 'two' }, spec: { containers: [probedContainer('a', 8080), probedContainer('b', 8081)] } } });
    await expect(s.core.readNamespacedPodLog({ name: 'two', namespace: s.ns, container: 'a' })).rejects.toThrow(/waiting to start/);
    await s.until('both running', async () => (await s.pod('two')).status?.containerStatuses?.every((c) => c.state?.running));
    const pod = await s.pod('two');
    const log = String(await s.core.readNamespacedPodLog({ name: 'two', namespace: s.ns, container: 'b', timestamps: true }));
    expect(log).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z simulated container b \\(registry\\.example/app:1\\.0\\) started; serving HTTP 200 on ${pod.status!.podIP!.replaceAll('.', '\\.')}:8081\\n$`));
    await expect(s.core.readNamespacedPodLog({ name: 'two', namespace: s.ns })).rejects.toThrow(/a container name must be specified for pod two, choose one of: \[a b\]/);
  });

  it('terminates a deleted pod gracefully: containers stop, GPUs free, finalizers hold the object', async () => {
    h = await openSim({ gpusPerNode: 1, nodes: 1, timing: { terminateMs: 5000 } });
    const s = h;
    const body = { metadata: { name: 'held', finalizers: ['example.com/hold'] }, spec: { containers: [{ ...probedContainer('app', 8080), resources: { limits: { 'nvidia.com/gpu': '1' } } }] } };
    await s.core.createNamespacedPod({ namespace: s.ns, body });
    const running = await s.until('held Ready', async () => {
      const p = await s.pod('held');
      return condition(p, 'Ready')?.status === 'True' && p;
    });
    const url = `http://${running.status!.podIP}:8080/`;
    expect((await fetch(url)).status).toBe(200);
    const deletedAt = s.now();
    await s.core.deleteNamespacedPod({ name: 'held', namespace: s.ns });
    const terminated: V1Pod = await s.until('containers terminated', async () => {
      const p = await s.pod('held');
      return p.status?.containerStatuses?.[0]?.state?.terminated && p;
    });
    expect(s.now() - deletedAt).toBeGreaterThanOrEqual(5000);
    expect(terminated.metadata?.deletionTimestamp).toBeDefined();
    expect(terminated.status?.phase).toBe('Succeeded');
    expect(terminated.status?.containerStatuses?.[0]).toMatchObject({ ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(condition(terminated, 'Ready')?.status).toBe('False');
    expect(await connectRefused(url)).toBe(true);
    expect((await s.state()).nodes[0]!.gpus[0]!.pod).toBeNull();
    const killing = (await s.core.listNamespacedEvent({ namespace: s.ns, fieldSelector: 'involvedObject.name=held' })).items.find((e) => e.reason === 'Killing');
    expect(killing?.message).toBe('Stopping container app');

    await s.core.patchNamespacedPod({ name: 'held', namespace: s.ns, body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    await s.until('held gone', async () => !(await s.core.listNamespacedPod({ namespace: s.ns })).items.some((p) => p.metadata?.name === 'held'));
  });
});
