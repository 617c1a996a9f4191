import { afterEach, describe, expect, it } from 'vitest';
import { StoreError, type KObject, type WatchEvent } from '../../store-types.ts';
import { clock, closeStore, cm, err, fresh, pod, store } from './store-helpers.ts';

afterEach(closeStore);

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('store: create, read, update', () => {
  it('fills uid, creationTimestamp (whole cluster seconds), resourceVersion, generation and defaults', () => {
    fresh();
    const before = Number(store.resourceVersion());
    const p = store.create('pods', 'ns', pod('web'));
    expect(p.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(p.metadata.resourceVersion)).toBe(before + 1);
    expect(store.resourceVersion()).toBe(p.metadata.resourceVersion);
    expect(p.metadata.generation).toBe(1);
    expect(p.metadata.namespace).toBe('ns');
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect((p.spec as { restartPolicy: string }).restartPolicy).toBe('Always');
    // What the caller gets is a copy: changing it does not change the store.
    p.metadata.labels = { changed: 'yes' };
    expect(store.get('pods', 'ns', 'web')?.metadata.labels).toBeUndefined();
  });

  it('generates names from generateName with 5 characters of the Kubernetes alphabet', () => {
    fresh();
    const names = new Set<string>();
    for (let i = 0; i < 20; i++) names.add(store.create('pods', 'ns', pod('', { generateName: 'req-' })).metadata.name as string);
    expect(names.size).toBe(20);
    for (const n of names) expect(n).toMatch(/^req-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('answers 404 for a missing namespace, 409 for a duplicate, 422 for invalid names, 403 in a terminating namespace', () => {
    fresh();
    expect(err(() => store.create('pods', 'nope', pod('a')))).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "nope" not found' });
    store.create('pods', 'ns', pod('a'));
    expect(err(() => store.create('pods', 'ns', pod('a')))).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'pods "a" already exists' });
    const bad = err(() => store.create('pods', 'ns', pod('Bad_Name')));
    expect(bad.code).toBe(422);
    expect(bad.message).toMatch(/^Pod "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    expect(err(() => store.create('pods', 'ns', pod('')))).toMatchObject({ code: 422, message: 'Pod "" is invalid: metadata.name: Required value: name or generateName is required' });
    expect(err(() => store.create('services', 'ns', { apiVersion: 'v1', kind: 'Service', metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } })).message).toContain('DNS-1035 label');
    expect(err(() => store.create('pods', 'ns', pod('c', { labels: { 'bad key': 'v' } }))).code).toBe(422);
    expect(err(() => store.create('pods', 'ns', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nocontainers' }, spec: {} })).message).toContain('spec.containers: Required value');
    expect(err(() => store.create('pods', 'ns', { ...pod('k'), kind: 'Service' })).code).toBe(400);
    expect(err(() => store.create('widgets', 'ns', pod('w'))).code).toBe(404);
  });

  it('validates workloads: selector matching the template, replicas, strategy, container ports', () => {
    fresh();
    const deploy = (spec: Record<string, unknown>): KObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } }, ...spec },
    });
    expect(err(() => store.create('deployments', 'ns', deploy({ selector: { matchLabels: { app: 'other' } } }))).message).toContain('spec.template.metadata.labels: Invalid value: {"app":"d"}: `selector` does not match template `labels`');
    expect(err(() => store.create('deployments', 'ns', deploy({ replicas: -1 }))).message).toContain('spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    expect(err(() => store.create('deployments', 'ns', deploy({ strategy: { type: 'Sideways' } }))).message).toContain('spec.strategy.type: Unsupported value: "Sideways"');
    expect(err(() => store.create('deployments', 'ns', deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } } }))).message).toContain('spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots"');
    const ports = err(() => store.create('pods', 'ns', { ...pod('ports'), spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 70000 }] }] } }));
    expect(ports.message).toBe('Pod "ports" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive');
    const d = store.create('deployments', 'ns', deploy({}));
    expect(d.spec).toMatchObject({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
    expect(err(() => store.update('deployments', 'ns', { ...d, spec: { ...(d.spec as object), selector: { matchLabels: { app: 'd', x: 'y' } } } })).message).toContain('spec.selector: Invalid value');
  });

  it('rejects a stale resourceVersion with 409 Conflict and bumps generation on spec changes only', () => {
    fresh();
    const a = store.create('configmaps', 'ns', cm('a', {}, { k: '1' }));
    const b = store.update('configmaps', 'ns', { ...a, data: { k: '2' } });
    expect(b.metadata.generation).toBe(2);
    expect(err(() => store.update('configmaps', 'ns', { ...a, data: { k: '3' } }))).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
    });
    const c = store.update('configmaps', 'ns', { ...b, metadata: { ...b.metadata, labels: { x: 'y' } } });
    expect(c.metadata.generation).toBe(2);
    expect(Number(c.metadata.resourceVersion)).toBeGreaterThan(Number(b.metadata.resourceVersion));
    // uid, creationTimestamp and name are the store's, not the client's.
    const d = store.update('configmaps', 'ns', { ...c, metadata: { ...c.metadata, uid: undefined, creationTimestamp: '2000-01-01T00:00:00Z' } });
    expect(d.metadata.uid).toBe(a.metadata.uid);
    expect(d.metadata.creationTimestamp).toBe(a.metadata.creationTimestamp);
    expect(err(() => store.update('configmaps', 'ns', cm('missing'))).code).toBe(404);
  });

  it('does not write (no new resourceVersion, no event) when an update changes nothing', () => {
    fresh();
    const a = store.create('configmaps', 'ns', cm('a', {}, { k: '1' }));
    const events: WatchEvent[] = [];
    store.watch('configmaps', 'ns', { resourceVersion: a.metadata.resourceVersion }, (e) => events.push(e));
    const same = store.update('configmaps', 'ns', structuredClone(a));
    expect(same.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    expect(store.mutate('configmaps', 'ns', 'a', () => {})?.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    expect(events).toEqual([]);
  });

  it('patches in-process with every patch type; mutate never conflicts and returns undefined when gone', () => {
    fresh();
    store.create('configmaps', 'ns', cm('a', { labels: { x: '1' } }, { k: '1' }));
    expect(store.patch('configmaps', 'ns', 'a', { data: { j: '2' } }, 'merge').data).toEqual({ k: '1', j: '2' });
    expect(store.patch('configmaps', 'ns', 'a', [{ op: 'remove', path: '/data/k' }], 'json').data).toEqual({ j: '2' });
    expect(store.patch('configmaps', 'ns', 'a', { metadata: { labels: { x: null } } }, 'strategic').metadata.labels).toBeUndefined();
    expect(err(() => store.patch('configmaps', 'ns', 'nope', {}, 'merge')).code).toBe(404);
    expect(store.patch('configmaps', 'ns', 'applied', { data: { a: 'b' } }, 'apply').data).toEqual({ a: 'b' });
    expect(store.mutate('configmaps', 'ns', 'a', (o) => (o.data = { m: '1' }))?.data).toEqual({ m: '1' });
    expect(store.mutate('configmaps', 'ns', 'nope', () => {})).toBeUndefined();
  });

  it('lists sorted by namespace and name with label and field selectors', () => {
    fresh();
    store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aa' } });
    store.create('pods', 'ns', pod('b', { labels: { app: 'x' } }, { nodeName: 'n1' }));
    store.create('pods', 'ns', pod('a', { labels: { app: 'y' } }));
    store.create('pods', 'aa', pod('z', { labels: { app: 'x' } }));
    expect(store.list('pods', undefined).items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['aa/z', 'ns/a', 'ns/b']);
    expect(store.list('pods', 'ns', { labelSelector: 'app=x' }).items.map((p) => p.metadata.name)).toEqual(['b']);
    expect(store.list('pods', undefined, { labelSelector: 'app in (x)', fieldSelector: 'spec.nodeName=' }).items.map((p) => p.metadata.name)).toEqual(['z']);
    expect(store.list('namespaces', undefined).items.map((n) => n.metadata.name)).toEqual(['aa', 'default', 'kube-node-lease', 'kube-public', 'kube-system', 'ns']);
    expect(err(() => store.list('pods', 'ns', { fieldSelector: 'spec.image=x' })).code).toBe(400);
  });

  it('allocates Service ClusterIPs in 127.2.0.0/16 and releases them', () => {
    fresh();
    const svc = store.create('services', 'ns', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { a: 'b' }, ports: [{ port: 80 }] } });
    const spec = svc.spec as { clusterIP: string; clusterIPs: string[]; ports: Array<{ targetPort: number; protocol: string }> };
    expect(spec.clusterIP).toMatch(/^127\.2\.\d+\.\d+$/);
    expect(spec.clusterIPs).toEqual([spec.clusterIP]);
    expect(spec.ports[0]).toMatchObject({ targetPort: 80, protocol: 'TCP' });
    const taken = err(() => store.create('services', 'ns', { apiVersion: 'v1', kind: 'Service', metadata: { name: 't' }, spec: { clusterIP: spec.clusterIP, ports: [{ port: 80 }] } }));
    expect(taken.message).toContain('provided IP is already allocated');
    // The IP cannot be changed by an update, and is free again after deletion.
    const updated = store.update('services', 'ns', { ...svc, spec: { ...spec, clusterIP: '127.2.9.9' } });
    expect((updated.spec as { clusterIP: string }).clusterIP).toBe(spec.clusterIP);
    store.delete('services', 'ns', 's');
    const again = store.create('services', 'ns', { apiVersion: 'v1', kind: 'Service', metadata: { name: 't' }, spec: { clusterIP: spec.clusterIP, ports: [{ port: 80 }] } });
    expect((again.spec as { clusterIP: string }).clusterIP).toBe(spec.clusterIP);
    const headless = store.create('services', 'ns', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'h' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
    expect((headless.spec as { clusterIP: string }).clusterIP).toBe('None');
  });
});

