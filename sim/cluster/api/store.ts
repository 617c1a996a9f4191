import { randomUUID } from 'node:crypto';
import type { ClusterClock } from '../clock.ts';
import { StoreError, type KObject, type ListOptions, type PatchType, type Store, type WatchEvent, type WatchOptions } from '../store-types.ts';
import { applyDefaults } from './defaults.ts';
import { deleteObject, finishNamespace, type DeleteOptions } from './deletion.ts';
import { alreadyExists, badRequest, conflict, forbidden, invalid, namespaceNotFound, notFound } from './errors.ts';
import { matchesFields, parseFieldSelector } from './field-selector.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { jsonEqual } from './json-patch.ts';
import { ALL_FEATURES, type ApiFeatures } from './kube-version.ts';
import { matchesLabels, parseLabelSelector } from './label-selector.ts';
import { generatedName, normalizeMeta, specChanged } from './object-meta.ts';
import { applyPatch } from './patch.ts';
import { apiVersionOf, qualifiedResource, type ResourceInfo } from './resources.ts';
import { StoreCore } from './store-core.ts';
import { validateCreate, validateUpdate } from './validation.ts';

/** Options of {@link createStore}. */
export interface StoreOptions {
  /** Changes retained for resuming watches (default 10,000); older resourceVersions get 410 Expired. */
  historyLimit?: number;
  /** Namespaces that exist from the start (default `default`, `kube-system`, `kube-public`, `kube-node-lease`). */
  namespaces?: string[];
  /** The API fields kept, by the version the cluster stands for (default: all). */
  features?: ApiFeatures;
}

/** The store as {@link createStore} returns it: the contract's `Store` plus lifecycle. */
export interface ClusterStore extends Store {
  /** The cluster clock the store stamps timestamps from. */
  readonly clock: ClusterClock;
  /** Ends every in-process watch (their callbacks get nothing more) and cancels bookmark timers. */
  close(): void;
}

