/*
 * The generic controllers through the REAL client: ReplicaSet (pods from the template, scale
 * subresource, scale-down order, status, cascade deletion), Deployment (ReplicaSet per template,
 * rolling update to completion, Recreate), Endpoints and the Service proxy forwarding TCP to a
 * server on a pod IP. The tests play the kubelet by writing pod status into the store.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KObject } from '../../store-types.ts';
import { eventually, oddPort, podTemplate, runPod, startPlane, type Plane } from './harness.ts';

const NS = 'bench';
let plane: Plane | undefined;
const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  await plane?.close();
  plane = undefined;
});

function podsOf(p: Plane, owner: string): KObject[] {
  return p.store.list('pods', NS).items.filter((o) => o.metadata.ownerReferences?.some((r) => r.name === owner));
}

function active(pods: KObject[]): KObject[] {
  return pods.filter((o) => !o.metadata.deletionTimestamp);
}

let nextIp = 10;
/** Plays the kubelet for every pending pod of `owner`: running, ready, with a fresh 127.1.x.y IP. */
function runAll(p: Plane, owner: string, ready = true): void {
  for (const o of active(podsOf(p, owner))) {
    if ((o.status as { podIP?: string } | undefined)?.podIP) continue;
    runPod(p.store, p.clock, NS, o.metadata.name as string, `127.1.9.${nextIp++}`, ready);
  }
}

async function createRs(p: Plane, name: string, replicas: number, httpPort = 8000): Promise<void> {
  await p.apps.createNamespacedReplicaSet({ namespace: NS, body: { metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template: podTemplate({ app: name }, undefined, httpPort) } } });
}

