import type { ClusterClock } from '../clock.ts';
import { StoreError, type KObject, type Store } from '../store-types.ts';
import { ControllerEvents } from './controller-events.ts';
import { controllerRef } from './object-meta.ts';
import { isPodActive, isPodAvailable, isPodReady, podNodeName, podPhase, podRestarts, readySinceMs } from './pod-state.ts';
import { objectKey, splitKey, WorkQueue } from './work-queue.ts';

/**
 * The ReplicaSet controller of kube-controller-manager: keeps `spec.replicas` active pods from
 * `spec.template` (named `<rs>-<5 random>`, controller ownerReference to the ReplicaSet), deletes
 * the surplus in the order Kubernetes ranks pods (unscheduled, then pending, then not ready, then
 * ready for the shortest time, most restarts, newest), and maintains the status counters. Pods
 * being deleted no longer count, so a replacement is created at once. It does not adopt orphans.
 */

/** Phase order for scale-down: lower goes first (Kubernetes' `podPhaseToOrdinal`). */
const PHASE_RANK: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

interface RsSpec {
  replicas?: number;
  minReadySeconds?: number;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] }; spec?: unknown };
}

/** The ReplicaSet controller over one store. */
export class ReplicaSetController {
  private readonly queue: WorkQueue;
  private readonly events: ControllerEvents;
  private readonly stops: Array<() => void> = [];
  /** Order in which pods were first seen: the tie-breaker for "newest" within one creation second. */
  private readonly seen = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: ClusterClock,
  ) {
    this.queue = new WorkQueue(clock, (key) => this.sync(key));
    this.events = new ControllerEvents(store, clock, 'replicaset-controller');
  }

  /** Starts watching ReplicaSets and pods. */
  start(): void {
    this.stops.push(this.store.watch('replicasets', undefined, {}, (e) => this.queue.add(objectKey(e.object.metadata.namespace, e.object.metadata.name))));
    this.stops.push(
      this.store.watch('pods', undefined, {}, (e) => {
        const uid = e.object.metadata.uid as string;
        if (e.type === 'ADDED' && !this.seen.has(uid)) this.seen.set(uid, this.seq++);
        if (e.type === 'DELETED') this.seen.delete(uid);
        const ref = controllerRef(e.object);
        if (ref?.kind === 'ReplicaSet') this.queue.add(objectKey(e.object.metadata.namespace, ref.name));
      }),
    );
  }

  /** Stops watching and cancels queued work. */
  stop(): void {
    for (const s of this.stops.splice(0)) s();
    this.queue.stop();
  }

  private ownedPods(rs: KObject): KObject[] {
    return this.store.list('pods', rs.metadata.namespace).items.filter((p) => controllerRef(p)?.uid === rs.metadata.uid);
  }

  private sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const rs = this.store.get('replicasets', namespace, name);
    if (!rs) return;
    let failure: string | undefined;
    if (!rs.metadata.deletionTimestamp) failure = this.manage(rs, this.ownedPods(rs).filter(isPodActive));
    this.updateStatus(rs, failure);
    if (failure) throw new StoreError(500, 'InternalError', failure); // retried with back-off
  }

  /** Creates or deletes pods; returns the creation error message, if one failed. */
  private manage(rs: KObject, active: KObject[]): string | undefined {
    const want = (rs.spec as RsSpec).replicas ?? 1;
    const diff = active.length - want;
    if (diff < 0) {
      for (let i = 0; i < -diff; i++) {
        try {
          const pod = this.store.create('pods', rs.metadata.namespace, this.podFromTemplate(rs));
          this.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
        } catch (err) {
          const message = `Error creating: ${(err as Error).message}`;
          this.events.record(rs, 'Warning', 'FailedCreate', message);
          return message;
        }
      }
    } else if (diff > 0) {
      for (const pod of this.rankForDeletion(active).slice(0, diff)) {
        const gone = this.store.delete('pods', pod.metadata.namespace, pod.metadata.name as string);
        if (gone) this.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      }
    }
    return undefined;
  }

  private podFromTemplate(rs: KObject): KObject {
    const t = (rs.spec as RsSpec).template ?? {};
    const meta = t.metadata ?? {};
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        ...(meta.labels ? { labels: { ...meta.labels } } : {}),
        ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
        ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name as string, uid: rs.metadata.uid as string, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(t.spec ?? {}),
    };
  }

  /** Pods in the order a scale-down deletes them (Kubernetes' `ActivePods` ordering). */
  private rankForDeletion(pods: KObject[]): KObject[] {
    const key = (p: KObject): number[] => [
      podNodeName(p) ? 1 : 0,
      PHASE_RANK[podPhase(p)] ?? 2,
      isPodReady(p) ? 1 : 0,
      -(readySinceMs(p) ?? 0),
      -podRestarts(p),
      -Date.parse(p.metadata.creationTimestamp ?? '1970-01-01T00:00:00Z'),
      -(this.seen.get(p.metadata.uid as string) ?? 0),
    ];
    return [...pods].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] as number) - (kb[i] as number);
      return 0;
    });
  }

  private updateStatus(rs: KObject, failure: string | undefined): void {
    const spec = rs.spec as RsSpec;
    const active = this.ownedPods(rs).filter(isPodActive);
    const templateLabels = Object.entries(spec.template?.metadata?.labels ?? {});
    const minReady = spec.minReadySeconds ?? 0;
    const now = this.clock.nowMs();
    const ready = active.filter(isPodReady);
    const available = ready.filter((p) => isPodAvailable(p, minReady, now));
    if (available.length < ready.length) {
      // Recheck when the next ready pod has been ready for minReadySeconds.
      const next = Math.min(...ready.filter((p) => !isPodAvailable(p, minReady, now)).map((p) => (readySinceMs(p) ?? now) + minReady * 1000 - now));
      this.queue.addAfter(objectKey(rs.metadata.namespace, rs.metadata.name), Math.max(1, next));
    }
    this.store.mutate('replicasets', rs.metadata.namespace, rs.metadata.name as string, (o) => {
      const old = (o.status ?? {}) as { conditions?: Array<Record<string, unknown>> };
      const others = (old.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
      const prevFailure = (old.conditions ?? []).find((c) => c.type === 'ReplicaFailure');
      const conditions = failure
        ? [...others, { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure, lastTransitionTime: prevFailure?.lastTransitionTime ?? this.clock.kubeTimestamp() }]
        : others;
      const fullyLabeled = active.filter((p) => templateLabels.every(([k, v]) => p.metadata.labels?.[k] === v)).length;
      // Zero counters are omitted, as the API serialises them (omitempty); `replicas` always shows.
      o.status = {
        replicas: active.length,
        ...(fullyLabeled ? { fullyLabeledReplicas: fullyLabeled } : {}),
        ...(ready.length ? { readyReplicas: ready.length } : {}),
        ...(available.length ? { availableReplicas: available.length } : {}),
        observedGeneration: o.metadata.generation,
        ...(conditions.length ? { conditions } : {}),
      };
    });
  }
}
