import type { ClusterClock } from '../clock.ts';
import type { KObject } from '../store-types.ts';
import { conflict, forbidden } from './errors.ts';
import { resourceInfo, RESOURCES, type ResourceInfo } from './resources.ts';
import type { GarbageCollector } from './garbage-collector.ts';
import type { StoreCore } from './store-core.ts';

/**
 * Deletion as the API server performs it:
 * - an object without finalizers goes at once (DELETED);
 * - with finalizers it gets `deletionTimestamp` (MODIFIED) and goes when the last one is removed;
 * - a scheduled, running pod is deleted gracefully: `deletionTimestamp` = now + grace period and
 *   the kubelet removes it with a second, zero-grace delete (an unscheduled or finished pod goes
 *   at once); a shorter grace period on a second delete shortens the wait;
 * - `propagationPolicy`: Background (default; dependents go after the owner, through the garbage
 *   collector), Foreground (the owner waits, with finalizer `foregroundDeletion`, until its
 *   dependents are gone), Orphan (dependents lose their ownerReference and stay);
 * - a namespace turns `Terminating`, its content is deleted, and it goes when empty.
 */

/** What deletion uses of its store (`SimStore` in store.ts). */
export interface DeletionStore {
  readonly clock: ClusterClock;
  readonly core: StoreCore;
  readonly gc: GarbageCollector;
}

/** DeleteOptions the store takes (the HTTP body's and query's fields). */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  /** Delete only if the object still has this uid / resourceVersion (409 otherwise). */
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Namespaces that may not be deleted. */
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

function podGracePeriod(pod: KObject, requested: number | undefined): number {
  const spec = (pod.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const grace = requested ?? spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, Math.floor(grace));
}

function deadline(store: DeletionStore, graceSeconds: number): string {
  return store.clock.kubeTimestamp(store.clock.nowMs() + graceSeconds * 1000);
}

/** Deletes one object; returns it as last stored (possibly still present), undefined when absent. */
export function deleteObject(store: DeletionStore, info: ResourceInfo, namespace: string | undefined, name: string, options: DeleteOptions): KObject | undefined {
  const existing = store.core.peek(info.plural, namespace, name);
  if (!existing) return undefined;
  const pre = options.preconditions;
  if (pre?.uid && pre.uid !== existing.metadata.uid) {
    throw conflict(info, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`);
  }
  if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
    throw conflict(info, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`);
  }
  if (info.plural === 'namespaces') return deleteNamespace(store, info, existing);
  // batch/v1 Jobs default to orphaning their pods (the API's DefaultGarbageCollectionPolicy for
  // Jobs, kept for compatibility; kubectl sends Background), everything else to Background.
  const policy = options.propagationPolicy ?? (info.plural === 'jobs' ? 'Orphan' : 'Background');
  const grace = info.plural === 'pods' ? podGracePeriod(existing, options.gracePeriodSeconds) : 0;

  if (existing.metadata.deletionTimestamp) {
    // Already being deleted: only a shorter grace period for a pod changes anything.
    if (info.plural !== 'pods' || grace >= (existing.metadata.deletionGracePeriodSeconds ?? 0)) return structuredClone(existing);
    const next = structuredClone(existing);
    next.metadata.deletionGracePeriodSeconds = grace;
    next.metadata.deletionTimestamp = deadline(store, grace);
    if (grace === 0 && !next.metadata.finalizers?.length) return structuredClone(store.core.remove(info, next));
    return structuredClone(store.core.commit(info, 'MODIFIED', next, existing));
  }

  if (policy === 'Orphan') store.gc.orphanDependents(existing);
  const finalizers = [...(existing.metadata.finalizers ?? [])];
  const foreground = policy === 'Foreground' && store.gc.hasDependents(existing);
  if (foreground && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
  if (finalizers.length === 0 && grace === 0) return structuredClone(store.core.remove(info, existing));

  const next = structuredClone(existing);
  next.metadata.deletionTimestamp = deadline(store, grace);
  next.metadata.deletionGracePeriodSeconds = grace;
  next.metadata.finalizers = finalizers;
  if (next.metadata.generation !== undefined) next.metadata.generation += 1;
  store.core.commit(info, 'MODIFIED', next, existing);
  if (foreground) store.gc.checkForeground(info, next);
  return structuredClone(next);
}

function deleteNamespace(store: DeletionStore, info: ResourceInfo, ns: KObject): KObject {
  const name = ns.metadata.name as string;
  if (PROTECTED_NAMESPACES.has(name)) throw forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
  if (ns.metadata.deletionTimestamp) return structuredClone(ns);
  const next = structuredClone(ns);
  next.metadata.deletionTimestamp = store.clock.kubeTimestamp();
  next.metadata.deletionGracePeriodSeconds = 0;
  next.status = { ...(next.status as object), phase: 'Terminating' };
  store.core.commit(info, 'MODIFIED', next, ns);
  // The namespace controller empties it after the request returns, as in a cluster.
  queueMicrotask(() => emptyNamespace(store, name));
  return structuredClone(next);
}

function emptyNamespace(store: DeletionStore, namespace: string): void {
  for (const info of RESOURCES.values()) {
    if (!info.namespaced) continue;
    for (const o of store.core.scan(info.plural, namespace)) {
      if (o.metadata.deletionTimestamp) continue;
      try {
        deleteObject(store, info, namespace, o.metadata.name as string, {});
      } catch {
        // Left in place; the namespace stays Terminating, as with a stuck finalizer in a cluster.
      }
    }
  }
  finishNamespace(store, namespace);
}

/** Removes a Terminating namespace once nothing is left in it. */
export function finishNamespace(store: DeletionStore, namespace: string): void {
  const ns = store.core.peek('namespaces', undefined, namespace);
  if (!ns?.metadata.deletionTimestamp) return;
  for (const info of RESOURCES.values()) if (info.namespaced && store.core.scan(info.plural, namespace).length) return;
  store.core.remove(resourceInfo('namespaces') as ResourceInfo, ns);
}
