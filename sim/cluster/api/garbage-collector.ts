import type { KObject } from '../store-types.ts';
import { resourceForKind, type ResourceInfo } from './resources.ts';
import type { StoreCore } from './store-core.ts';

/**
 * The garbage collector of kube-controller-manager, over ownerReferences:
 * - when an owner is removed, each dependent that has no other existing owner is deleted
 *   (Background) and a dependent with other owners loses the reference;
 * - a dependent created (or updated) with a reference to an owner that does not exist is handled
 *   the same way (owners of kinds the simulator does not serve are left alone);
 * - an owner deleted with Foreground propagation keeps finalizer `foregroundDeletion` until its
 *   dependents are gone;
 * - Orphan propagation strips the reference from the dependents before the owner goes.
 * Like the real collector it works after the request that caused it: in a microtask.
 */

type OwnerRef = NonNullable<KObject['metadata']['ownerReferences']>[number];

interface Work {
  kind: 'owner-gone' | 'check-owners' | 'foreground';
  resource: string;
  namespace: string | undefined;
  name: string;
  uid: string;
}

/** What the garbage collector uses of its store (`SimStore` in store.ts). */
export interface GcStore {
  readonly core: StoreCore;
  replace(info: ResourceInfo, existing: KObject, candidate: KObject): KObject;
  delete(resource: string, namespace: string | undefined, name: string, options: { propagationPolicy: 'Background' }): KObject | undefined;
}

/** One store's garbage collector. */
export class GarbageCollector {
  private readonly queue: Work[] = [];
  private scheduled = false;

  constructor(private readonly store: GcStore) {
    store.core.onRemoved((info, removed) => {
      const m = removed.metadata;
      this.enqueue({ kind: 'owner-gone', resource: info.plural, namespace: m.namespace, name: m.name as string, uid: m.uid as string });
      // A removed dependent may be what a foreground-deleting owner waits for.
      for (const ref of m.ownerReferences ?? []) {
        const owner = store.core.peekUid(ref.uid);
        if (owner?.object.metadata.finalizers?.includes('foregroundDeletion')) this.checkForeground(store.core.info(owner.ref.resource), owner.object);
      }
    });
  }

  private enqueue(work: Work): void {
    this.queue.push(work);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.run());
  }

  private run(): void {
    try {
      for (let w = this.queue.shift(); w; w = this.queue.shift()) {
        try {
          this.process(w);
        } catch {
          // The object changed or went meanwhile, or a delete was refused: nothing left to collect.
        }
      }
    } finally {
      this.scheduled = false;
    }
  }

  /** Queues a check of `o`'s owner references (after a create or an update that changed them). */
  checkOwners(info: ResourceInfo, o: KObject): void {
    if (!o.metadata.ownerReferences?.length) return;
    this.enqueue({ kind: 'check-owners', resource: info.plural, namespace: o.metadata.namespace, name: o.metadata.name as string, uid: o.metadata.uid as string });
  }

  /** Queues the foreground step of an owner being deleted with `foregroundDeletion`. */
  checkForeground(info: ResourceInfo, owner: KObject): void {
    this.enqueue({ kind: 'foreground', resource: info.plural, namespace: owner.metadata.namespace, name: owner.metadata.name as string, uid: owner.metadata.uid as string });
  }

  /** The stored objects that reference `owner` (by uid), in the owner's namespace or anywhere for a cluster-scoped owner. */
  dependents(owner: KObject): Array<{ info: ResourceInfo; object: KObject }> {
    const uid = owner.metadata.uid;
    const out: Array<{ info: ResourceInfo; object: KObject }> = [];
    if (!uid) return out;
    for (const { resource, object } of this.store.core.all()) {
      if (owner.metadata.namespace !== undefined && object.metadata.namespace !== owner.metadata.namespace) continue;
      if (object.metadata.ownerReferences?.some((r) => r.uid === uid)) out.push({ info: this.store.core.info(resource), object });
    }
    return out;
  }

  /** Whether anything references `owner`. */
  hasDependents(owner: KObject): boolean {
    return this.dependents(owner).length > 0;
  }

  /** Removes the references to `owner` from its dependents, now (Orphan propagation). */
  orphanDependents(owner: KObject): void {
    for (const { info, object } of this.dependents(owner)) this.dropRefs(info, object, [owner.metadata.uid as string]);
  }

  /** Whether the owner a reference names exists (same uid, same namespace or cluster-scoped). */
  private ownerExists(ref: OwnerRef, namespace: string | undefined): boolean | undefined {
    const found = this.store.core.peekUid(ref.uid);
    if (found) return found.ref.namespace === undefined || found.ref.namespace === namespace;
    return resourceForKind(ref.apiVersion, ref.kind) ? false : undefined; // undefined: not a served kind, unknowable
  }

  private dropRefs(info: ResourceInfo, o: KObject, uids: string[]): void {
    const current = this.store.core.peek(info.plural, o.metadata.namespace, o.metadata.name as string);
    if (!current) return;
    const next = structuredClone(current);
    next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => !uids.includes(r.uid));
    this.store.replace(info, current, next);
  }

  /** Deletes `o` when none of its owners exists any more, or drops the references to the missing ones. */
  private collect(info: ResourceInfo, o: KObject): void {
    const refs = o.metadata.ownerReferences ?? [];
    const missing = refs.filter((r) => this.ownerExists(r, o.metadata.namespace) === false).map((r) => r.uid);
    if (missing.length === 0) return;
    if (missing.length === refs.length) {
      if (!o.metadata.deletionTimestamp) this.store.delete(info.plural, o.metadata.namespace, o.metadata.name as string, { propagationPolicy: 'Background' });
    } else {
      this.dropRefs(info, o, missing);
    }
  }

  private process(w: Work): void {
    const core = this.store.core;
    if (w.kind === 'owner-gone') {
      const ghost = { apiVersion: '', kind: '', metadata: { uid: w.uid, namespace: core.info(w.resource).namespaced ? w.namespace : undefined } } as KObject;
      for (const { info, object } of this.dependents(ghost)) this.collect(info, object);
      return;
    }
    const o = core.peek(w.resource, w.namespace, w.name);
    if (!o || o.metadata.uid !== w.uid) return;
    const info = core.info(w.resource);
    if (w.kind === 'check-owners') {
      this.collect(info, o);
      return;
    }
    // Foreground: delete the dependents; drop the finalizer once none is left.
    if (!o.metadata.finalizers?.includes('foregroundDeletion')) return;
    const deps = this.dependents(o);
    for (const d of deps) {
      if (!d.object.metadata.deletionTimestamp) this.store.delete(d.info.plural, d.object.metadata.namespace, d.object.metadata.name as string, { propagationPolicy: 'Background' });
    }
    if (this.dependents(o).length === 0) {
      const next = structuredClone(o);
      next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== 'foregroundDeletion');
      this.store.replace(info, o, next);
    }
  }
}