/** Namespaces a fresh cluster has. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

class SimStore implements ClusterStore {
  readonly core: StoreCore;
  readonly gc: GarbageCollector;

  private readonly features: ApiFeatures;

  constructor(
    readonly clock: ClusterClock,
    options: StoreOptions,
  ) {
    this.features = options.features ?? ALL_FEATURES;
    const limit = options.historyLimit ?? 10_000;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`historyLimit must be a positive integer, got ${limit}`);
    this.core = new StoreCore(clock, limit);
    this.gc = new GarbageCollector(this);
    this.core.onRemoved((info, removed) => {
      const ns = removed.metadata.namespace;
      if (info.namespaced && ns && this.core.peek('namespaces', undefined, ns)?.metadata.deletionTimestamp) queueMicrotask(() => finishNamespace(this, ns));
    });
    for (const name of options.namespaces ?? SYSTEM_NAMESPACES) this.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  /** The namespace an operation addresses: none for cluster-scoped resources, required otherwise. */
  scope(info: ResourceInfo, namespace: string | undefined, fromObject?: string): string | undefined {
    if (!info.namespaced) return undefined;
    if (namespace !== undefined && fromObject !== undefined && fromObject !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const ns = namespace ?? fromObject;
    if (!ns) throw badRequest(`a namespace is required for ${info.plural}`);
    return ns;
  }

  private typeMeta(info: ResourceInfo, o: KObject): void {
    const apiVersion = apiVersionOf(info);
    if ((o.kind && o.kind !== info.kind) || (o.apiVersion && o.apiVersion !== apiVersion)) {
      throw badRequest(`the object (${o.apiVersion ?? '?'}, kind ${o.kind ?? '?'}) does not match the resource ${qualifiedResource(info)} (${apiVersion}, kind ${info.kind})`);
    }
    o.apiVersion = apiVersion;
    o.kind = info.kind;
  }

  get(resource: string, namespace: string | undefined, name: string): KObject | undefined {
    const info = this.core.info(resource);
    const o = this.core.peek(resource, this.scope(info, namespace), name);
    return o ? structuredClone(o) : undefined;
  }

  list(resource: string, namespace: string | undefined, options: ListOptions = {}): { items: KObject[]; resourceVersion: string } {
    const info = this.core.info(resource);
    const labels = parseLabelSelector(options.labelSelector ?? '');
    const fields = parseFieldSelector(options.fieldSelector ?? '', info);
    const items = this.core
      .scan(resource, info.namespaced ? namespace : undefined)
      .filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o))
      .map((o) => structuredClone(o));
    return { items, resourceVersion: this.resourceVersion() };
  }

  create(resource: string, namespace: string | undefined, object: KObject): KObject {
    const info = this.core.info(resource);
    if (!object || typeof object !== 'object' || !object.metadata || typeof object.metadata !== 'object') throw badRequest(`${info.kind}: metadata is required`);
    const o = structuredClone(object);
    this.typeMeta(info, o);
    const m = o.metadata;
    const ns = this.scope(info, namespace, m.namespace);
    if (ns === undefined) delete m.namespace;
    else m.namespace = ns;
    if (m.resourceVersion) throw new StoreError(500, 'InternalError', 'resourceVersion should not be set on objects to be created');
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) delete m[k];
    if (ns !== undefined) {
      const nsObj = this.core.peek('namespaces', undefined, ns);
      if (!nsObj) throw namespaceNotFound(ns);
      if (nsObj.metadata.deletionTimestamp) {
        throw forbidden(`${qualifiedResource(info)} "${m.name ?? m.generateName ?? ''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
      }
    }
    if (!m.name && m.generateName) {
      do m.name = generatedName(m.generateName);
      while (this.core.peek(resource, ns, m.name));
    }
    // The uid exists before defaulting, as with the API server's BeforeCreate (a Job's generated selector names it).
    m.uid = randomUUID();
    applyDefaults(resource, o, this.features);
    normalizeMeta(o);
    validateCreate(info, o);
    if (this.core.peek(resource, ns, m.name as string)) throw alreadyExists(info, m.name as string);
    if (resource === 'services') this.allocateClusterIp(info, o);
    m.creationTimestamp = this.clock.kubeTimestamp();
    m.generation = 1;
    this.core.commit(info, 'ADDED', o);
    this.gc.checkOwners(info, o);
    return structuredClone(o);
  }

  private allocateClusterIp(info: ResourceInfo, o: KObject): void {
    const spec = o.spec as { clusterIP?: string; clusterIPs?: string[] };
    if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
      return;
    }
    const got = this.core.ips.allocate(spec.clusterIP || spec.clusterIPs?.[0] || undefined);
    if (typeof got !== 'string') throw invalid(info, o.metadata.name as string, [got]);
    spec.clusterIP = got;
    spec.clusterIPs = [got];
  }

  update(resource: string, namespace: string | undefined, object: KObject): KObject {
    const info = this.core.info(resource);
    if (!object?.metadata?.name) throw badRequest(`${info.kind}: metadata.name is required for an update`);
    const ns = this.scope(info, namespace, object.metadata.namespace);
    const existing = this.core.peek(resource, ns, object.metadata.name);
    if (!existing) throw notFound(info, object.metadata.name);
    const m = object.metadata;
    if (m.uid && m.uid !== existing.metadata.uid) throw conflict(info, m.name as string, `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${existing.metadata.uid}`);
    if (m.resourceVersion && m.resourceVersion !== existing.metadata.resourceVersion) throw conflict(info, m.name as string);
    return this.replace(info, existing, object);
  }

  /**
   * Writes `candidate` over `existing` (no resourceVersion check): keeps the fields clients may
   * not change, applies defaults and validation, bumps `generation` on spec changes, skips
   * no-op writes, and removes an object whose deletion waited only for its last finalizer.
   */
  replace(info: ResourceInfo, existing: KObject, candidate: KObject): KObject {
    const next = structuredClone(candidate);
    this.typeMeta(info, next);
    const m = next.metadata;
    const old = existing.metadata;
    for (const k of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'resourceVersion'] as const) {
      if (old[k] === undefined) delete m[k];
      else (m as Record<string, unknown>)[k] = old[k];
    }
    if (m.generateName === undefined && old.generateName !== undefined) m.generateName = old.generateName;
    if (info.plural === 'services') {
      const spec = (next.spec ?? {}) as Record<string, unknown>;
      const oldSpec = (existing.spec ?? {}) as Record<string, unknown>;
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs = oldSpec.clusterIPs;
      next.spec = spec;
    }
    applyDefaults(info.plural, next, this.features);
    normalizeMeta(next);
    validateUpdate(info, existing, next);
    if (jsonEqual(next, existing)) return structuredClone(existing);
    if (specChanged(existing, next)) m.generation = (old.generation ?? 0) + 1;
    if (m.deletionTimestamp && !m.finalizers?.length && (m.deletionGracePeriodSeconds ?? 0) === 0) {
      return structuredClone(this.core.remove(info, next));
    }
    this.core.commit(info, 'MODIFIED', next, existing);
    if (!jsonEqual(old.ownerReferences, m.ownerReferences)) this.gc.checkOwners(info, next);
    if (old.finalizers?.includes('foregroundDeletion')) this.gc.checkForeground(info, next);
    return structuredClone(next);
  }

  patch(resource: string, namespace: string | undefined, name: string, patch: unknown, type: PatchType): KObject {
    const info = this.core.info(resource);
    const ns = this.scope(info, namespace);
    const existing = this.core.peek(resource, ns, name);
    if (!existing) {
      if (type !== 'apply') throw notFound(info, name);
      const created = applyPatch({ apiVersion: apiVersionOf(info), kind: info.kind, metadata: { name, ...(ns ? { namespace: ns } : {}) } }, patch, 'merge', info);
      return this.create(resource, ns, created);
    }
    const patched = applyPatch(existing, patch, type, info);
    patched.metadata.name = name;
    return this.update(resource, ns, patched);
  }

  mutate(resource: string, namespace: string | undefined, name: string, fn: (object: KObject) => void): KObject | undefined {
    const info = this.core.info(resource);
    const existing = this.core.peek(resource, this.scope(info, namespace), name);
    if (!existing) return undefined;
    const copy = structuredClone(existing);
    fn(copy);
    return this.replace(info, existing, copy);
  }

  delete(resource: string, namespace: string | undefined, name: string, options: DeleteOptions = {}): KObject | undefined {
    const info = this.core.info(resource);
    return deleteObject(this, info, this.scope(info, namespace), name, options);
  }

  watch(resource: string, namespace: string | undefined, options: WatchOptions, onEvent: (event: WatchEvent) => void): () => void {
    const info = this.core.info(resource);
    const ns = info.namespaced ? namespace : undefined;
    const filter = { resource, namespace: ns, labels: parseLabelSelector(options.labelSelector ?? ''), fields: parseFieldSelector(options.fieldSelector ?? '', info) };
    return this.core.hub.subscribe(
      filter,
      options.resourceVersion,
      Boolean(options.allowWatchBookmarks),
      () => this.core.scan(resource, ns),
      (ev) => {
        if (ev.type === 'BOOKMARK') {
          ev.object.apiVersion = apiVersionOf(info);
          ev.object.kind = info.kind;
        }
        onEvent(ev);
      },
    );
  }

  resourceVersion(): string {
    return String(this.core.currentRv());
  }

  close(): void {
    this.core.hub.closeAll();
  }
}

/**
 * Creates an empty cluster store (with the system namespaces) on `clock`: Kubernetes object
 * semantics in process, the ground truth the HTTP API server, the controllers, the scheduler and
 * the kubelet share. See `store-types.ts` for the contract.
 */
export function createStore(clock: ClusterClock, options: StoreOptions = {}): ClusterStore {
  return new SimStore(clock, options);
}
