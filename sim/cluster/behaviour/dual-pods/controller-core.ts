/**
 * The state and lookups the reconcile steps share: the runtime, the API calls, per-node data and
 * queues, the parsed `gpu-map`, and the Pod indexes of the real controller (by requester UID, by
 * nominal hash, by GPU, by launcher-config hash; protocol section 2.4), computed over the store.
 */
import type { KObject } from '../../store-types.ts';
import type { GpuLocation } from './gpu-map.ts';
import { CONTROLLER_NAME, INFERENCE_SERVER_CONTAINER } from './keys.ts';
import { KLogger } from './klog.ts';
import { KubeOps } from './kube-ops.ts';
import { NodeQueue, type WorkItem } from './node-queue.ts';
import { boundRequester, isDeleting, nodeNameOf, timeMs } from './pod-util.ts';
import type { Runtime } from './runtime.ts';
import { newServerData, type NodeData, type ServerData } from './server-data.ts';
import type { GpuOccupant } from './sleeper-budget.ts';

/** Builds the work items the queues run (set by the controller, which knows the steps). */
export interface ItemFactory {
  server(node: string, uid: string, requesterName: string): WorkItem;
  launcher(node: string, launcherName: string): WorkItem;
  instanceGc(node: string, iscName: string): WorkItem;
}

/** Shared controller state. */
export class DpcCore {
  readonly ops: KubeOps;
  /** Root logger of the controller (`dual-pods-controller`). */
  readonly logger: KLogger;
  /** Parsed `gpu-map`; undefined while the ConfigMap is absent. */
  gpuMap: Map<string, GpuLocation> | undefined;
  items!: ItemFactory;
  private readonly nodes = new Map<string, NodeData>();
  private readonly queues = new Map<string, NodeQueue>();

  constructor(readonly rt: Runtime) {
    this.ops = new KubeOps(rt, CONTROLLER_NAME);
    this.logger = new KLogger(rt.log, 'inference-server.go:1');
  }

  /** Per-node data, created on first use. */
  nodeData(node: string): NodeData {
    let d = this.nodes.get(node);
    if (!d) {
      d = { servers: new Map(), launchers: new Map() };
      this.nodes.set(node, d);
    }
    return d;
  }

  /** All nodes with data. */
  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** The queue of a node. */
  queue(node: string): NodeQueue {
    let q = this.queues.get(node);
    if (!q) {
      q = new NodeQueue(node, this.rt, this.logger.at('controller.go:1'));
      this.queues.set(node, q);
    }
    return q;
  }

  /** `getServerData`. */
  serverData(node: string, requesterName: string, uid: string): ServerData {
    const nd = this.nodeData(node);
    let sd = nd.servers.get(uid);
    if (!sd) {
      sd = newServerData(uid, requesterName);
      nd.servers.set(uid, sd);
    }
    return sd;
  }

  enqueueServer(node: string, uid: string, requesterName: string): void {
    this.queue(node).add(this.items.server(node, uid, requesterName));
  }

  /** `enqueueUnboundInfSvrItemsOnNode`: wake up requesters waiting for a launcher. */
  enqueueUnboundServers(node: string): void {
    for (const sd of this.nodeData(node).servers.values()) if (!sd.providingPodName) this.enqueueServer(node, sd.uid, sd.requesterName);
  }

  /** Every known server on every node (after a `gpu-map`, ISC or LC change). */
  enqueueAllServers(): void {
    for (const node of this.nodes.keys()) for (const sd of this.nodeData(node).servers.values()) this.enqueueServer(node, sd.uid, sd.requesterName);
  }

  /** All Pods of the namespace. */
  pods(): KObject[] {
    return this.ops.list('pods');
  }

  /** Providers bound to a requester UID (`requesterIndexName`). */
  providersOf(uid: string): KObject[] {
    return this.pods().filter((p) => boundRequester(p, this.rt.keys)?.uid === uid);
  }

  /** Unbound direct providers with this nominal hash (`nominalHashIndexName`), not being deleted. */
  sleepersWithHash(hash: string): KObject[] {
    const k = this.rt.keys;
    return this.pods()
      .filter((p) => p.metadata.annotations?.[k.nominal] === hash && !p.metadata.annotations?.[k.requester] && !isDeleting(p))
      .sort(byCreation);
  }

  /** Direct providers per `node index` key (`GPUIndexFunc`), with their last controller write. */
  directProvidersByGpu(): Map<string, GpuOccupant[]> {
    const out = new Map<string, GpuOccupant[]>();
    for (const p of this.pods()) {
      if (!p.metadata.annotations?.[this.rt.keys.nominal] || !nodeNameOf(p)) continue;
      const ctr = ((p.spec as { containers?: Array<{ name: string; env?: Array<{ name: string; value?: string }> }> }).containers ?? []).find((c) => c.name === INFERENCE_SERVER_CONTAINER);
      const cvd = ctr?.env?.find((e) => e.name === 'CUDA_VISIBLE_DEVICES')?.value;
      if (!cvd) continue;
      const occupant = { name: p.metadata.name ?? '', lastWriteMs: lastControllerWriteMs(p) };
      for (const idx of cvd.split(',')) {
        const key = `${nodeNameOf(p)} ${idx}`;
        out.set(key, [...(out.get(key) ?? []), occupant]);
      }
    }
    return out;
  }

  /** Launcher Pods with this node-specific launcher-config hash (`launcherConfigHashIndexName`). */
  launchersWithHash(hash: string): KObject[] {
    return this.pods()
      .filter((p) => p.metadata.annotations?.[this.rt.keys.launcherConfigHash] === hash)
      .sort(byCreation);
  }
}

/** Creation order, then name: a stable stand-in for an informer index's order. */
export function byCreation(a: KObject, b: KObject): number {
  const ta = timeMs(a.metadata.creationTimestamp) ?? 0;
  const tb = timeMs(b.metadata.creationTimestamp) ?? 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

/** Time of the controller's last managed-fields write, else the creation time (section 2.4). */
export function lastControllerWriteMs(pod: KObject): number {
  const fields = (Array.isArray(pod.metadata.managedFields) ? pod.metadata.managedFields : []) as Array<{ manager?: string; time?: string }>;
  const mine = fields.find((f) => f.manager === CONTROLLER_NAME);
  return timeMs(mine?.time) ?? timeMs(pod.metadata.creationTimestamp) ?? 0;
}
