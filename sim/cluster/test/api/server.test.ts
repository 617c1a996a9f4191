/*
 * The API server through the REAL @kubernetes/client-node 1.4.0, loaded from the kubeconfig the
 * simulator writes: CRUD, the errors as the client surfaces them, status semantics, patch types,
 * selectors, pages, deletecollection, custom resources, discovery, authorization, logs, binding.
 */
import { readFileSync, statSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesObjectApi, Log, PatchStrategy, setHeaderOptions, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import { kubeconfigYaml } from '../../api/kubeconfig.ts';
import type { PodLogLine } from '../../api/handler-context.ts';
import { apiError, startPlane, type Plane } from './harness.ts';

const NS = 'bench';
let plane: Plane;
const logLines: PodLogLine[] = [];

beforeAll(async () => {
  plane = await startPlane({
    controllers: false,
    server: {
      logs: (namespace, pod, container) => {
        if (namespace !== NS || pod !== 'logged' || container !== 'app') return undefined;
        return logLines;
      },
      authorize: (verb, resource, namespace, attrs) => {
        if (namespace === 'locked' && !(verb === 'get' && resource === 'configmaps')) return '';
        if (resource === 'secrets' && verb === 'list') return 'RBAC: clusterrole.rbac.authorization.k8s.io "reader" not found';
        expect(attrs.token).toBe('test-token');
        return undefined;
      },
      user: (token) => (token === 'test-token' ? 'system:serviceaccount:bench:runner' : 'system:anonymous'),
    },
  });
  plane.store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'locked' } });
});

afterAll(async () => {
  await plane?.close();
});

function pod(name: string, labels: Record<string, string> = {}): V1Pod {
  return { metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] } };
}

describe('kubeconfig', () => {
  it('points the real client at the simulator over plain http with insecure-skip-tls-verify and a bearer token', () => {
    const text = readFileSync(plane.kubeconfigPath, 'utf8');
    expect(text).toContain('insecure-skip-tls-verify: true');
    expect(text).toContain(`server: ${plane.server.url}`);
    expect(statSync(plane.kubeconfigPath).mode & 0o777).toBe(0o600);
    expect(plane.kc.getCurrentCluster()?.server).toBe(plane.server.url);
    expect(plane.kc.getCurrentCluster()?.skipTLSVerify).toBe(true);
    expect(plane.kc.getCurrentUser()?.token).toBe('test-token');
    expect(plane.kc.getContextObject(plane.kc.getCurrentContext())?.namespace).toBe(NS);
    expect(() => kubeconfigYaml({ url: '127.0.0.1:1', namespace: 'x' })).toThrow(/must start with http/);
  });
});

