import { afterEach, describe, expect, it } from 'vitest';
import { StoreError, type KObject, type WatchEvent } from '../../store-types.ts';
import { clock, closeStore, cm, err, fresh, pod, store } from './store-helpers.ts';

afterEach(closeStore);

describe('store: watch', () => {
  it('starts with ADDED for current objects, then delivers changes in order', () => {
    fresh();
    store.create('configmaps', 'ns', cm('a'));
    const seen: string[] = [];
    const stop = store.watch('configmaps', 'ns', {}, (e) => seen.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`));
    const b = store.create('configmaps', 'ns', cm('b'));
    store.patch('configmaps', 'ns', 'b', { data: { x: '1' } }, 'merge');
    store.delete('configmaps', 'ns', 'a');
    stop();
    store.create('configmaps', 'ns', cm('c'));
    const rv = Number(b.metadata.resourceVersion);
    expect(seen).toEqual([`ADDED a ${rv - 1}`, `ADDED b ${rv}`, `MODIFIED b ${rv + 1}`, `DELETED a ${rv + 2}`]);
  });

  it('resumes from a resourceVersion with exactly the later events, and answers 410 past the history', () => {
    fresh(5);
    const a = store.create('configmaps', 'ns', cm('a'));
    for (let i = 0; i < 3; i++) store.patch('configmaps', 'ns', 'a', { data: { i: String(i) } }, 'merge');
    const seen: string[] = [];
    store.watch('configmaps', 'ns', { resourceVersion: a.metadata.resourceVersion }, (e) => seen.push(`${e.type} ${e.object.data && (e.object.data as { i: string }).i}`));
    expect(seen).toEqual(['MODIFIED 0', 'MODIFIED 1', 'MODIFIED 2']);
    for (let i = 3; i < 10; i++) store.patch('configmaps', 'ns', 'a', { data: { i: String(i) } }, 'merge');
    const gone = err(() => store.watch('configmaps', 'ns', { resourceVersion: a.metadata.resourceVersion }, () => {}));
    expect(gone.code).toBe(410);
    expect(gone.reason).toBe('Expired');
    expect(gone.message).toMatch(new RegExp(`^too old resource version: ${a.metadata.resourceVersion} \\(\\d+\\)$`));
    expect(err(() => store.watch('configmaps', 'ns', { resourceVersion: 'abc' }, () => {})).code).toBe(400);
  });

  it('turns MODIFIED into ADDED/DELETED when an object enters or leaves the selector', () => {
    fresh();
    store.create('pods', 'ns', pod('p'));
    const seen: string[] = [];
    store.watch('pods', undefined, { fieldSelector: 'spec.nodeName=node-1' }, (e) => seen.push(`${e.type} ${(e.object.spec as { nodeName?: string }).nodeName ?? '-'} ${e.object.metadata.resourceVersion}`));
    const bound = store.mutate('pods', 'ns', 'p', (o) => ((o.spec as Record<string, unknown>).nodeName = 'node-1'));
    store.mutate('pods', 'ns', 'p', (o) => (o.metadata.labels = { a: 'b' }));
    const moved = store.mutate('pods', 'ns', 'p', (o) => ((o.spec as Record<string, unknown>).nodeName = 'node-2'));
    const rv = Number(bound?.metadata.resourceVersion);
    // The DELETED event carries the previous content with the new resourceVersion, as the watch cache does.
    expect(seen).toEqual([`ADDED node-1 ${rv}`, `MODIFIED node-1 ${rv + 1}`, `DELETED node-1 ${moved?.metadata.resourceVersion}`]);
  });

  it('keeps global order for every watcher when a watcher writes from its callback', () => {
    fresh();
    const first: string[] = [];
    const second: string[] = [];
    store.watch('configmaps', 'ns', {}, (e) => {
      first.push(`${e.type} ${e.object.metadata.name}`);
      if (e.type === 'ADDED' && e.object.metadata.name === 'a') store.create('configmaps', 'ns', cm('from-callback'));
    });
    store.watch('configmaps', 'ns', {}, (e) => second.push(`${e.type} ${e.object.metadata.name}`));
    store.create('configmaps', 'ns', cm('a'));
    expect(first).toEqual(['ADDED a', 'ADDED from-callback']);
    expect(second).toEqual(['ADDED a', 'ADDED from-callback']);
  });

  it('sends BOOKMARK events with the current resourceVersion every cluster minute when asked', async () => {
    fresh(undefined, 0.0005); // a cluster minute is 30 ms
    const bookmarks: WatchEvent[] = [];
    const stop = store.watch('pods', undefined, { allowWatchBookmarks: true }, (e) => e.type === 'BOOKMARK' && bookmarks.push(e));
    await new Promise((r) => setTimeout(r, 100));
    stop();
    expect(bookmarks.length).toBeGreaterThanOrEqual(1);
    expect(bookmarks[0]?.object).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: store.resourceVersion() } });
    const n = bookmarks.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(bookmarks.length).toBe(n); // unsubscribed: no more
  });
});
