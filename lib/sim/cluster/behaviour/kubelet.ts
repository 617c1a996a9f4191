/**
 * The kubelets of every simulated node, as one component: it watches pods, takes on each pod
 * bound to a simulated node (one {@link PodWorker} per pod), starts graceful termination when a
 * pod gets its `deletionTimestamp`, and tears everything down when a pod leaves the store. It
 * also serves the container logs to the API server's `pods/log` subresource.
 */
import type { KObject, WatchEvent } from '../store-types.ts';
import type { LogReadOptions } from './container-log.ts';
import { PodIpAllocator } from './pod-ips.ts';
import { viewPod } from './pod-spec.ts';
import { PodWorker } from './pod-worker.ts';
import type { ClusterRuntime } from './runtime.ts';

/** A request for a container log, as `pods/log` carries it. */
export interface PodLogRequest extends LogReadOptions {
  namespace: string;
  pod: string;
  /** Defaults to the only container (an error when the pod has several, as in Kubernetes). */
  container?: string;
  /** The previous run of a restarted container. */
  previous?: boolean;
}

/** The answer to a log request: the text, or an API error (status and message). */
export type PodLogResult = { ok: true; text: string; follow(listener: (line: string) => void): () => void } | { ok: false; code: number; reason: string; message: string };

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

  /** A container log for `pods/log`. */
  readLog(req: PodLogRequest): PodLogResult {
    const pod: KObject | undefined = this.runtime.store.get('pods', req.namespace, req.pod);
    if (!pod) return { ok: false, code: 404, reason: 'NotFound', message: `pods "${req.pod}" not found` };
    const names = viewPod(pod).containers.map((c) => c.name);
    let container = req.container;
    if (!container) {
      if (names.length !== 1) return { ok: false, code: 400, reason: 'BadRequest', message: `a container name must be specified for pod ${req.pod}, choose one of: [${names.join(' ')}]` };
      container = names[0]!;
    }
    if (!names.includes(container)) return { ok: false, code: 400, reason: 'BadRequest', message: `container ${container} is not valid for pod ${req.pod}` };
    const log = this.runtime.logs.get(req.namespace, req.pod, container, req.previous);
    if (!log) {
      const message = req.previous
        ? `previous terminated container "${container}" in pod "${req.pod}" not found`
        : `container "${container}" in pod "${req.pod}" is waiting to start: ContainerCreating`;
      return { ok: false, code: 400, reason: 'BadRequest', message };
    }
    return { ok: true, text: log.read(req), follow: (listener) => log.follow(listener) };
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