describe('CRUD through CoreV1Api', () => {
  it('creates (also with generateName), reads, replaces and deletes a pod', async () => {
    const created = await plane.core.createNamespacedPod({ namespace: NS, body: { ...pod(''), metadata: { generateName: 'web-', labels: { app: 'web' } } } });
    const name = created.metadata?.name as string;
    expect(name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.status?.phase).toBe('Pending');
    const read = await plane.core.readNamespacedPod({ namespace: NS, name });
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    read.metadata = { ...read.metadata, labels: { app: 'web', v: '2' } };
    const replaced = await plane.core.replaceNamespacedPod({ namespace: NS, name, body: read });
    expect(replaced.metadata?.labels).toEqual({ app: 'web', v: '2' });
    const deleted = await plane.core.deleteNamespacedPod({ namespace: NS, name });
    expect(deleted.metadata?.name).toBe(name);
    expect(plane.store.get('pods', NS, name)).toBeUndefined();
  });

  it('surfaces 404, 409 and 422 as ApiException with the Status body', async () => {
    const missing = await apiError(plane.core.readNamespacedPod({ namespace: NS, name: 'nope' }));
    expect(missing.code).toBe(404);
    expect(missing.status).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404 });

    await plane.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'dup' } } });
    const dup = await apiError(plane.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'dup' } } }));
    expect(dup.code).toBe(409);
    expect(dup.status.reason).toBe('AlreadyExists');

    const stale = (await plane.core.readNamespacedConfigMap({ namespace: NS, name: 'dup' })) as V1ConfigMap;
    await plane.core.replaceNamespacedConfigMap({ namespace: NS, name: 'dup', body: { ...stale, data: { a: '1' } } });
    const conflict = await apiError(plane.core.replaceNamespacedConfigMap({ namespace: NS, name: 'dup', body: { ...stale, data: { a: '2' } } }));
    expect(conflict.code).toBe(409);
    expect(conflict.status.reason).toBe('Conflict');

    const invalid = await apiError(plane.core.createNamespacedPod({ namespace: NS, body: pod('Not_Valid') }));
    expect(invalid.code).toBe(422);
    expect(invalid.status.message).toContain('Pod "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid"');

    const noNs = await apiError(plane.core.createNamespacedPod({ namespace: 'absent', body: pod('x') }));
    expect(noNs.code).toBe(404);
    expect(noNs.status.message).toBe('namespaces "absent" not found');

    const renamed = await apiError(plane.core.replaceNamespacedConfigMap({ namespace: NS, name: 'dup', body: { metadata: { name: 'other' } } }));
    expect(renamed.code).toBe(400);
    expect(renamed.status.message).toBe('the name of the object (other) does not match the name on the URL (dup)');
  });

  it('keeps status on object writes and changes only status through /status', async () => {
    await plane.core.createNamespacedPod({ namespace: NS, body: { ...pod('st'), status: { phase: 'Running' } } });
    expect(plane.store.get('pods', NS, 'st')?.status).toMatchObject({ phase: 'Pending' }); // status is not set by create
    const withStatus = await plane.core.replaceNamespacedPodStatus({ namespace: NS, name: 'st', body: { ...pod('st'), metadata: { name: 'st', labels: { ignored: 'yes' } }, status: { phase: 'Running', podIP: '127.1.0.7' } } });
    expect(withStatus.status?.phase).toBe('Running');
    expect(withStatus.metadata?.labels).toBeUndefined();
    const relabeled = await plane.core.patchNamespacedPod({ namespace: NS, name: 'st', body: { metadata: { labels: { a: 'b' } }, status: { phase: 'Failed' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(relabeled.metadata?.labels).toEqual({ a: 'b' });
    expect(relabeled.status?.phase).toBe('Running');
    const patchedStatus = await plane.core.patchNamespacedPodStatus(
      { namespace: NS, name: 'st', body: { status: { conditions: [{ type: 'Ready', status: 'True' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patchedStatus.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['Ready=True']);
    expect(patchedStatus.status?.podIP).toBe('127.1.0.7');
  });

  it('patches with JSON patch (the client default), merge and strategic merge, and refuses an unknown Content-Type', async () => {
    await plane.core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'pt', labels: { a: '1' } }, spec: { containers: [{ name: 'app', image: 'i:1', env: [{ name: 'X', value: '1' }] }] } } });
    const json = await plane.core.patchNamespacedPod({ namespace: NS, name: 'pt', body: [{ op: 'add', path: '/metadata/labels/b', value: '2' }] });
    expect(json.metadata?.labels).toEqual({ a: '1', b: '2' });
    const smp = await plane.core.patchNamespacedPod(
      { namespace: NS, name: 'pt', body: { metadata: { finalizers: ['x/y'] }, spec: { containers: [{ name: 'app', env: [{ name: 'Y', value: '2' }] }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(smp.spec?.containers[0]?.env?.map((e) => e.name)).toEqual(['X', 'Y']);
    expect(smp.metadata?.finalizers).toEqual(['x/y']);
    const merge = await plane.core.patchNamespacedPod({ namespace: NS, name: 'pt', body: { metadata: { finalizers: null } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(merge.metadata?.finalizers).toBeUndefined();
    const failedTest = await apiError(plane.core.patchNamespacedPod({ namespace: NS, name: 'pt', body: [{ op: 'test', path: '/metadata/labels/a', value: 'nope' }] }));
    expect(failedTest.code).toBe(422);
    const res = await fetch(`${plane.server.url}/api/v1/namespaces/${NS}/pods/pt`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { reason: string }).reason).toBe('UnsupportedMediaType');
  });

  it('lists with label and field selectors, pages with limit/continue, and deletes a collection by label', async () => {
    for (let i = 0; i < 5; i++) await plane.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: `page-${i}`, labels: { set: 'pages', odd: String(i % 2) } } } });
    const odd = await plane.core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'set=pages,odd=1' });
    expect(odd.items.map((c) => c.metadata?.name)).toEqual(['page-1', 'page-3']);
    expect(odd.items[0]?.kind).toBeUndefined(); // typed lists carry no per-item kind, as on a cluster
    const byName = await plane.core.listNamespacedConfigMap({ namespace: NS, fieldSelector: 'metadata.name=page-2' });
    expect(byName.items.map((c) => c.metadata?.name)).toEqual(['page-2']);
    const first = await plane.core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'set=pages', limit: 2 });
    expect(first.items.map((c) => c.metadata?.name)).toEqual(['page-0', 'page-1']);
    expect(first.metadata?.remainingItemCount).toBe(3);
    const second = await plane.core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'set=pages', limit: 2, _continue: first.metadata?._continue as string });
    expect(second.items.map((c) => c.metadata?.name)).toEqual(['page-2', 'page-3']);
    const third = await plane.core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'set=pages', limit: 2, _continue: second.metadata?._continue as string });
    expect(third.items.map((c) => c.metadata?.name)).toEqual(['page-4']);
    expect(third.metadata?._continue).toBeUndefined();
    const badSelector = await apiError(plane.core.listNamespacedPod({ namespace: NS, fieldSelector: 'spec.image=x' }));
    expect(badSelector.code).toBe(400);
    expect(badSelector.status.message).toBe('field label not supported: spec.image');

    await plane.core.deleteCollectionNamespacedConfigMap({ namespace: NS, labelSelector: 'odd=0' });
    const left = await plane.core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'set=pages' });
    expect(left.items.map((c) => c.metadata?.name)).toEqual(['page-1', 'page-3']);
  });

  it('deletes with a body: finalizers keep the object (200 with deletionTimestamp), propagationPolicy is read', async () => {
    await plane.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'held', finalizers: ['test/hold'] } } });
    await plane.core.deleteNamespacedConfigMap({ namespace: NS, name: 'held', body: { propagationPolicy: 'Foreground' } });
    const held = await plane.core.readNamespacedConfigMap({ namespace: NS, name: 'held' });
    expect(held.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    const bad = await apiError(plane.core.deleteNamespacedConfigMap({ namespace: NS, name: 'held', propagationPolicy: 'Sideways' }));
    expect(bad.code).toBe(400);
    await plane.core.patchNamespacedConfigMap({ namespace: NS, name: 'held', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    expect((await apiError(plane.core.readNamespacedConfigMap({ namespace: NS, name: 'held' }))).code).toBe(404);
    expect((await apiError(plane.core.deleteNamespacedConfigMap({ namespace: NS, name: 'held' }))).code).toBe(404);
  });
});