describe('ReplicaSet controller', () => {
  it('creates spec.replicas pods from the template with a controller reference and counts them in status', async () => {
    plane = await startPlane();
    const p = plane;
    await createRs(p, 'web', 3);
    const pods = await eventually(() => active(podsOf(p, 'web')).length === 3 && podsOf(p, 'web'), 5000, '3 pods');
    const rs = await p.apps.readNamespacedReplicaSet({ namespace: NS, name: 'web' });
    for (const o of pods) {
      expect(o.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(o.metadata.labels).toEqual({ app: 'web' });
      expect(o.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    }
    await eventually(async () => (await p.apps.readNamespacedReplicaSet({ namespace: NS, name: 'web' })).status?.replicas === 3, 5000, 'status.replicas 3');
    runAll(p, 'web');
    const ready = await eventually(async () => {
      const s = (await p.apps.readNamespacedReplicaSet({ namespace: NS, name: 'web' })).status;
      return s?.readyReplicas === 3 && s;
    }, 5000, 'readyReplicas 3');
    expect(ready).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    const events = await p.core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=web,reason=SuccessfulCreate' });
    expect(events.items).toHaveLength(3);
    expect(events.items[0]?.source?.component).toBe('replicaset-controller');
    expect(events.items[0]?.message).toMatch(/^Created pod: web-/);
  });

  it('scales through the scale subresource (replace and patch) and deletes not-ready, then unscheduled, then newest pods first', async () => {
    plane = await startPlane();
    const p = plane;
    await createRs(p, 'sc', 1);
    await eventually(() => active(podsOf(p, 'sc')).length === 1, 5000, '1 pod');
    runAll(p, 'sc');
    const oldest = active(podsOf(p, 'sc'))[0]?.metadata.name;

    const scale = await p.apps.replaceNamespacedReplicaSetScale({ namespace: NS, name: 'sc', body: { metadata: { name: 'sc' }, spec: { replicas: 4 } } });
    expect(scale.spec?.replicas).toBe(4);
    expect(scale.status?.selector).toBe('app=sc');
    await eventually(() => active(podsOf(p, 'sc')).length === 4, 5000, '4 pods');
    const younger = active(podsOf(p, 'sc')).filter((o) => o.metadata.name !== oldest);
    // One ready and one not-ready running pod; one left unscheduled.
    runPod(p.store, p.clock, NS, younger[0]?.metadata.name as string, '127.1.8.1', true);
    runPod(p.store, p.clock, NS, younger[1]?.metadata.name as string, '127.1.8.2', false);
    const unscheduled = younger[2]?.metadata.name;

    const patched = await p.apps.patchNamespacedReplicaSetScale({ namespace: NS, name: 'sc', body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] });
    expect(patched.spec?.replicas).toBe(2);
    await eventually(() => active(podsOf(p, 'sc')).length === 2, 5000, '2 pods');
    const kept = active(podsOf(p, 'sc')).map((o) => o.metadata.name).sort();
    expect(kept).toEqual([oldest, younger[0]?.metadata.name].sort());
    // The unscheduled pod went at once; the not-ready running one is terminating (left to the kubelet).
    expect(p.store.get('pods', NS, unscheduled as string)).toBeUndefined();
    expect(p.store.get('pods', NS, younger[1]?.metadata.name as string)?.metadata.deletionTimestamp).toBeDefined();
    const status = await eventually(async () => {
      const s = (await p.apps.readNamespacedReplicaSetScale({ namespace: NS, name: 'sc' })).status;
      return s?.replicas === 2 && s;
    }, 5000, 'scale status 2');
    expect(status.replicas).toBe(2);

    const bad = await p.apps.patchNamespacedReplicaSetScale({ namespace: NS, name: 'sc', body: { spec: { replicas: -1 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)).catch((e: { code: number }) => e);
    expect((bad as { code: number }).code).toBe(422);
  });

  it('replaces a pod that is being deleted at once (it no longer counts)', async () => {
    plane = await startPlane();
    const p = plane;
    await createRs(p, 'rep', 2);
    await eventually(() => active(podsOf(p, 'rep')).length === 2, 5000, '2 pods');
    runAll(p, 'rep');
    const victim = active(podsOf(p, 'rep'))[0]?.metadata.name as string;
    await p.core.deleteNamespacedPod({ namespace: NS, name: victim });
    await eventually(() => active(podsOf(p, 'rep')).length === 2 && podsOf(p, 'rep').length === 3, 5000, 'replacement while terminating');
    expect(p.store.get('pods', NS, victim)?.metadata.deletionTimestamp).toBeDefined();
  });

  it('cascades a ReplicaSet deletion to its pods (background), and orphans them on request', async () => {
    plane = await startPlane();
    const p = plane;
    await createRs(p, 'gc', 2);
    await createRs(p, 'orphan', 2);
    await eventually(() => active(podsOf(p, 'gc')).length === 2 && active(podsOf(p, 'orphan')).length === 2, 5000, 'pods');
    await p.apps.deleteNamespacedReplicaSet({ namespace: NS, name: 'gc' });
    await eventually(() => podsOf(p, 'gc').length === 0, 5000, 'pods collected');
    const orphanPods = podsOf(p, 'orphan').map((o) => o.metadata.name as string);
    await p.apps.deleteNamespacedReplicaSet({ namespace: NS, name: 'orphan', propagationPolicy: 'Orphan' });
    await eventually(() => !p.store.get('replicasets', NS, 'orphan'), 5000, 'rs gone');
    for (const n of orphanPods) expect(p.store.get('pods', NS, n)?.metadata.ownerReferences).toBeUndefined();
  });
});

describe('Deployment controller', () => {
  async function createDeployment(p: Plane, name: string, replicas: number, strategy?: Record<string, unknown>): Promise<void> {
    await p.apps.createNamespacedDeployment({ namespace: NS, body: { metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template: podTemplate({ app: name }), ...(strategy ? { strategy } : {}) } } });
  }
  const rsOf = (p: Plane, name: string): KObject[] => p.store.list('replicasets', NS).items.filter((r) => r.metadata.ownerReferences?.[0]?.name === name);

  it('creates <deployment>-<hash> with the pod-template-hash label and reports a complete rollout', async () => {
    plane = await startPlane();
    const p = plane;
    await createDeployment(p, 'api', 2);
    const [rs] = await eventually(() => rsOf(p, 'api').length === 1 && rsOf(p, 'api'), 5000, 'a ReplicaSet');
    const hash = rs?.metadata.labels?.['pod-template-hash'] as string;
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs?.metadata.name).toBe(`api-${hash}`);
    expect((rs?.spec as { selector: unknown }).selector).toEqual({ matchLabels: { app: 'api', 'pod-template-hash': hash } });
    expect(rs?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    await eventually(() => active(podsOf(p, `api-${hash}`)).length === 2, 5000, 'pods');
    for (const o of podsOf(p, `api-${hash}`)) expect(o.metadata.labels).toEqual({ app: 'api', 'pod-template-hash': hash });
    runAll(p, `api-${hash}`);
    const d = await eventually(async () => {
      const got = await p.apps.readNamespacedDeployment({ namespace: NS, name: 'api' });
      return got.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable' && got;
    }, 5000, 'complete rollout');
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    // Scaling the deployment (scale subresource) scales its ReplicaSet.
    await p.apps.replaceNamespacedDeploymentScale({ namespace: NS, name: 'api', body: { metadata: { name: 'api' }, spec: { replicas: 3 } } });
    await eventually(() => active(podsOf(p, `api-${hash}`)).length === 3, 5000, '3 pods');
  });

  it('rolls a template change out to a new ReplicaSet within maxSurge/maxUnavailable and scales the old one to zero', async () => {
    plane = await startPlane();
    const p = plane;
    await createDeployment(p, 'roll', 4, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const [oldRs] = await eventually(() => rsOf(p, 'roll').length === 1 && rsOf(p, 'roll'), 5000, 'first ReplicaSet');
    const oldName = oldRs?.metadata.name as string;
    await eventually(() => active(podsOf(p, oldName)).length === 4, 5000, 'old pods');
    runAll(p, oldName);
    await eventually(async () => (await p.apps.readNamespacedDeployment({ namespace: NS, name: 'roll' })).status?.availableReplicas === 4, 5000, 'available 4');

    await p.apps.patchNamespacedDeployment({ namespace: NS, name: 'roll', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.example/app:2' }] });
    const newName = await eventually(() => rsOf(p, 'roll').find((r) => r.metadata.name !== oldName)?.metadata.name, 5000, 'new ReplicaSet');
    let maxTotal = 0;
    let minReady = Infinity;
    // Play the kubelet until the rollout completes, checking the surge bound at every step.
    await eventually(() => {
      const total = active(p.store.list('pods', NS).items.filter((o) => o.metadata.labels?.app === 'roll')).length;
      maxTotal = Math.max(maxTotal, total);
      const ready = p.store.list('pods', NS).items.filter((o) => o.metadata.labels?.app === 'roll' && !o.metadata.deletionTimestamp && (o.status as { conditions?: Array<{ type: string; status: string }> }).conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      minReady = Math.min(minReady, ready.length);
      runAll(p, newName);
      const d = p.store.get('deployments', NS, 'roll');
      const st = d?.status as { updatedReplicas?: number; replicas?: number; availableReplicas?: number };
      return st.updatedReplicas === 4 && st.replicas === 4 && st.availableReplicas === 4;
    }, 10_000, 'rollout complete');
    expect(maxTotal).toBe(5); // maxSurge 1: one extra pod at a time
    expect(minReady).toBe(4); // maxUnavailable 0: never fewer ready pods than desired
    const rsNow = rsOf(p, 'roll');
    expect((rsNow.find((r) => r.metadata.name === oldName)?.spec as { replicas: number }).replicas).toBe(0);
    expect(rsNow.find((r) => r.metadata.name === newName)?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const events = (await p.core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=roll' })).items.map((e) => e.message);
    expect(events).toContain(`Scaled up replica set ${newName} from 0 to 1`);
    expect(events).toContain(`Scaled down replica set ${oldName} from 4 to 3`);
  });

  it('Recreate: scales the old ReplicaSet to zero and starts the new one only when the old pods are gone', async () => {
    plane = await startPlane();
    const p = plane;
    await createDeployment(p, 'rc', 2, { type: 'Recreate' });
    const [oldRs] = await eventually(() => rsOf(p, 'rc').length === 1 && rsOf(p, 'rc'), 5000, 'first ReplicaSet');
    const oldName = oldRs?.metadata.name as string;
    await eventually(() => active(podsOf(p, oldName)).length === 2, 5000, 'old pods');
    runAll(p, oldName);
    await p.apps.patchNamespacedDeployment({ namespace: NS, name: 'rc', body: { spec: { template: { metadata: { labels: { app: 'rc', v: '2' } } } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    const newName = await eventually(() => rsOf(p, 'rc').find((r) => r.metadata.name !== oldName)?.metadata.name, 5000, 'new ReplicaSet');
    await eventually(() => active(podsOf(p, oldName)).length === 0, 5000, 'old pods terminating');
    await new Promise((r) => setTimeout(r, 100));
    expect(podsOf(p, newName)).toHaveLength(0); // old pods still terminating: nothing new yet
    for (const o of podsOf(p, oldName)) p.store.delete('pods', NS, o.metadata.name as string, { gracePeriodSeconds: 0 }); // the kubelet finishes them
    await eventually(() => active(podsOf(p, newName)).length === 2, 5000, 'new pods');
  });
});

describe('Endpoints controller and Service proxy', () => {
  function listen(ip: string, port: number, body: string): Promise<void> {
    const s = createServer((_req, res) => res.end(body));
    servers.push(s);
    return new Promise((resolve) => s.listen(port, ip, resolve));
  }

  it('lists ready pods as endpoints and forwards ClusterIP connections round-robin; refuses with no ready endpoint', async () => {
    plane = await startPlane();
    const p = plane;
    // Pod addresses and ports away from those other simulators on this machine use.
    const port = oddPort();
    const [ipA, ipB] = ['127.1.250.1', '127.1.250.2'];
    await createRs(p, 'vllm', 2, port);
    await eventually(() => active(podsOf(p, 'vllm')).length === 2, 5000, 'pods');
    const svc = await p.core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'vllm' }, spec: { selector: { app: 'vllm' }, ports: [{ name: 'http', port: 8000, targetPort: 'http' }] } } });
    const ip = svc.spec?.clusterIP as string;
    expect(ip).toMatch(/^127\.2\.\d+\.\d+$/);
    const url = `http://${ip}:8000/`;
    // No ready endpoint: the connection is refused, as kube-proxy's REJECT rule does.
    const refused = await fetch(url).catch((e: { cause?: { code?: string } }) => e.cause?.code);
    expect(refused).toBe('ECONNREFUSED');

    const [a, b] = active(podsOf(p, 'vllm'));
    await listen(ipA, port, 'pod-a');
    await listen(ipB, port, 'pod-b');
    runPod(p.store, p.clock, NS, a?.metadata.name as string, ipA, true);
    runPod(p.store, p.clock, NS, b?.metadata.name as string, ipB, false);
    const ep = await eventually(async () => {
      const got = await p.core.readNamespacedEndpoints({ namespace: NS, name: 'vllm' });
      return got.subsets?.[0]?.notReadyAddresses?.length === 1 && got;
    }, 5000, 'endpoints');
    expect(ep.subsets).toEqual([
      {
        addresses: [{ ip: ipA, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: NS, name: a?.metadata.name, uid: a?.metadata.uid } }],
        notReadyAddresses: [{ ip: ipB, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: NS, name: b?.metadata.name, uid: b?.metadata.uid } }],
        ports: [{ name: 'http', port, protocol: 'TCP' }],
      },
    ]);
    expect(await eventually(() => fetch(url).then((r) => r.text()), 5000, 'proxy')).toBe('pod-a');

    runPod(p.store, p.clock, NS, b?.metadata.name as string, ipB, true);
    await eventually(() => p.controllers?.proxyStatus().find((s) => s.service === `${NS}/vllm`)?.endpoints.length === 2, 5000, 'two endpoints');
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) answers.add(await fetch(url, { headers: { connection: 'close' } }).then((r) => r.text()));
    expect([...answers].sort()).toEqual(['pod-a', 'pod-b']);

    // Both pods not ready: refused again.
    runPod(p.store, p.clock, NS, a?.metadata.name as string, ipA, false);
    runPod(p.store, p.clock, NS, b?.metadata.name as string, ipB, false);
    await eventually(() => fetch(url).then(() => false, (e: { cause?: { code?: string } }) => e.cause?.code === 'ECONNREFUSED'), 5000, 'refused');
  });

  it('drops a connection whose endpoint does not answer, and removes the Endpoints with the Service', async () => {
    plane = await startPlane();
    const p = plane;
    await createRs(p, 'dead', 1);
    const [pod] = await eventually(() => active(podsOf(p, 'dead')).length === 1 && active(podsOf(p, 'dead')), 5000, 'pod');
    runPod(p.store, p.clock, NS, pod?.metadata.name as string, '127.1.250.9', true); // nothing listens there
    const svc = await p.core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'dead' }, spec: { selector: { app: 'dead' }, ports: [{ port: 9000, targetPort: oddPort() }] } } });
    const ip = svc.spec?.clusterIP as string;
    await eventually(() => p.controllers?.proxyStatus().some((s) => s.address === `${ip}:9000` && s.listening), 5000, 'listening');
    const outcome = await new Promise<string>((resolve) => {
      const sock = connect(9000, ip);
      sock.on('close', () => resolve('closed'));
      sock.on('error', () => {});
    });
    expect(outcome).toBe('closed');
    await p.core.deleteNamespacedService({ namespace: NS, name: 'dead' });
    await eventually(() => !p.store.get('endpoints', NS, 'dead'), 5000, 'endpoints removed');
    await eventually(() => !p.controllers?.proxyStatus().some((s) => s.address === `${ip}:9000`), 5000, 'listener removed');
  });
});
