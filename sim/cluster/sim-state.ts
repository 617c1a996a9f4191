/**
 * The simulator's own view of the cluster, served at `GET /sim/state` for tests and for humans
 * debugging a scenario: nodes and which pod holds each GPU, every pod with its node, IP, phase and
 * readiness, every vLLM server (direct or launcher instance) with its state, the sleeping ones,
 * and the pods waiting for capacity. None of it is part of the Kubernetes API.
 */
import type { ClusterClock } from './clock.ts';
import type { GpuAllocator } from './behaviour/gpu-allocator.ts';
import type { NodeSpec } from './behaviour/nodes.ts';
import type { ClusterRuntime, VllmState } from './behaviour/runtime.ts';
import type { Scheduler } from './behaviour/scheduler.ts';
import type { Store } from './store-types.ts';

/** One vLLM server in the state snapshot. */
export interface SimVllmState {
  pod: string;
  container: string;
  instanceId: string | null;
  node: string;
  url: string;
  state: VllmState;
  models: string[];
  gpus: string[];
}

/** The snapshot `GET /sim/state` answers. */
export interface SimState {
  clock: ReturnType<ClusterClock['describe']> & { nowMs: number };
  nodes: Array<{ name: string; hostIP: string; gpus: Array<{ uuid: string; index: number; pod: string | null }> }>;
  pods: Array<{ namespace: string; name: string; uid: string; node: string | null; podIP: string | null; phase: string | null; ready: boolean; deleting: boolean; gpus: string[] }>;
  vllm: SimVllmState[];
  sleeping: SimVllmState[];
  unschedulable: string[];
  /** Running harness containers' child processes. */
  harness: Array<{ namespace: string; pod: string; container: string; pid: number }>;
}

/** Builds the snapshot. */
export function simState(parts: { store: Store; clock: ClusterClock; nodes: readonly NodeSpec[]; allocator: GpuAllocator; runtime: ClusterRuntime; scheduler: Scheduler }): SimState {
  const { store, clock, allocator, runtime, scheduler } = parts;
  const hostIPs = new Map(parts.nodes.map((n) => [n.name, n.hostIP]));
  const nodes = allocator.snapshot().map((n) => ({ name: n.node, hostIP: hostIPs.get(n.node) ?? '', gpus: n.gpus }));
  const pods = store.list('pods', undefined).items.map((p) => {
    const spec = (p.spec ?? {}) as { nodeName?: string };
    const status = (p.status ?? {}) as { podIP?: string; phase?: string; conditions?: Array<{ type: string; status: string }> };
    return {
      namespace: p.metadata.namespace ?? '',
      name: p.metadata.name ?? '',
      uid: p.metadata.uid ?? '',
      node: spec.nodeName ?? null,
      podIP: status.podIP ?? null,
      phase: status.phase ?? null,
      ready: status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      deleting: Boolean(p.metadata.deletionTimestamp),
      gpus: allocator.of(p.metadata.uid ?? '')?.gpus.map((g) => g.uuid) ?? [],
    };
  });
  const vllm: SimVllmState[] = [...runtime.vllmServers].map((s) => ({
    pod: s.pod,
    container: s.container,
    instanceId: s.instanceId,
    node: s.node,
    url: `http://${s.host}:${s.port}`,
    state: s.state(),
    models: [...s.models],
    gpus: s.gpus.map((g) => g.uuid),
  }));
  return {
    clock: { ...clock.describe(), nowMs: clock.nowMs() },
    nodes,
    pods,
    vllm,
    sleeping: vllm.filter((v) => v.state === 'sleeping'),
    unschedulable: scheduler.unschedulablePods(),
    harness: [...runtime.harness.live].map((p) => ({ ...p })),
  };
}