describe('store: deletion', () => {
  it('deletes at once without finalizers; with finalizers sets deletionTimestamp and removes on the last finalizer', () => {
    fresh();
    store.create('configmaps', 'ns', cm('plain'));
    expect(store.delete('configmaps', 'ns', 'plain')?.metadata.name).toBe('plain');
    expect(store.get('configmaps', 'ns', 'plain')).toBeUndefined();
    expect(store.delete('configmaps', 'ns', 'plain')).toBeUndefined();

    store.create('configmaps', 'ns', cm('fin', { finalizers: ['a/x', 'a/y'] }));
    const marked = store.delete('configmaps', 'ns', 'fin');
    expect(marked?.metadata.deletionTimestamp).toMatch(/Z$/);
    expect(marked?.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(store.get('configmaps', 'ns', 'fin')?.metadata.deletionTimestamp).toBe(marked?.metadata.deletionTimestamp);
    // No new finalizers on an object being deleted.
    expect(err(() => store.mutate('configmaps', 'ns', 'fin', (o) => o.metadata.finalizers?.push('a/z'))).message).toContain('no new finalizers can be added if the object is being deleted');
    store.mutate('configmaps', 'ns', 'fin', (o) => (o.metadata.finalizers = ['a/y']));
    expect(store.get('configmaps', 'ns', 'fin')).toBeDefined();
    store.patch('configmaps', 'ns', 'fin', { metadata: { finalizers: null } }, 'merge');
    expect(store.get('configmaps', 'ns', 'fin')).toBeUndefined();
  });

  it('deletes a scheduled pod gracefully (left to the kubelet) and an unscheduled pod at once', () => {
    fresh();
    store.create('pods', 'ns', pod('unscheduled'));
    store.delete('pods', 'ns', 'unscheduled');
    expect(store.get('pods', 'ns', 'unscheduled')).toBeUndefined();

    store.create('pods', 'ns', pod('running', {}, { nodeName: 'n1', terminationGracePeriodSeconds: 20 }));
    const t0 = clock.nowMs();
    const marked = store.delete('pods', 'ns', 'running');
    expect(marked?.metadata.deletionGracePeriodSeconds).toBe(20);
    const deadline = Date.parse(marked?.metadata.deletionTimestamp as string);
    expect(deadline).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000 + 19_000);
    expect(deadline).toBeLessThanOrEqual(t0 + 21_000);
    expect(store.get('pods', 'ns', 'running')).toBeDefined();
    // A longer grace period on a second delete changes nothing; the kubelet's zero-grace delete removes it.
    expect(store.delete('pods', 'ns', 'running', { gracePeriodSeconds: 60 })?.metadata.deletionGracePeriodSeconds).toBe(20);
    store.delete('pods', 'ns', 'running', { gracePeriodSeconds: 0 });
    expect(store.get('pods', 'ns', 'running')).toBeUndefined();

    store.create('pods', 'ns', pod('done', {}, { nodeName: 'n1' }));
    store.mutate('pods', 'ns', 'done', (o) => (o.status = { phase: 'Succeeded' }));
    store.delete('pods', 'ns', 'done');
    expect(store.get('pods', 'ns', 'done')).toBeUndefined();
  });

  it('checks uid and resourceVersion preconditions with 409', () => {
    fresh();
    const a = store.create('configmaps', 'ns', cm('a'));
    expect(err(() => store.delete('configmaps', 'ns', 'a', { preconditions: { uid: 'other' } } as never)).message).toBe(
      `Operation cannot be fulfilled on configmaps "a": Precondition failed: UID in precondition: other, UID in object meta: ${a.metadata.uid}`,
    );
    expect(err(() => store.delete('configmaps', 'ns', 'a', { preconditions: { resourceVersion: '1' } } as never)).code).toBe(409);
    expect(store.delete('configmaps', 'ns', 'a', { preconditions: { uid: a.metadata.uid } } as never)).toBeDefined();
  });

  it('terminates a namespace: Terminating, content deleted, then gone; protected namespaces refuse', async () => {
    fresh();
    store.create('configmaps', 'ns', cm('a'));
    store.create('configmaps', 'ns', cm('held', { finalizers: ['x/y'] }));
    const ns = store.delete('namespaces', undefined, 'ns');
    expect((ns?.status as { phase: string }).phase).toBe('Terminating');
    expect(err(() => store.create('configmaps', 'ns', cm('late'))).message).toBe('configmaps "late" is forbidden: unable to create new content in namespace ns because it is being terminated');
    await tick();
    expect(store.get('configmaps', 'ns', 'a')).toBeUndefined();
    expect(store.get('namespaces', undefined, 'ns')).toBeDefined(); // waits for the finalizer
    store.mutate('configmaps', 'ns', 'held', (o) => delete o.metadata.finalizers);
    await tick();
    expect(store.get('namespaces', undefined, 'ns')).toBeUndefined();
    expect(err(() => store.delete('namespaces', undefined, 'default'))).toMatchObject({ code: 403, message: 'namespaces "default" is forbidden: this namespace may not be deleted' });
  });
});

