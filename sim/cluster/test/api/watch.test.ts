/*
 * Watch streams through the REAL client's `Watch` and informer: resume from a resourceVersion after
 * the server drops every stream (no event lost, none repeated), 410 Expired sent in-stream,
 * selectors, bookmarks, timeoutSeconds, and shutdown ending the streams.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeInformer, Watch, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import type { WatchEvent } from '../../store-types.ts';
import { eventually, startPlane, type Plane } from './harness.ts';

const NS = 'bench';
let plane: Plane | undefined;

afterEach(async () => {
  await plane?.close();
  plane = undefined;
});

interface Seen {
  type: string;
  name: string;
  rv: string;
}

/** Starts a client watch on pods of NS; records events; resolves `done` with the error it ended with. */
async function watchPods(p: Plane, query: Record<string, string | number | boolean | undefined>, path = `/api/v1/namespaces/${NS}/pods`): Promise<{ seen: Seen[]; raw: Array<{ type: string; object: Record<string, unknown> }>; done: Promise<unknown>; abort: () => void }> {
  const seen: Seen[] = [];
  const raw: Array<{ type: string; object: Record<string, unknown> }> = [];
  let finish!: (err: unknown) => void;
  const done = new Promise<unknown>((r) => (finish = r));
  const controller = await new Watch(p.kc).watch(
    path,
    query,
    (type: string, object: KubernetesObject & Record<string, unknown>) => {
      raw.push({ type, object });
      seen.push({ type, name: object.metadata?.name ?? '', rv: object.metadata?.resourceVersion ?? '' });
    },
    (err: unknown) => finish(err ?? null),
  );
  return { seen, raw, done, abort: () => controller.abort() };
}

function pod(name: string, labels: Record<string, string> = {}): V1Pod {
  return { metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'img:1' }] } };
}

