/**
 * The controller's Kubernetes API calls, made on the in-process store with the latency of a
 * real client round trip (protocol section 9.2: ~10-50 ms per write): the write lands half-way
 * through the call, the caller resumes at its end. Each call reports its start as
 * `k8sCallStartTime` (RFC 3339 nano, cluster time), the field the controller logs (section 3).
 * Updates carry the `resourceVersion` that was read, so a stale read fails with 409 Conflict as
 * on a real API server; deletes take UID/resourceVersion preconditions. Writes to Pods stamp the
 * controller's `managedFields` entry, whose time orders the sleeper budget (section 2.4).
 */
import { StoreError, type KObject, type ResourceName } from '../../store-types.ts';
import { rfc3339Nano } from './klog.ts';
import { StoppedError, type Runtime } from './runtime.ts';

/** A call's result with its start time. */
export interface Timed<T> {
  result: T;
  /** `k8sCallStartTime`. */
  start: string;
}

/** Delete preconditions (`metav1.Preconditions`). */
export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

/** Whether an error is a 404 NotFound (or 410 Gone) from the store. */
export function isNotFound(err: unknown): boolean {
  return err instanceof StoreError && (err.code === 404 || err.code === 410);
}

/** API calls of one field manager. */
export class KubeOps {
  constructor(
    private readonly rt: Runtime,
    private readonly manager: string,
  ) {}

  /**
   * Reads an object of the controller's namespace (a lister `Get`). Treat the result as
   * read-only, as informer objects are: every write below copies before it changes anything.
   */
  get(resource: ResourceName, name: string): KObject | undefined {
    return this.rt.store.get(resource, this.rt.namespace, name);
  }

  /** Lists objects of the controller's namespace (read-only, like {@link KubeOps.get}). */
  list(resource: ResourceName, labelSelector?: string): KObject[] {
    return this.rt.store.list(resource, this.rt.namespace, labelSelector ? { labelSelector } : {}).items;
  }

  private async call<T>(fn: () => T): Promise<Timed<T>> {
    const startMs = this.rt.clock.nowMs();
    const latency = this.rt.apiWriteMs();
    await this.rt.sleep(latency / 2);
    if (this.rt.signal.aborted) throw new StoppedError();
    const result = fn();
    await this.rt.sleep(latency / 2);
    return { result, start: rfc3339Nano(startMs) };
  }

  private stamp(resource: ResourceName, obj: KObject): KObject {
    if (resource !== 'pods') return obj;
    const entry = { manager: this.manager, operation: 'Update', apiVersion: 'v1', time: this.rt.clock.kubeTimestamp(), fieldsType: 'FieldsV1', fieldsV1: {} };
    const fields = (Array.isArray(obj.metadata.managedFields) ? obj.metadata.managedFields : []) as Array<{ manager?: string }>;
    obj.metadata.managedFields = [...fields.filter((f) => f.manager !== this.manager), entry];
    return obj;
  }

  /** `Create`. */
  create(resource: ResourceName, obj: KObject): Promise<Timed<KObject>> {
    return this.call(() => this.rt.store.create(resource, this.rt.namespace, this.stamp(resource, structuredClone(obj))));
  }

  /** `Update` with the read `resourceVersion` (409 when stale). */
  update(resource: ResourceName, obj: KObject): Promise<Timed<KObject>> {
    return this.call(() => this.rt.store.update(resource, this.rt.namespace, this.stamp(resource, structuredClone(obj))));
  }

  /** `Delete` with preconditions; throws StoreError 404 when absent, 409 when a precondition fails. */
  delete(resource: ResourceName, name: string, pre: Preconditions = {}): Promise<Timed<KObject>> {
    return this.call(() => {
      const cur = this.rt.store.get(resource, this.rt.namespace, name);
      if (!cur) throw new StoreError(404, 'NotFound', `${resource} "${name}" not found`);
      if (pre.uid !== undefined && cur.metadata.uid !== pre.uid) {
        throw new StoreError(409, 'Conflict', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid ?? ''}`);
      }
      if (pre.resourceVersion !== undefined && cur.metadata.resourceVersion !== pre.resourceVersion) {
        throw new StoreError(409, 'Conflict', `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion ?? ''}`);
      }
      const gone = this.rt.store.delete(resource, this.rt.namespace, name, { propagationPolicy: 'Background' });
      if (!gone) throw new StoreError(404, 'NotFound', `${resource} "${name}" not found`);
      return gone;
    });
  }

  /** Records an Event about an object (`recorder.Eventf`). */
  async event(involved: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): Promise<void> {
    const now = this.rt.clock.kubeTimestamp();
    await this.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${involved.metadata.name ?? 'object'}.`, namespace: this.rt.namespace },
      involvedObject: { apiVersion: involved.apiVersion, kind: involved.kind, name: involved.metadata.name, namespace: this.rt.namespace, uid: involved.metadata.uid },
      reason,
      message,
      type,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: component,
    });
  }
}
