import { describe, expect, it } from 'vitest';
import { GpuAllocator } from '../behaviour/gpu-allocator.ts';
import { unschedulableMessage } from '../behaviour/node-fit.ts';
import { buildNodes } from '../behaviour/nodes.ts';

const nodes = buildNodes({ count: 2, gpusPerNode: 4, gpuProduct: 'NVIDIA-H100-80GB-HBM3', gpuFamily: 'hopper', gpuMemoryMib: 81559, seed: 1 });

describe('GPU ledger', () => {
  it('first-fit takes the lowest free indices and gives a freed GPU back to the next pod', () => {
    const a = new GpuAllocator(nodes, 'first-fit', 0);
    expect(a.allocate('sim-gpu-node-1', 'u1', 'ns/p1', 2)!.gpus.map((g) => g.index)).toEqual([0, 1]);
    expect(a.allocate('sim-gpu-node-1', 'u2', 'ns/p2', 1)!.gpus.map((g) => g.index)).toEqual([2]);
    expect(a.allocate('sim-gpu-node-1', 'u3', 'ns/p3', 2)).toBeUndefined();
    let released = 0;
    a.onRelease(() => released++);
    expect(a.release('u1')).toBe(true);
    expect(a.release('u1')).toBe(false);
    expect(released).toBe(1);
    expect(a.allocate('sim-gpu-node-1', 'u4', 'ns/p4', 1)!.gpus[0]).toEqual(nodes[0]!.gpus[0]);
    expect(a.allocate('sim-gpu-node-1', 'u4', 'ns/p4', 1)!.gpus[0]!.index).toBe(0);
    expect(a.snapshot()[0]!.gpus.map((g) => g.pod)).toEqual(['ns/p4', null, 'ns/p2', null]);
  });

  it('random picks replay by seed and never hand out a held GPU', () => {
    const pick = (seed: number) => {
      const a = new GpuAllocator(nodes, 'random', seed);
      return Array.from({ length: 8 }, (_, i) => {
        const node = a.chooseNode(nodes.map((n) => n.name).filter((n) => a.free(n).length > 0))!;
        return `${node}/${a.allocate(node, `u${i}`, `p${i}`, 1)!.gpus[0]!.index}`;
      });
    };
    const first = pick(4);
    expect(new Set(first).size).toBe(8);
    expect(pick(4)).toEqual(first);
    expect(pick(5)).not.toEqual(first);
  });

  it('words the unschedulable message as kube-scheduler does', () => {
    expect(unschedulableMessage(3, ['Insufficient nvidia.com/gpu', "node(s) didn't match Pod's node affinity/selector", 'Insufficient nvidia.com/gpu'])).toBe(
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });
});