describe('watch over HTTP with the real client', () => {
  it('resumes from the last resourceVersion after /sim/drop-watches without losing or repeating events', async () => {
    plane = await startPlane({ controllers: false });
    const p = plane;
    await p.core.createNamespacedPod({ namespace: NS, body: pod('before') });
    const list = await p.core.listNamespacedPod({ namespace: NS });
    const startRv = list.metadata?.resourceVersion as string;
    // Ground truth: the store's own in-process watch from the same resourceVersion.
    const truth: Seen[] = [];
    p.store.watch('pods', NS, { resourceVersion: startRv }, (e: WatchEvent) => truth.push({ type: e.type, name: e.object.metadata.name as string, rv: e.object.metadata.resourceVersion as string }));

    const first = await watchPods(p, { resourceVersion: startRv, allowWatchBookmarks: true });
    await p.core.createNamespacedPod({ namespace: NS, body: pod('a') });
    await p.core.createNamespacedPod({ namespace: NS, body: pod('b') });
    await eventually(() => first.seen.length === 2, 5000, 'two events on the first stream');

    const dropped = await fetch(`${p.server.url}/sim/drop-watches`, { method: 'POST' }).then((r) => r.json());
    expect(dropped).toEqual({ dropped: 1 });
    await first.done; // the client notices the dropped connection
    // Changes while no watch is open.
    await p.core.patchNamespacedPod({ namespace: NS, name: 'a', body: [{ op: 'add', path: '/metadata/labels', value: { x: '1' } }] });
    await p.core.deleteNamespacedPod({ namespace: NS, name: 'b' });
    await p.core.createNamespacedPod({ namespace: NS, body: pod('c') });

    const lastRv = first.seen[first.seen.length - 1]?.rv as string;
    const second = await watchPods(p, { resourceVersion: lastRv });
    await p.core.deleteNamespacedPod({ namespace: NS, name: 'before' });
    await eventually(() => second.seen.length === 4, 5000, 'four events on the resumed stream');
    second.abort();

    const combined = [...first.seen, ...second.seen];
    expect(combined.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED a', 'DELETED b', 'ADDED c', 'DELETED before']);
    expect(combined).toEqual(truth);
    const rvs = combined.map((e) => Number(e.rv));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs); // in resourceVersion order
    expect(new Set(rvs).size).toBe(rvs.length);
  });

  it('sends 410 Expired as an in-stream ERROR event with a Status, then ends the stream', async () => {
    plane = await startPlane({ controllers: false, store: { historyLimit: 10 } });
    const p = plane;
    const first = await p.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'c' } } });
    for (let i = 0; i < 12; i++) await p.core.patchNamespacedConfigMap({ namespace: NS, name: 'c', body: [{ op: 'add', path: '/data', value: { i: String(i) } }] });
    const w = await watchPods(p, { resourceVersion: first.metadata?.resourceVersion }, `/api/v1/namespaces/${NS}/configmaps`);
    expect(await w.done).toBeNull();
    expect(w.raw).toHaveLength(1);
    expect(w.raw[0]?.type).toBe('ERROR');
    expect(w.raw[0]?.object).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
    expect(String(w.raw[0]?.object.message)).toMatch(new RegExp(`^too old resource version: ${first.metadata?.resourceVersion} \\(\\d+\\)$`));
  });

  it('lets an informer catch up after dropped streams and after a 410, through relist', async () => {
    plane = await startPlane({ controllers: false, store: { historyLimit: 30 } });
    const p = plane;
    let lists = 0;
    const informer = makeInformer(p.kc, `/api/v1/namespaces/${NS}/pods`, () => {
      lists++;
      return p.core.listNamespacedPod({ namespace: NS });
    });
    const errors: unknown[] = [];
    let restart = true;
    informer.on('error', (err: unknown) => {
      errors.push(err);
      // Restart as a client should; the informer resumes from its last resourceVersion.
      if (restart) setTimeout(() => void informer.start(), 10);
    });
    await informer.start();
    expect(lists).toBe(1);
    await p.core.createNamespacedPod({ namespace: NS, body: pod('one') });
    await eventually(() => informer.list().length === 1, 5000, 'informer sees one pod');
    await fetch(`${p.server.url}/sim/drop-watches`, { method: 'POST' });
    await p.core.createNamespacedPod({ namespace: NS, body: pod('two') });
    await eventually(() => informer.list().map((o) => o.metadata?.name).sort().join() === 'one,two', 5000, 'informer resumed');
    expect(errors.length).toBe(1);
    expect(lists).toBe(1); // resumed from its resourceVersion, no relist

    // Push the informer's resourceVersion out of the history while it is disconnected: it gets a 410 and relists.
    restart = false;
    await fetch(`${p.server.url}/sim/drop-watches`, { method: 'POST' });
    await eventually(() => errors.length === 2, 5000, 'the informer noticed the drop');
    for (let i = 0; i < 40; i++) await p.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: `noise-${i}` } } });
    await p.core.deleteNamespacedPod({ namespace: NS, name: 'one' });
    await p.core.createNamespacedPod({ namespace: NS, body: pod('three') });
    await informer.start();
    await eventually(() => informer.list().map((o) => o.metadata?.name).sort().join() === 'three,two', 5000, 'informer relisted');
    expect(lists).toBe(2);
    await informer.stop();
  });

  it('filters by label selector, turning label changes into ADDED/DELETED, and watches one object by name', async () => {
    plane = await startPlane({ controllers: false });
    const p = plane;
    const sel = await watchPods(p, { labelSelector: 'tier=front' });
    const one = await watchPods(p, {}, `/api/v1/namespaces/${NS}/pods/solo`);
    await p.core.createNamespacedPod({ namespace: NS, body: pod('solo', { tier: 'back' }) });
    await p.core.createNamespacedPod({ namespace: NS, body: pod('other', { tier: 'front' }) });
    await p.core.patchNamespacedPod({ namespace: NS, name: 'solo', body: [{ op: 'replace', path: '/metadata/labels/tier', value: 'front' }] });
    await p.core.patchNamespacedPod({ namespace: NS, name: 'solo', body: [{ op: 'replace', path: '/metadata/labels/tier', value: 'back' }] });
    await eventually(() => sel.seen.length === 3 && one.seen.length === 3, 5000, 'filtered events');
    expect(sel.seen.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED other', 'ADDED solo', 'DELETED solo']);
    expect(one.seen.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED solo', 'MODIFIED solo', 'MODIFIED solo']);
    sel.abort();
    one.abort();
  });

  it('sends bookmarks when asked, ends the stream after timeoutSeconds, and ends streams on close()', async () => {
    plane = await startPlane({ controllers: false, timeScale: 0.001 }); // a cluster minute is 60 ms
    const p = plane;
    const marked = await watchPods(p, { allowWatchBookmarks: true });
    await eventually(() => marked.raw.some((e) => e.type === 'BOOKMARK'), 3000, 'a bookmark');
    const bookmark = marked.raw.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: p.store.resourceVersion() } });

    const started = Date.now();
    const timed = await watchPods(p, { timeoutSeconds: 1 });
    expect(await timed.done).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const open = await watchPods(p, {});
    await p.close();
    plane = undefined;
    await open.done;
    await marked.done;
  });
});
