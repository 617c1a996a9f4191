/**
 * The kubelets of every simulated node, as one component: it watches pods, takes on each pod
 * bound to a simulated node (one {@link PodWorker} per pod), starts graceful termination when a
 * pod gets its `deletionTimestamp`, and tears everything down when a pod leaves the store. It
 * also is the API server's source of container logs (`pods/log`).
 */
import type { KObject, WatchEvent } from '../store-types.ts';
import { PodIpAllocator } from './pod-ips.ts';
import { viewPod } from './pod-spec.ts';
import { PodWorker } from './pod-worker.ts';
import type { ClusterRuntime } from './runtime.ts';

/** The node agents of the simulated cluster. */
export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly ips = new PodIpAllocator();
  private unwatch: (() => void) | undefined;
  private closed = false;
  private readonly nodeNames: Set<string>;

  constructor(private readonly runtime: ClusterRuntime) {
    this.nodeNames = new Set(runtime.nodes.map((n) => n.name));
  }

  /** Starts watching pods (existing pods arrive as ADDED). */
  start(): void {
    // Deferred: the store delivers events while it is mutating, and this handler mutates too.
    this.unwatch = this.runtime.store.watch('pods', undefined, {}, (e) => queueMicrotask(() => this.onEvent(e)));
  }

  private onEvent(e: WatchEvent): void {
    if (this.closed || e.type === 'BOOKMARK') return;
    const uid = e.object.metadata.uid ?? '';
    if (e.type === 'DELETED') {
      const worker = this.workers.get(uid);
      this.workers.delete(uid);
      void worker?.gone();
      return;
    }
    const pod = viewPod(e.object);
    if (!pod.nodeName || !this.nodeNames.has(pod.nodeName)) return;
    let worker = this.workers.get(uid);
    if (!worker) {
      if (pod.phase === 'Succeeded' || pod.phase === 'Failed') return;
      const current = this.runtime.store.get('pods', pod.namespace, pod.name);
      if (!current || current.metadata.uid !== uid) return;
      worker = new PodWorker(this.runtime, this.ips, current);
      this.workers.set(uid, worker);
      worker.admit(current);
    }
    if (pod.deleting) worker.terminate(e.object);
  }

  /** The pod IP the kubelet gave a pod, if any. */
  podIP(uid: string): string | undefined {
    return this.ips.of(uid);
  }

  /**
   * The container logs as the API server's `pods/log` source: the timed lines of the current
   * (or, with `previous`, the last) run, undefined while the container has not started.
   */
  readonly logSource = (namespace: string, pod: string, container: string | undefined, query: { previous: boolean }): Array<{ time: number; text: string }> | undefined => {
    const object = this.runtime.store.get('pods', namespace, pod);
    const name = container ?? viewPod(object ?? ({ metadata: {} } as KObject)).containers[0]?.name;
    if (!name) return undefined;
    return this.runtime.logs.get(namespace, pod, name, query.previous)?.entries();
  };

  /** Followable container logs for `pods/log?follow=true` (the current run of the container). */
  readonly followSource = (namespace: string, pod: string, container: string) => this.runtime.logs.get(namespace, pod, container);

  /**
   * Evicts a pod as the kubelet's eviction manager does under memory pressure (see
   * {@link PodWorker.evict}); false when no kubelet runs the pod.
   */
  async evict(namespace: string, name: string): Promise<boolean> {
    const pod = this.runtime.store.get('pods', namespace, name);
    const worker = pod ? this.workers.get(pod.metadata.uid ?? '') : undefined;
    if (!worker) return false;
    await worker.evict();
    return true;
  }

  /** Stops every pod's processes and the watch. */
  async close(): Promise<void> {
    this.closed = true;
    this.unwatch?.();
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(workers.map((w) => w.gone()));
  }
}
