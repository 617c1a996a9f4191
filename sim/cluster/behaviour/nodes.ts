/**
 * The simulated nodes: names, GPUs with deterministic UUIDs, labels as NVIDIA's GPU feature
 * discovery writes them, and the Node objects the API serves. (The `gpu-map` ConfigMap that
 * FMA's `scripts/ensure-nodes-mapped.sh` writes from them is built by the dual-pods room.)
 */
import type { ClusterClock } from '../clock.ts';
import type { KObject, Store } from '../store-types.ts';
import { createRng } from '../../vllm/rng.ts';

/** One GPU of a node. */
export interface GpuRef {
  /** `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, as `nvidia-smi --query-gpu=uuid` prints it. */
  uuid: string;
  /** CUDA / NVML index on the node (what `CUDA_VISIBLE_DEVICES` lists). */
  index: number;
}

/** One simulated node. */
export interface NodeSpec {
  /** `sim-gpu-node-1`, `sim-gpu-node-2`, ... */
  name: string;
  /** The node's address (`status.hostIP` of its pods): 127.3.0.1, 127.3.0.2, ... */
  hostIP: string;
  /** GPUs in index order. */
  gpus: GpuRef[];
  /** Labels of the Node object. */
  labels: Record<string, string>;
}

/** How to build the nodes. */
export interface NodeLayout {
  /** Number of nodes. */
  count: number;
  /** GPUs per node (0 makes CPU-only nodes without GPU labels). */
  gpusPerNode: number;
  /** `nvidia.com/gpu.product` label, e.g. `NVIDIA-H100-80GB-HBM3`. */
  gpuProduct: string;
  /** `nvidia.com/gpu.family` label, e.g. `hopper`. */
  gpuFamily: string;
  /** `nvidia.com/gpu.memory` label and each GPU's total memory, in MiB. */
  gpuMemoryMib: number;
  /** Seed of the GPU UUIDs. */
  seed: number;
}

/** The fixed name prefix of simulated nodes. */
export const NODE_NAME_PREFIX = 'sim-gpu-node-';

function hex(rng: () => number, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(rng() * 16).toString(16);
  return out;
}

/** Builds the node list: deterministic for a given layout and seed. */
export function buildNodes(layout: NodeLayout): NodeSpec[] {
  const rng = createRng(layout.seed, 202);
  const next = (): number => rng.next();
  const nodes: NodeSpec[] = [];
  for (let n = 1; n <= layout.count; n++) {
    const name = `${NODE_NAME_PREFIX}${n}`;
    const gpus: GpuRef[] = [];
    for (let index = 0; index < layout.gpusPerNode; index++) {
      gpus.push({ uuid: `GPU-${hex(next, 8)}-${hex(next, 4)}-${hex(next, 4)}-${hex(next, 4)}-${hex(next, 12)}`, index });
    }
    const labels: Record<string, string> = {
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
    };
    if (layout.gpusPerNode > 0) {
      labels['nvidia.com/gpu.present'] = 'true';
      labels['nvidia.com/gpu.product'] = layout.gpuProduct;
      labels['nvidia.com/gpu.family'] = layout.gpuFamily;
      labels['nvidia.com/gpu.count'] = String(layout.gpusPerNode);
      labels['nvidia.com/gpu.memory'] = String(layout.gpuMemoryMib);
    }
    nodes.push({ name, hostIP: `127.3.${n >> 8}.${n & 255}`, gpus, labels });
  }
  return nodes;
}

/** The Node object of a simulated node, as the API serves it. */
export function nodeObject(node: NodeSpec, clock: ClusterClock): KObject {
  const now = clock.kubeTimestamp();
  const resources: Record<string, string> = { cpu: '64', memory: '528105484Ki', pods: '110', 'ephemeral-storage': '1870539112Ki' };
  if (node.gpus.length > 0) resources['nvidia.com/gpu'] = String(node.gpus.length);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.name, labels: { ...node.labels } },
    spec: {},
    status: {
      capacity: { ...resources },
      allocatable: { ...resources },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status (simulated)'),
      ],
      addresses: [
        { type: 'InternalIP', address: node.hostIP },
        { type: 'Hostname', address: node.name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.31.0-sim',
        containerRuntimeVersion: 'sim://1.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
        osImage: 'vitest-llm-d cluster simulator',
        kernelVersion: '',
        kubeProxyVersion: '',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
}

/** Writes the Node objects into the store. */
export function registerNodes(store: Store, nodes: readonly NodeSpec[], clock: ClusterClock): void {
  for (const node of nodes) store.create('nodes', undefined, nodeObject(node, clock));
}
