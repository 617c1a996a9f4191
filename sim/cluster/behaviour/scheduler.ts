/**
 * The simulated kube-scheduler. It binds every pod without `spec.nodeName` (and with the default
 * scheduler name) `schedMs` after it appears: nodes are filtered by cordon, `nodeSelector`
 * (including `kubernetes.io/hostname`), required node affinity and free `nvidia.com/gpu`; one
 * node is chosen per the GPU policy (`first-fit`: the first in name order, `random`: seeded), the
 * GPUs are allocated in the ledger, and the binding sets `spec.nodeName` and `PodScheduled=True`
 * with a `Scheduled` event. When nothing fits, the pod gets `PodScheduled=False` reason
 * `Unschedulable` and a `FailedScheduling` event, and is retried whenever GPUs are freed or a
 * node changes. Pods created with `spec.nodeName` (direct providers inherit it) skip all this.
 */
import type { KObject, WatchEvent } from '../store-types.ts';
import { misfit, unschedulableMessage, type MisfitReason } from './node-fit.ts';
import { podGpuRequest, spec, viewPod } from './pod-spec.ts';
import { setCondition } from './pod-status.ts';
import type { ClusterRuntime } from './runtime.ts';

interface PodRef {
  namespace: string;
  name: string;
}

/** The scheduler of the simulated cluster. */
export class Scheduler {
  private readonly pending = new Map<string, PodRef & { cancel: () => void }>();
  private readonly unschedulable = new Map<string, PodRef>();
  private readonly stops: Array<() => void> = [];
  private closed = false;

  constructor(private readonly runtime: ClusterRuntime) {}

  /** Starts watching pods and nodes. */
  start(): void {
    const { store, allocator } = this.runtime;
    this.stops.push(store.watch('pods', undefined, {}, (e) => queueMicrotask(() => this.onPod(e))));
    this.stops.push(store.watch('nodes', undefined, {}, (e) => e.type === 'MODIFIED' && queueMicrotask(() => this.retryUnschedulable())));
    this.stops.push(allocator.onRelease(() => queueMicrotask(() => this.retryUnschedulable())));
    this.stops.push(store.watch('persistentvolumeclaims', undefined, {}, (e) => e.type !== 'DELETED' && e.type !== 'BOOKMARK' && queueMicrotask(() => this.retryUnschedulable())));
  }

  private onPod(e: WatchEvent): void {
    if (this.closed || e.type === 'BOOKMARK') return;
    const uid = e.object.metadata.uid ?? '';
    const pod = viewPod(e.object);
    const terminal = pod.phase === 'Succeeded' || pod.phase === 'Failed';
    if (e.type === 'DELETED' || terminal) {
      this.forget(uid);
      // The scheduler stops counting a pod that is gone or finished (the kubelet frees its devices too).
      this.runtime.allocator.release(uid);
      return;
    }
    if (pod.nodeName || pod.deleting) return this.forget(uid);
    const schedulerName = spec(e.object).schedulerName;
    if (schedulerName !== undefined && schedulerName !== 'default-scheduler') return;
    if (!this.pending.has(uid) && !this.unschedulable.has(uid)) this.enqueue(uid, { namespace: pod.namespace, name: pod.name });
  }

  private forget(uid: string): void {
    this.pending.get(uid)?.cancel();
    this.pending.delete(uid);
    this.unschedulable.delete(uid);
  }

  private enqueue(uid: string, ref: PodRef): void {
    const cancel = this.runtime.clock.after(this.runtime.timing.draw('schedMs'), () => {
      this.pending.delete(uid);
      this.attempt(uid, ref);
    });
    this.pending.set(uid, { ...ref, cancel });
  }

  private retryUnschedulable(): void {
    if (this.closed) return;
    const waiting = [...this.unschedulable.entries()];
    this.unschedulable.clear();
    for (const [uid, ref] of waiting) this.enqueue(uid, ref);
  }

  private sortedNodes(): KObject[] {
    const nodes = this.runtime.store.list('nodes', undefined).items;
    return nodes.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '', 'en', { numeric: true }));
  }

  private attempt(uid: string, ref: PodRef): void {
    if (this.closed) return;
    const { store, allocator, clock, events } = this.runtime;
    const object = store.get('pods', ref.namespace, ref.name);
    if (!object || object.metadata.uid !== uid) return;
    const pod = viewPod(object);
    if (pod.nodeName || pod.deleting) return;
    const need = podGpuRequest(pod);
    const nodes = this.sortedNodes();
    // VolumeBinding's PreFilter: every claim the pod names must exist.
    const claims = ((spec(object).volumes ?? []) as Array<{ persistentVolumeClaim?: { claimName?: string } }>).map((v) => v?.persistentVolumeClaim?.claimName).filter((c): c is string => typeof c === 'string');
    const missingClaim = claims.find((c) => !store.get('persistentvolumeclaims', ref.namespace, c));
    if (missingClaim !== undefined) {
      const n = nodes.length;
      const message = `0/${n} nodes are available: persistentvolumeclaim "${missingClaim}" not found. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;
      store.mutate('pods', ref.namespace, ref.name, (p) => {
        setCondition(p, 'PodScheduled', 'False', clock.kubeTimestamp(), 'Unschedulable', message);
      });
      events.scheduler({ namespace: ref.namespace, name: ref.name, uid }, 'Warning', 'FailedScheduling', 'Scheduling', message);
      this.unschedulable.set(uid, ref);
      return;
    }
    const fits: string[] = [];
    const reasons: MisfitReason[] = [];
    for (const node of nodes) {
      const name = node.metadata.name ?? '';
      const reason = misfit(pod, node, need, allocator.free(name).length);
      if (reason) reasons.push(reason);
      else fits.push(name);
    }
    const subject = { namespace: ref.namespace, name: ref.name, uid };
    const chosen = allocator.chooseNode(fits);
    if (!chosen || (need > 0 && !allocator.allocate(chosen, uid, `${ref.namespace}/${ref.name}`, need))) {
      const message = unschedulableMessage(nodes.length, reasons);
      const now = clock.kubeTimestamp();
      store.mutate('pods', ref.namespace, ref.name, (p) => {
        setCondition(p, 'PodScheduled', 'False', now, 'Unschedulable', message);
      });
      events.scheduler(subject, 'Warning', 'FailedScheduling', 'Scheduling', message);
      this.unschedulable.set(uid, ref);
      return;
    }
    const now = clock.kubeTimestamp();
    const bound = store.mutate('pods', ref.namespace, ref.name, (p) => {
      (p.spec as Record<string, unknown>).nodeName = chosen;
      setCondition(p, 'PodScheduled', 'True', now);
    });
    if (!bound) {
      allocator.release(uid);
      return;
    }
    events.scheduler(subject, 'Normal', 'Scheduled', 'Binding', `Successfully assigned ${ref.namespace}/${ref.name} to ${chosen}`);
  }

  /** Pods waiting for capacity (for `/sim/state`). */
  unschedulablePods(): string[] {
    return [...this.unschedulable.values()].map((r) => `${r.namespace}/${r.name}`);
  }

  /** Stops the scheduler. */
  close(): void {
    this.closed = true;
    for (const s of this.stops) s();
    for (const p of this.pending.values()) p.cancel();
    this.pending.clear();
    this.unschedulable.clear();
  }
}
