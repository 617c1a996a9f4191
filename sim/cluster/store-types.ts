/**
 * The contract between the simulated API server (`api/`) and the simulated cluster behaviour
 * (`behaviour/`): an in-process object store with Kubernetes semantics. The HTTP layer is a thin
 * translation of REST and watch requests into these calls; controllers, the scheduler and the
 * kubelet call them directly. Objects are plain JSON as the Kubernetes API serialises them.
 */

/** `metadata` as the API serialises it (only the fields the simulator uses are typed). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
  [key: string]: unknown;
}

/** Any Kubernetes object. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/**
 * A resource type the store serves, by its plural REST name: `pods`, `replicasets`,
 * `deployments`, `configmaps`, `events`, `services`, `secrets`, `endpoints`, `namespaces`,
 * `nodes`, `inferenceserverconfigs`, `launcherconfigs`, `launcherpopulationpolicies`.
 */
export type ResourceName = string;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  type: WatchEventType;
  object: KObject;
}

export interface ListOptions {
  /** Equality- and set-based label selector as in `?labelSelector=` (`a=b,c!=d,e in (f,g),!h`). */
  labelSelector?: string;
  /** Field selector: `metadata.name=`, `metadata.namespace=`, `spec.nodeName=`, `status.phase=` (with `=`, `==`, `!=`). */
  fieldSelector?: string;
}

export interface WatchOptions extends ListOptions {
  /**
   * Start after this resourceVersion (events newer than it are replayed first). Absent or "0":
   * start with synthetic ADDED events for every current object, as the API server does. Older
   * than the retained history: the store throws a `StoreError` with code 410 (`Expired`).
   */
  resourceVersion?: string;
  /** Send BOOKMARK events. */
  allowWatchBookmarks?: boolean;
}

/** An API error as Kubernetes reports it (`Status` object). */
export class StoreError extends Error {
  readonly code: number;
  /** `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Expired`, `Forbidden`, `BadRequest`, `MethodNotAllowed`. */
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
    this.reason = reason;
  }
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

/**
 * The object store. Every mutation bumps one global resourceVersion counter, stamps it on the
 * object and delivers a watch event to the matching watchers, synchronously and in order.
 * `namespace` is `undefined` for cluster-scoped resources and for all-namespace lists/watches.
 */
export interface Store {
  get(resource: ResourceName, namespace: string | undefined, name: string): KObject | undefined;
  list(resource: ResourceName, namespace: string | undefined, options?: ListOptions): { items: KObject[]; resourceVersion: string };
  /** Fills uid, generateName suffix, creationTimestamp (cluster time), resourceVersion, generation. 409 AlreadyExists; 404 when the namespace does not exist. */
  create(resource: ResourceName, namespace: string | undefined, object: KObject): KObject;
  /** Replaces the object; 409 Conflict when `metadata.resourceVersion` is set and stale. */
  update(resource: ResourceName, namespace: string | undefined, object: KObject): KObject;
  /** JSON merge patch, strategic merge patch (as merge, with `$patch`-free list replacement) or JSON patch. */
  patch(resource: ResourceName, namespace: string | undefined, name: string, patch: unknown, type: PatchType): KObject;
  /** In-process read-modify-write for controllers (never conflicts); returns undefined when gone. */
  mutate(resource: ResourceName, namespace: string | undefined, name: string, fn: (object: KObject) => void): KObject | undefined;
  /**
   * Deletes: with finalizers, sets `deletionTimestamp` and emits MODIFIED; the object goes (with
   * DELETED) when the last finalizer is removed. Pods with a grace period are left to the kubelet.
   * Returns the object as last stored, undefined if it did not exist (the HTTP layer answers 404).
   */
  delete(resource: ResourceName, namespace: string | undefined, name: string, options?: { gracePeriodSeconds?: number; propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' }): KObject | undefined;
  /** Subscribes; returns the unsubscribe function. Throws StoreError 410 when `resourceVersion` is too old. */
  watch(resource: ResourceName, namespace: string | undefined, options: WatchOptions, onEvent: (event: WatchEvent) => void): () => void;
  /** The current global resourceVersion. */
  resourceVersion(): string;
}