describe('store: garbage collection', () => {
  function owner(name: string, meta: Partial<KObject['metadata']> = {}): KObject {
    return store.create('configmaps', 'ns', cm(name, meta));
  }
  function dependent(name: string, owners: KObject[]): KObject {
    return store.create('configmaps', 'ns', cm(name, { ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name as string, uid: o.metadata.uid as string })) }));
  }

  it('Background: dependents go after the owner, recursively; a dependent with another owner only loses the reference', async () => {
    fresh();
    const a = owner('a');
    const b = owner('b');
    const child = dependent('child', [a]);
    dependent('grandchild', [child]);
    dependent('shared', [a, b]);
    store.delete('configmaps', 'ns', 'a');
    expect(store.get('configmaps', 'ns', 'child')).toBeDefined(); // after the request, as the collector works
    await tick();
    expect(store.get('configmaps', 'ns', 'child')).toBeUndefined();
    expect(store.get('configmaps', 'ns', 'grandchild')).toBeUndefined();
    expect(store.get('configmaps', 'ns', 'shared')?.metadata.ownerReferences?.map((r) => r.name)).toEqual(['b']);
  });

  it('Foreground: the owner waits with foregroundDeletion until its dependents are gone', async () => {
    fresh();
    const a = owner('a');
    dependent('slow', [a]);
    store.mutate('configmaps', 'ns', 'slow', (o) => (o.metadata.finalizers = ['test/hold']));
    const marked = store.delete('configmaps', 'ns', 'a', { propagationPolicy: 'Foreground' });
    expect(marked?.metadata.finalizers).toEqual(['foregroundDeletion']);
    await tick();
    expect(store.get('configmaps', 'ns', 'slow')?.metadata.deletionTimestamp).toBeDefined();
    expect(store.get('configmaps', 'ns', 'a')).toBeDefined();
    store.mutate('configmaps', 'ns', 'slow', (o) => delete o.metadata.finalizers);
    await tick();
    expect(store.get('configmaps', 'ns', 'a')).toBeUndefined();
  });

  it('Orphan: dependents stay without the reference', async () => {
    fresh();
    const a = owner('a');
    dependent('kept', [a]);
    store.delete('configmaps', 'ns', 'a', { propagationPolicy: 'Orphan' });
    await tick();
    expect(store.get('configmaps', 'ns', 'a')).toBeUndefined();
    expect(store.get('configmaps', 'ns', 'kept')?.metadata.ownerReferences).toBeUndefined();
  });

  it('collects an object created with a reference to an owner that does not exist; leaves unknown kinds alone', async () => {
    fresh();
    store.create('configmaps', 'ns', cm('dangling', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'gone', uid: 'no-such-uid' }] }));
    store.create('configmaps', 'ns', cm('foreign', { ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w-uid' }] }));
    await tick();
    expect(store.get('configmaps', 'ns', 'dangling')).toBeUndefined();
    expect(store.get('configmaps', 'ns', 'foreign')).toBeDefined();
  });
});
