/**
 * Recording Events the way the two components that emit them on a real cluster do:
 * - the scheduler uses the `events.k8s.io/v1` recorder, so its events (read through the core
 *   API) carry `eventTime` (microseconds), `reportingComponent: default-scheduler`, an `action`
 *   and no `firstTimestamp`/`lastTimestamp`/`count`;
 * - the kubelet uses the core recorder: `source {component: kubelet, host}`, `firstTimestamp`,
 *   `lastTimestamp` and `count`, and repeats of the same reason and message on the same object
 *   (a readiness probe failing every period) bump `count` on one Event instead of adding more.
 */
import type { ClusterClock } from '../clock.ts';
import type { KObject, Store } from '../store-types.ts';

/** `Normal` or `Warning`. */
export type EventType = 'Normal' | 'Warning';

/** What an event is about. */
export interface EventSubject {
  namespace: string;
  name: string;
  uid: string;
  /** `Pod` unless given. */
  kind?: string;
  /** `spec.containers{name}` for container events. */
  fieldPath?: string;
}

/** Writes Events into the store. */
export class EventRecorder {
  private seq = 0;
  /** Aggregation key -> Event name, for the kubelet's repeated events. */
  private readonly repeats = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly clock: ClusterClock,
  ) {}

  private eventName(subject: EventSubject): string {
    // Kubernetes names events `<object>.<unix nanoseconds in hex>`; the counter keeps them unique.
    const ns = BigInt(Math.floor(this.clock.nowMs())) * 1_000_000n + BigInt(this.seq++);
    return `${subject.name}.${ns.toString(16)}`;
  }

  private involved(subject: EventSubject): Record<string, unknown> {
    return {
      apiVersion: 'v1',
      kind: subject.kind ?? 'Pod',
      namespace: subject.namespace,
      name: subject.name,
      uid: subject.uid,
      ...(subject.fieldPath ? { fieldPath: subject.fieldPath } : {}),
    };
  }

  private create(subject: EventSubject, event: Record<string, unknown>): KObject | undefined {
    const object: KObject = { apiVersion: 'v1', kind: 'Event', metadata: { name: this.eventName(subject), namespace: subject.namespace }, involvedObject: this.involved(subject), ...event };
    try {
      return this.store.create('events', subject.namespace, object);
    } catch {
      // The namespace is being deleted: Kubernetes drops the event too.
      return undefined;
    }
  }

  /** A scheduler event (`Scheduled`, `FailedScheduling`). */
  scheduler(subject: EventSubject, type: EventType, reason: string, action: string, message: string): void {
    this.create(subject, {
      reason,
      message,
      type,
      action,
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: this.clock.microTimestamp(),
      reportingComponent: 'default-scheduler',
      reportingInstance: 'default-scheduler-sim',
    });
  }

  /** A kubelet event (`Pulled`, `Created`, `Started`, `Killing`, `Unhealthy`, ...), aggregated on repeats. */
  kubelet(subject: EventSubject, node: string, type: EventType, reason: string, message: string): void {
    const now = this.clock.kubeTimestamp();
    const key = `${subject.uid}\u0000${subject.fieldPath ?? ''}\u0000${reason}\u0000${message}`;
    const existing = this.repeats.get(key);
    if (existing) {
      const updated = this.store.mutate('events', subject.namespace, existing, (e) => {
        e.count = Number(e.count ?? 1) + 1;
        e.lastTimestamp = now;
      });
      if (updated) return;
    }
    const created = this.create(subject, {
      reason,
      message,
      type,
      source: { component: 'kubelet', host: node },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: node,
    });
    if (created?.metadata.name) this.repeats.set(key, created.metadata.name);
  }

  /** Forgets the aggregation state of a pod that is gone. */
  forget(uid: string): void {
    for (const key of this.repeats.keys()) if (key.startsWith(`${uid}\u0000`)) this.repeats.delete(key);
  }
}
