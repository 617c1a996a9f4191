/**
 * The container behaviour for a container that runs vLLM itself (a direct provider made by the
 * dual-pods controller, or a plain vLLM pod: "cold start without FMA"), and the GPU visibility
 * rules shared with the launcher.
 */
import { commandWords, parseVllmArgs } from './command-line.ts';
import type { GpuRef } from './nodes.ts';
import type { ContainerBehaviour, ContainerProcess } from './runtime.ts';
import { SimulatedVllm } from './vllm-process.ts';

/**
 * GPUs a CUDA program in the container sees, in CUDA index order. The base set is what the
 * device plugin mounted (the pod's allocation), or every GPU of the node when the container sets
 * `NVIDIA_VISIBLE_DEVICES=all` or `CUDA_VISIBLE_DEVICES` without an allocation (a direct provider
 * with its GPU limit forced to 0, protocol 2.4). `CUDA_VISIBLE_DEVICES` then selects from that set
 * by index or by UUID.
 */
export function cudaDevices(nodeGpus: readonly GpuRef[], allocated: readonly GpuRef[], env: Readonly<Record<string, string>>): GpuRef[] {
  const cvd = env.CUDA_VISIBLE_DEVICES;
  const base = allocated.length > 0 ? [...allocated] : env.NVIDIA_VISIBLE_DEVICES === 'all' || cvd !== undefined ? [...nodeGpus] : [];
  if (cvd === undefined || cvd.trim() === '') return base;
  const out: GpuRef[] = [];
  for (const item of cvd.split(',').map((s) => s.trim())) {
    const g = /^\d+$/.test(item) ? base[Number(item)] : base.find((b) => b.uuid === item);
    // CUDA stops enumerating at the first invalid entry.
    if (!g) break;
    out.push(g);
  }
  return out;
}

/** GPUs visible to a container as `nvidia-smi` lists them (the device plugin's view, before `CUDA_VISIBLE_DEVICES`). */
export function mountedGpus(nodeGpus: readonly GpuRef[], allocated: readonly GpuRef[], env: Readonly<Record<string, string>>): GpuRef[] {
  if (allocated.length > 0) return [...allocated];
  return env.NVIDIA_VISIBLE_DEVICES === 'all' ? [...nodeGpus] : [];
}

/** Starts a container that runs `vllm serve`: its HTTP port opens after the modelled load time. */
export const startVllmContainer: ContainerBehaviour = (ctx): ContainerProcess => {
  const args = parseVllmArgs(commandWords(ctx.argv));
  const nodeGpus = ctx.runtime.allocator.gpusOf(ctx.nodeName);
  const allocated = ctx.runtime.allocator.of(ctx.pod.metadata.uid ?? '')?.gpus ?? [];
  const vllm = new SimulatedVllm({
    runtime: ctx.runtime,
    host: ctx.podIP,
    args,
    devMode: ctx.env.VLLM_SERVER_DEV_MODE === '1',
    loadMs: ctx.runtime.timing.draw('vllmLoadMs'),
    log: ctx.log,
    owner: { pod: `${ctx.pod.metadata.namespace}/${ctx.pod.metadata.name}`, container: ctx.container.name, instanceId: null, node: ctx.nodeName },
    visibleGpus: cudaDevices(nodeGpus, allocated, ctx.env),
    podName: ctx.pod.metadata.name ?? '',
    // vLLM exits when its port cannot be bound.
    onCrash: () => ctx.exited(1),
  });
  return { stop: () => vllm.stop() };
};
