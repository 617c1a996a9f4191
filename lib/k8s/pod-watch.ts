/**
 * A list-then-watch of the pods of one namespace that survives dropped connections: each event
 * is stamped with its arrival on the machine's monotonic clock before anything else happens; a
 * watch that ends is resumed from the last resourceVersion seen, so no event is lost; a resume
 * the server refuses as too old (410 Gone) falls back to a fresh list, diffed against what was
 * known so changes in the gap still arrive (as MODIFIED/DELETED with the relist's arrival time).
 */
import { Watch } from '@kubernetes/client-node';
import type { ClusterConnection } from './connect.ts';
import { clusterError } from './errors.ts';

/** A pod as the API serialises it (only the fields this tool reads are typed). */
export interface PodObject {
  metadata: {
    name: string;
    uid: string;
    namespace?: string;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; uid: string }>;
    finalizers?: string[];
  };
  spec?: { nodeName?: string; containers?: Array<{ name: string }> };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string; lastTransitionTime?: string | Date; reason?: string; message?: string }>;
    containerStatuses?: Array<{
      name: string;
      ready?: boolean;
      restartCount?: number;
      state?: { running?: { startedAt?: string | Date }; waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } };
    }>;
  };
}

export type PodEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface PodEvent {
  type: PodEventType;
  pod: PodObject;
  /** `process.hrtime.bigint()` when the event arrived. */
  arrivalHr: bigint;
  /** True for events synthesised from a list (initial or after 410), not delivered by a watch. */
  fromList: boolean;
}

export interface PodWatchOptions {
  labelSelector?: string;
  onEvent(event: PodEvent): void;
  /** Called once per resume or relist, for the report. */
  onResume?(kind: 'resume' | 'relist', detail: string): void;
}

/** A resilient pod watch; `start()` resolves after the initial list has been delivered. */
export class PodWatch {
  private readonly conn: ClusterConnection;
  private readonly options: PodWatchOptions;
  private readonly known = new Map<string, PodObject>();
  private resourceVersion = '';
  private controller: AbortController | undefined;
  private stopped = false;
  /** Watches resumed after the connection ended. */
  resumes = 0;
  /** Fresh lists after a 410. */
  relists = 0;

  constructor(conn: ClusterConnection, options: PodWatchOptions) {
    this.conn = conn;
    this.options = options;
  }

  async start(): Promise<void> {
    await this.list(false);
    await this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  /** The pods currently known, by name. */
  pods(): ReadonlyMap<string, PodObject> {
    return this.known;
  }

  private async list(relist: boolean): Promise<void> {
    let result;
    try {
      result = await this.conn.core.listNamespacedPod({ namespace: this.conn.namespace, labelSelector: this.options.labelSelector });
    } catch (err) {
      throw clusterError('CLUSTER_WATCH', 'listing pods', `in namespace ${this.conn.namespace} on ${this.conn.server}`, err);
    }
    const arrivalHr = process.hrtime.bigint();
    this.resourceVersion = result.metadata?.resourceVersion ?? '';
    const seen = new Set<string>();
    for (const p of result.items as unknown as PodObject[]) {
      seen.add(p.metadata.name);
      const before = this.known.get(p.metadata.name);
      this.known.set(p.metadata.name, p);
      if (!before) this.options.onEvent({ type: 'ADDED', pod: p, arrivalHr, fromList: true });
      else if (before.metadata.resourceVersion !== p.metadata.resourceVersion) this.options.onEvent({ type: 'MODIFIED', pod: p, arrivalHr, fromList: true });
    }
    if (relist) {
      for (const [name, p] of this.known) {
        if (seen.has(name)) continue;
        this.known.delete(name);
        this.options.onEvent({ type: 'DELETED', pod: p, arrivalHr, fromList: true });
      }
    }
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const path = `/api/v1/namespaces/${encodeURIComponent(this.conn.namespace)}/pods`;
    let expired = false;
    const query = { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, labelSelector: this.options.labelSelector };
    try {
      this.controller = await new Watch(this.conn.kc).watch(
        path,
        query,
        (type, obj) => {
          const arrivalHr = process.hrtime.bigint();
          if (type === 'ERROR') {
            if ((obj as { code?: number }).code === 410) expired = true;
            return;
          }
          const rv = (obj as PodObject).metadata?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          if (type === 'BOOKMARK') return;
          const pod = obj as PodObject;
          if (type === 'DELETED') this.known.delete(pod.metadata.name);
          else this.known.set(pod.metadata.name, pod);
          this.options.onEvent({ type: type as PodEventType, pod, arrivalHr, fromList: false });
        },
        (err) => {
          if (this.stopped) return;
          if (expired || (err as { statusCode?: number } | null)?.statusCode === 410) {
            this.relists += 1;
            this.options.onResume?.('relist', 'resourceVersion expired (410)');
            void this.list(true).then(() => this.watch(), () => this.retryLater());
            return;
          }
          this.resumes += 1;
          this.options.onResume?.('resume', err ? String((err as Error).message ?? err) : 'server closed the watch');
          this.retryLater();
        },
      );
    } catch {
      this.retryLater();
    }
  }

  private retryLater(): void {
    if (this.stopped) return;
    // A short pause so a dead server is not hammered; the relist path covers long gaps.
    setTimeout(() => void this.watch(), 20);
  }
}
