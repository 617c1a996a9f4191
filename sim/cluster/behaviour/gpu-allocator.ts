/**
 * The GPU ledger: which pod holds which GPU of which node. It plays the NVIDIA device plugin's
 * part (the scheduler counts free GPUs, the device plugin picks which ones), so the requester
 * process can answer `GET /v1/dual-pods/accelerators` with the UUIDs it really got (protocol 2.2).
 *
 * Policies:
 * - `first-fit`: the lowest free indices on the first node (in node order) that fits. Deterministic,
 *   so a scale 1 -> 0 -> 1 on one node gets the same GPU back and a hot start is a known hit.
 * - `random`: a seeded random feasible node and random free GPUs, like a device plugin whose
 *   choice the benchmark cannot predict (the "GPU Hit/Bind" factor of protocol 4.3).
 */
import { createRng, type Rng } from '../../vllm/rng.ts';
import type { GpuRef, NodeSpec } from './nodes.ts';

/** How GPUs (and the node among feasible ones) are chosen. */
export type GpuPolicy = 'first-fit' | 'random';

/** One allocation: the pod and what it holds. */
export interface GpuAllocation {
  /** Pod UID. */
  uid: string;
  /** `namespace/name` of the pod, for reports. */
  pod: string;
  node: string;
  gpus: GpuRef[];
}

/** The GPU ledger of the cluster. */
export class GpuAllocator {
  private readonly nodes = new Map<string, NodeSpec>();
  /** node name -> GPU index -> holder pod UID. */
  private readonly holders = new Map<string, Map<number, string>>();
  private readonly byPod = new Map<string, GpuAllocation>();
  private readonly rng: Rng;
  private readonly releaseListeners = new Set<() => void>();
  readonly policy: GpuPolicy;

  constructor(nodes: readonly NodeSpec[], policy: GpuPolicy, seed: number) {
    for (const n of nodes) {
      this.nodes.set(n.name, n);
      this.holders.set(n.name, new Map());
    }
    this.policy = policy;
    this.rng = createRng(seed, 303);
  }

  /** Free GPUs of a node, in index order (empty for an unknown node). */
  free(node: string): GpuRef[] {
    const spec = this.nodes.get(node);
    const held = this.holders.get(node);
    if (!spec || !held) return [];
    return spec.gpus.filter((g) => !held.has(g.index));
  }

  /** The node's GPUs (empty for an unknown node). */
  gpusOf(node: string): readonly GpuRef[] {
    return this.nodes.get(node)?.gpus ?? [];
  }

  /** Picks one node among candidates that all fit, per the policy. */
  chooseNode(candidates: readonly string[]): string | undefined {
    if (candidates.length === 0) return undefined;
    if (this.policy === 'first-fit') return candidates[0];
    return candidates[this.rng.int(candidates.length)];
  }

  /**
   * Allocates `count` GPUs of `node` to a pod (idempotent: a pod that already holds GPUs gets the
   * same allocation back). Undefined when the node has too few free GPUs.
   */
  allocate(node: string, uid: string, pod: string, count: number): GpuAllocation | undefined {
    const existing = this.byPod.get(uid);
    if (existing) return existing;
    const free = this.free(node);
    if (free.length < count) return undefined;
    let chosen: GpuRef[];
    if (this.policy === 'first-fit') chosen = free.slice(0, count);
    else {
      const pool = [...free];
      chosen = [];
      for (let i = 0; i < count; i++) chosen.push(pool.splice(this.rng.int(pool.length), 1)[0]!);
      chosen.sort((a, b) => a.index - b.index);
    }
    const held = this.holders.get(node)!;
    for (const g of chosen) held.set(g.index, uid);
    const allocation: GpuAllocation = { uid, pod, node, gpus: chosen };
    this.byPod.set(uid, allocation);
    return allocation;
  }

  /** Releases a pod's GPUs; true when it held any. */
  release(uid: string): boolean {
    const a = this.byPod.get(uid);
    if (!a) return false;
    this.byPod.delete(uid);
    const held = this.holders.get(a.node);
    for (const g of a.gpus) if (held?.get(g.index) === uid) held.delete(g.index);
    if (a.gpus.length === 0) return false;
    for (const l of this.releaseListeners) l();
    return true;
  }

  /** Calls `listener` whenever GPUs are freed (the scheduler retries unschedulable pods); returns the unsubscribe function. */
  onRelease(listener: () => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  /** The allocation of a pod, if any. */
  of(uid: string): GpuAllocation | undefined {
    return this.byPod.get(uid);
  }

  /** Every GPU with its holder, per node (for `/sim/state`). */
  snapshot(): Array<{ node: string; gpus: Array<GpuRef & { pod: string | null }> }> {
    const out: Array<{ node: string; gpus: Array<GpuRef & { pod: string | null }> }> = [];
    for (const [name, spec] of this.nodes) {
      const held = this.holders.get(name)!;
      out.push({
        node: name,
        gpus: spec.gpus.map((g) => {
          const uid = held.get(g.index);
          return { ...g, pod: uid ? (this.byPod.get(uid)?.pod ?? null) : null };
        }),
      });
    }
    return out;
  }
}
