import type { ClusterClock } from '../clock.ts';
import type { KObject, Store } from '../store-types.ts';

/**
 * Core `v1` Events as kube-controller-manager's controllers record them
 * (`source.component: replicaset-controller`, `firstTimestamp`/`lastTimestamp`, `count: 1`), for
 * example `SuccessfulCreate` / `Created pod: web-7d9cf`, so a diagnostic listing a namespace's
 * events reads like `kubectl get events` on a cluster.
 */

/** Records controller events for one component. */
export class ControllerEvents {
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: ClusterClock,
    /** `replicaset-controller`, `deployment-controller`, `endpoint-controller`, `kube-proxy`. */
    private readonly component: string,
  ) {}

  /** Records one event about `subject` (a namespaced object); dropped silently when the namespace is going away, as on a cluster. */
  record(subject: KObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const namespace = subject.metadata.namespace ?? 'default';
    const now = this.clock.kubeTimestamp();
    // `<object>.<unix nanoseconds in hex>`, as client-go names events; the counter keeps them unique.
    const stamp = BigInt(Math.floor(this.clock.nowMs())) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    try {
      this.store.create('events', namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${subject.metadata.name}.${stamp.toString(16)}`, namespace },
        involvedObject: {
          apiVersion: subject.apiVersion,
          kind: subject.kind,
          namespace,
          name: subject.metadata.name,
          uid: subject.metadata.uid,
          resourceVersion: subject.metadata.resourceVersion,
        },
        reason,
        message,
        source: { component: this.component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: this.component,
        reportingInstance: '',
      });
    } catch {
      // Namespace missing or terminating: Kubernetes drops the event too.
    }
  }
}
