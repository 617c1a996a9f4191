import type { ClusterClock } from '../clock.ts';
import type { KObject } from '../store-types.ts';
import { ClusterIpAllocator } from './cluster-ip.ts';
import { unknownResource } from './errors.ts';
import { resourceInfo, type ResourceInfo } from './resources.ts';
import { WatchHub } from './watch-hub.ts';

/**
 * The store's state and its one write path: every committed change bumps the global
 * resourceVersion, replaces the stored object (stored objects are never mutated in place, so the
 * watch history can share them) and is published to the watch hub. Higher layers (`store.ts`,
 * `deletion.ts`, `garbage-collector.ts`) implement Kubernetes semantics on top.
 */

/** Where an object lives. */
export interface ObjectRef {
  resource: string;
  namespace: string | undefined;
  name: string;
}

/** Called after an object left the store (for the garbage collector and namespace termination). */
export type RemovalListener = (info: ResourceInfo, removed: KObject) => void;

/** State shared by the store's modules. */
export class StoreCore {
  private readonly data = new Map<string, Map<string, KObject>>();
  private readonly byUid = new Map<string, ObjectRef>();
  private rv = 0;
  readonly hub: WatchHub;
  readonly ips = new ClusterIpAllocator();
  private readonly removalListeners: RemovalListener[] = [];

  constructor(
    readonly clock: ClusterClock,
    historyLimit: number,
  ) {
    this.hub = new WatchHub(clock, historyLimit, () => this.rv);
  }

  /** The current global resourceVersion. */
  currentRv(): number {
    return this.rv;
  }

  /** The descriptor of `resource`; throws a 404 StoreError for one the simulator does not serve. */
  info(resource: string): ResourceInfo {
    const info = resourceInfo(resource);
    if (!info) throw unknownResource(resource);
    return info;
  }

  private table(resource: string): Map<string, KObject> {
    let t = this.data.get(resource);
    if (!t) {
      t = new Map();
      this.data.set(resource, t);
    }
    return t;
  }

  private static key(namespace: string | undefined, name: string): string {
    return namespace === undefined ? name : `${namespace}/${name}`;
  }

  /** The stored object itself (callers must not modify it), or undefined. */
  peek(resource: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.data.get(resource)?.get(StoreCore.key(namespace, name));
  }

  /** The stored object of a uid, or undefined. */
  peekUid(uid: string): { ref: ObjectRef; object: KObject } | undefined {
    const ref = this.byUid.get(uid);
    if (!ref) return undefined;
    const object = this.peek(ref.resource, ref.namespace, ref.name);
    return object ? { ref, object } : undefined;
  }

  /** Stored objects of `resource`, optionally of one namespace, sorted by namespace and name. */
  scan(resource: string, namespace?: string): KObject[] {
    const t = this.data.get(resource);
    if (!t) return [];
    const keys = [...t.keys()].sort();
    const out: KObject[] = [];
    for (const k of keys) {
      const o = t.get(k) as KObject;
      if (namespace === undefined || o.metadata.namespace === namespace) out.push(o);
    }
    return out;
  }

  /** Every stored object of every resource. */
  *all(): Generator<{ resource: string; object: KObject }> {
    for (const [resource, t] of this.data) for (const object of t.values()) yield { resource, object };
  }

  /** Stores `object` (already validated, owned by the store from now on) and publishes the change. */
  commit(info: ResourceInfo, type: 'ADDED' | 'MODIFIED', object: KObject, prev?: KObject): KObject {
    this.rv++;
    object.metadata.resourceVersion = String(this.rv);
    const ns = info.namespaced ? object.metadata.namespace : undefined;
    const name = object.metadata.name as string;
    this.table(info.plural).set(StoreCore.key(ns, name), object);
    if (object.metadata.uid) this.byUid.set(object.metadata.uid, { resource: info.plural, namespace: ns, name });
    this.hub.publish({ rv: this.rv, resource: info.plural, namespace: ns, type, object, ...(prev ? { prev } : {}) });
    return object;
  }

  /** Removes an object for good (DELETED) and tells the removal listeners. */
  remove(info: ResourceInfo, last: KObject): KObject {
    const ns = info.namespaced ? last.metadata.namespace : undefined;
    const name = last.metadata.name as string;
    const t = this.table(info.plural);
    if (!t.delete(StoreCore.key(ns, name))) return last;
    this.rv++;
    const gone = structuredClone(last);
    gone.metadata.resourceVersion = String(this.rv);
    if (gone.metadata.uid) this.byUid.delete(gone.metadata.uid);
    if (info.plural === 'services') {
      for (const ip of ((gone.spec as { clusterIPs?: string[] } | undefined)?.clusterIPs ?? [])) this.ips.release(ip);
    }
    this.hub.publish({ rv: this.rv, resource: info.plural, namespace: ns, type: 'DELETED', object: gone });
    for (const l of this.removalListeners) l(info, gone);
    return gone;
  }

  /** Registers a listener called after every removal. */
  onRemoved(listener: RemovalListener): void {
    this.removalListeners.push(listener);
  }
}
