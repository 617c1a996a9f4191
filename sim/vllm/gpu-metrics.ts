/**
 * DCGM-style GPU series for the simulator's `/metrics`, modeled from state the simulator already
 * has and computed only at scrape time (see the README, "GPU series"):
 *
 * - `DCGM_FI_DEV_GPU_UTIL` (%, integer 0-100): with `r` the mean number of running sequences
 *   since the previous scrape (at most the last 10 s), `100 x min(1, r) x (0.5 + 0.5 x min(1, r / max_num_seqs))`:
 *   0 when idle, about 50 % with one sequence decoding, 100 % with a full batch;
 * - `DCGM_FI_DEV_FB_USED` (MiB): `residual_memory_gib`, plus `model_memory_gib` while the weights
 *   are awake, plus the KV-cache memory x `vllm:kv_cache_usage_perc` while the KV cache is awake
 *   (as if blocks were allocated on demand; real vLLM reserves the whole pool at start);
 * - `DCGM_FI_DEV_FB_FREE` (MiB): `gpu_memory_mib` minus used;
 * - `DCGM_FI_DEV_POWER_USAGE` (W): 70 W idle plus 630 W x utilisation (an H100 SXM's 700 W board limit).
 *
 * Labels as NVIDIA's dcgm-exporter writes them: `gpu`, `UUID`, `device`, `modelName`, `Hostname`,
 * and with a `namespace` option `container`, `namespace`, `pod` (its Kubernetes pod mapping).
 */
import { hostname } from 'node:os';
import type { Scheduler, KvUsage } from './engine.ts';
import type { SimOptions } from './options.ts';
import type { GaugeChild, PromRegistry } from './prom-registry.ts';
import type { SleepSnapshot } from './sleep.ts';

/** Idle board power of the modeled GPU, in W. */
export const GPU_IDLE_POWER_W = 70;
/** Board power limit of the modeled GPU (H100 SXM), in W. */
export const GPU_MAX_POWER_W = 700;
/** The longest time the utilisation averages over, in ms. */
const MAX_AVERAGE_MS = 10_000;
/** Scrapes closer together than this reuse the previous utilisation (no meaningful average). */
const MIN_AVERAGE_MS = 50;
const MIB_PER_GIB = 1024;

/** What the GPU model reads at scrape time. */
export interface GpuModelInputs {
  options: () => SimOptions;
  scheduler: Scheduler;
  kv: KvUsage;
  sleep: () => SleepSnapshot;
  /** GPU memory of the KV cache when fully used, in GiB. */
  kvCacheGiB: () => number;
}

/** The DCGM exporter's label values for one modeled GPU. */
export function dcgmLabels(o: SimOptions): Record<string, string> {
  const node = o.node_name ?? hostname();
  const labels: Record<string, string> = {
    gpu: String(o.gpu_index),
    UUID: o.gpu_uuid ?? derivedUuid(`${node}/${o.pod_name}/${o.gpu_index}`),
    device: `nvidia${o.gpu_index}`,
    modelName: o.gpu_model_name,
    Hostname: node,
  };
  if (o.namespace !== null) Object.assign(labels, { container: o.container_name, namespace: o.namespace, pod: o.pod_name });
  return labels;
}

/** Registers the four DCGM families on `registry`, refreshed by a collect hook before each scrape. */
export function registerGpuMetrics(registry: PromRegistry, inputs: GpuModelInputs): void {
  const labels = dcgmLabels(inputs.options());
  const names = Object.keys(labels);
  const values = Object.values(labels);
  const gauge = (name: string, help: string): GaugeChild => registry.gauge(name, help, names).labels(...values);
  const util = gauge('DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).');
  const used = gauge('DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).');
  const free = gauge('DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).');
  const power = gauge('DCGM_FI_DEV_POWER_USAGE', 'Power draw (in W).');
  let lastMs = performance.now();
  let lastIntegral = inputs.scheduler.runningIntegralMs(lastMs);
  let lastUtil = 0;
  registry.onCollect(() => {
    const o = inputs.options();
    const now = performance.now();
    const integral = inputs.scheduler.runningIntegralMs(now);
    const elapsed = now - lastMs;
    if (elapsed >= MIN_AVERAGE_MS) {
      // Mean batch size since the previous scrape; a long gap counts as its last 10 s at the current load.
      const mean = elapsed > MAX_AVERAGE_MS ? inputs.scheduler.running : (integral - lastIntegral) / elapsed;
      lastUtil = utilizationPct(mean, inputs.scheduler.maxNumSeqs);
      lastMs = now;
      lastIntegral = integral;
    }
    const usedMib = Math.round(usedGiB(o, inputs) * MIB_PER_GIB);
    util.set(lastUtil);
    used.set(usedMib);
    free.set(Math.max(0, Math.round(o.gpu_memory_mib - usedMib)));
    power.set(Math.round((GPU_IDLE_POWER_W + ((GPU_MAX_POWER_W - GPU_IDLE_POWER_W) * lastUtil) / 100) * 1000) / 1000);
  });
}

/** Modeled GPU utilisation in % (integer) for a mean of `running` sequences out of `maxNumSeqs` slots. */
export function utilizationPct(running: number, maxNumSeqs: number): number {
  if (!(running > 0)) return 0;
  const busy = Math.min(1, running);
  const batch = Math.min(1, running / Math.max(1, maxNumSeqs));
  return Math.round(100 * busy * (0.5 + 0.5 * batch));
}

/** Framebuffer in use, in GiB: residual, weights while awake, KV cache in use while awake. */
function usedGiB(o: SimOptions, inputs: GpuModelInputs): number {
  const asleep = new Set(inputs.sleep().sleepingTags);
  let gib = o.residual_memory_gib;
  if (!asleep.has('weights')) gib += o.model_memory_gib;
  if (!asleep.has('kv_cache')) gib += inputs.kvCacheGiB() * inputs.kv.usage;
  return gib;
}

/** A stable `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` from a seed string (FNV-1a, 4 rounds). */
function derivedUuid(seed: string): string {
  let hex = '';
  for (let round = 0; round < 4; round++) {
    let h = 0x811c9dc5 ^ round;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
    hex += (h >>> 0).toString(16).padStart(8, '0');
  }
  return `GPU-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