describe('custom resources and discovery', () => {
  it('serves the fma.llm-d.ai CRDs through CustomObjectsApi (no strategic merge patch, as on a cluster)', async () => {
    const group = 'fma.llm-d.ai';
    const version = 'v1alpha1';
    const body = { apiVersion: `${group}/${version}`, kind: 'InferenceServerConfig', metadata: { name: 'isc-1' }, spec: { modelServerConfig: { port: 8005 } } };
    await plane.custom.createNamespacedCustomObject({ group, version, namespace: NS, plural: 'inferenceserverconfigs', body });
    const list = (await plane.custom.listNamespacedCustomObject({ group, version, namespace: NS, plural: 'inferenceserverconfigs' })) as { kind: string; items: Array<{ kind: string }> };
    expect(list.kind).toBe('InferenceServerConfigList');
    expect(list.items[0]?.kind).toBe('InferenceServerConfig');
    const patched = (await plane.custom.patchNamespacedCustomObject(
      { group, version, namespace: NS, plural: 'inferenceserverconfigs', name: 'isc-1', body: { spec: { modelServerConfig: { port: 8006 } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { spec: { modelServerConfig: { port: number } } };
    expect(patched.spec.modelServerConfig.port).toBe(8006);
    const smp = await apiError(
      plane.custom.patchNamespacedCustomObject({ group, version, namespace: NS, plural: 'inferenceserverconfigs', name: 'isc-1', body: { spec: {} } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)),
    );
    expect(smp.code).toBe(415);
    await plane.custom.createNamespacedCustomObject({ group, version, namespace: NS, plural: 'launcherconfigs', body: { apiVersion: `${group}/${version}`, kind: 'LauncherConfig', metadata: { name: 'lc' }, spec: {} } });
    await plane.custom.createNamespacedCustomObject({ group, version, namespace: NS, plural: 'launcherpopulationpolicies', body: { apiVersion: `${group}/${version}`, kind: 'LauncherPopulationPolicy', metadata: { name: 'lpp' }, spec: {} } });
    expect((await apiError(plane.custom.getNamespacedCustomObject({ group, version, namespace: NS, plural: 'launcherconfigs', name: 'nope' }))).status.message).toBe('launcherconfigs.fma.llm-d.ai "nope" not found');
  });

  it('answers discovery well enough for KubernetesObjectApi to map kinds to paths', async () => {
    const objects = KubernetesObjectApi.makeApiClient(plane.kc);
    await objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-objects', namespace: NS }, data: { a: 'b' } } as V1ConfigMap);
    const read = (await objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-objects', namespace: NS } })) as V1ConfigMap;
    expect(read.data).toEqual({ a: 'b' });
    await objects.create({ apiVersion: 'fma.llm-d.ai/v1alpha1', kind: 'LauncherConfig', metadata: { name: 'lc-objects', namespace: NS }, spec: {} } as never);
    await objects.delete({ apiVersion: 'fma.llm-d.ai/v1alpha1', kind: 'LauncherConfig', metadata: { name: 'lc-objects', namespace: NS } });
    const version = await fetch(`${plane.server.url}/version`).then((r) => r.json() as Promise<{ major: string; gitVersion: string }>);
    expect(version.major).toBe('1');
    const groups = await fetch(`${plane.server.url}/apis`).then((r) => r.json() as Promise<{ groups: Array<{ name: string }> }>);
    expect(groups.groups.map((g) => g.name)).toEqual(['apps', 'batch', 'fma.llm-d.ai']);
    const apps = await fetch(`${plane.server.url}/apis/apps/v1`).then((r) => r.json() as Promise<{ resources: Array<{ name: string }> }>);
    expect(apps.resources.map((r) => r.name)).toEqual(['replicasets', 'replicasets/status', 'replicasets/scale', 'deployments', 'deployments/status', 'deployments/scale']);
    const batch = await fetch(`${plane.server.url}/apis/batch/v1`).then((r) => r.json() as Promise<{ resources: Array<{ name: string }> }>);
    expect(batch.resources.map((r) => r.name)).toEqual(['jobs', 'jobs/status']);
    expect((await fetch(`${plane.server.url}/apis/extensions/v1beta1/jobs`)).status).toBe(404);
  });
});

describe('authorization, logs and binding', () => {
  it('answers 403 with the message RBAC writes, naming the user from the bearer token', async () => {
    const denied = await apiError(plane.core.createNamespacedConfigMap({ namespace: 'locked', body: { metadata: { name: 'x' } } }));
    expect(denied.code).toBe(403);
    expect(denied.status.reason).toBe('Forbidden');
    expect(denied.status.message).toBe('configmaps is forbidden: User "system:serviceaccount:bench:runner" cannot create resource "configmaps" in API group "" in the namespace "locked"');
    const named = await apiError(plane.core.deleteNamespacedConfigMap({ namespace: 'locked', name: 'x' }));
    expect(named.status.message).toBe('configmaps "x" is forbidden: User "system:serviceaccount:bench:runner" cannot delete resource "configmaps" in API group "" in the namespace "locked"');
    const withReason = await apiError(plane.core.listNamespacedSecret({ namespace: NS }));
    expect(withReason.status.message).toBe(
      'secrets is forbidden: User "system:serviceaccount:bench:runner" cannot list resource "secrets" in API group "" in the namespace "bench": RBAC: clusterrole.rbac.authorization.k8s.io "reader" not found',
    );
    expect((await apiError(plane.core.readNamespacedConfigMap({ namespace: 'locked', name: 'x' }))).code).toBe(404); // allowed, then not found
  });

  it('serves pods/log from the log source with tailLines, sinceTime and timestamps, and the API server errors', async () => {
    await plane.core.createNamespacedPod({ namespace: NS, body: pod('logged') });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    logLines.push({ time: t0, text: 'one' }, { time: t0 + 1000, text: 'two' }, { time: t0 + 2000, text: 'three' });
    expect(await plane.core.readNamespacedPodLog({ namespace: NS, name: 'logged' })).toBe('one\ntwo\nthree\n');
    expect(await plane.core.readNamespacedPodLog({ namespace: NS, name: 'logged', container: 'app', tailLines: 2 })).toBe('two\nthree\n');
    // sinceTime is not in the generated API; the client's Log helper sends it.
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (b: Buffer) => chunks.push(b));
    const ended = new Promise((r) => sink.on('end', r));
    await new Log(plane.kc).log(NS, 'logged', 'app', sink, { sinceTime: '2026-01-01T00:00:01Z' });
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('two\nthree\n');
    expect(await plane.core.readNamespacedPodLog({ namespace: NS, name: 'logged', tailLines: 1, timestamps: true })).toBe('2026-01-01T00:00:02.000000Z three\n');
    const wrong = await apiError(plane.core.readNamespacedPodLog({ namespace: NS, name: 'logged', container: 'nope' }));
    expect(wrong.status.message).toBe('container nope is not valid for pod logged');
    await plane.core.createNamespacedPod({ namespace: NS, body: pod('quiet') });
    const waiting = await apiError(plane.core.readNamespacedPodLog({ namespace: NS, name: 'quiet' }));
    expect(waiting.code).toBe(400);
    expect(waiting.status.message).toBe('container "app" in pod "quiet" is waiting to start: ContainerCreating');
    expect((await apiError(plane.core.readNamespacedPodLog({ namespace: NS, name: 'ghost' }))).code).toBe(404);
  });

  it('binds a pod to a node once through pods/binding', async () => {
    await plane.core.createNamespacedPod({ namespace: NS, body: pod('to-bind') });
    await plane.core.createNamespacedPodBinding({ namespace: NS, name: 'to-bind', body: { metadata: { name: 'to-bind' }, target: { kind: 'Node', name: 'node-7' } } });
    const bound = await plane.core.readNamespacedPod({ namespace: NS, name: 'to-bind' });
    expect(bound.spec?.nodeName).toBe('node-7');
    expect(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    const again = await apiError(plane.core.createNamespacedPodBinding({ namespace: NS, name: 'to-bind', body: { metadata: { name: 'to-bind' }, target: { kind: 'Node', name: 'node-8' } } }));
    expect(again.code).toBe(409);
    expect(again.status.message).toContain('pod to-bind is already assigned to node "node-7"');
  });

  it('answers unknown paths with a 404 Status and wrong methods with 405', async () => {
    const res = await fetch(`${plane.server.url}/api/v1/namespaces/${NS}/widgets`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { kind: string }).kind).toBe('Status');
    expect((await fetch(`${plane.server.url}/api/v1/namespaces/${NS}/pods/x/log`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${plane.server.url}/api/v1/pods`, { method: 'POST', body: '{}' })).status).toBe(405);
    const clock = await fetch(`${plane.server.url}/sim/clock`).then((r) => r.json());
    expect(clock).toEqual(plane.clock.describe());
    expect((await fetch(`${plane.server.url}/sim/unknown`)).status).toBe(404);
  });
});
