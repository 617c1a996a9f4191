/**
 * A simulated vLLM server inside the cluster: a container that runs `vllm serve` (a direct
 * provider or a plain vLLM pod) or an instance a launcher created. It is the embedded vLLM
 * simulator (`startSimServer`) bound to `<podIP>:<--port>`, with every duration on the cluster's
 * time scale, and it **refuses connections while it starts** (protocol 9.1: the dual-pods
 * controller polls `/is_sleeping` and must see connection refused until the server is up).
 *
 * Sleep mode (`/sleep`, `/wake_up`, `/is_sleeping`) exists only with `--enable-sleep-mode` and
 * `VLLM_SERVER_DEV_MODE=1`, as in vLLM, and takes the timing model's `sleepMs` / `wakeMs`. GPU
 * memory follows vLLM's allocation: an awake server holds `--gpu-memory-utilization` (default
 * 0.9) of each GPU it uses (weights plus a KV cache sized to fill it), a sleeping one keeps only
 * its residual (CUDA context and buffers); its log says so in vLLM's words.
 */
import { startSimServer, type SimInstance } from '../../vllm/server.ts';
import type { SimOptionsInput } from '../../vllm/options.ts';
import type { VllmServeArgs } from './command-line.ts';
import type { LogBuffer } from './container-log.ts';
import type { GpuRef } from './nodes.ts';
import type { ClusterRuntime, VllmServerEntry, VllmState } from './runtime.ts';

/** How to start one simulated vLLM server. */
export interface VllmStart {
  runtime: ClusterRuntime;
  /** Address to bind: the pod IP. */
  host: string;
  /** Its command-line flags. */
  args: VllmServeArgs;
  /** `VLLM_SERVER_DEV_MODE=1` in its environment. */
  devMode: boolean;
  /** Cluster ms from start until the HTTP server accepts connections. */
  loadMs: number;
  /** Where its log lines go (the container log, or the launcher instance log). */
  log: LogBuffer;
  /** `namespace/pod`, container name, launcher instance ID (null for a container), node. */
  owner: { pod: string; container: string; instanceId: string | null; node: string };
  /** The GPUs visible to it, in CUDA index order; it uses the first `--tensor-parallel-size`. */
  visibleGpus: readonly GpuRef[];
  /** Sent as `x-inference-pod`. */
  podName: string;
  /** Called when the process dies on its own (its port cannot be bound), not on stop(). */
  onCrash?: () => void;
}

/** GiB in MiB. */
const MIB_PER_GIB = 1024;
/** GPU memory of the weights, in GiB: Qwen3-0.6B in bf16 (the vLLM simulator's own default, whatever model is named). */
const MODEL_GIB = 1.11;

/** One simulated vLLM server process. */
export class SimulatedVllm implements VllmServerEntry {
  readonly pod: string;
  readonly container: string;
  readonly instanceId: string | null;
  readonly node: string;
  readonly host: string;
  readonly port: number;
  readonly gpus: GpuRef[];
  readonly models: string[];
  private instance: SimInstance | undefined;
  private stopped = false;
  private crashed = false;
  private readonly starting: Promise<void>;

  constructor(private readonly start: VllmStart) {
    this.pod = start.owner.pod;
    this.container = start.owner.container;
    this.instanceId = start.owner.instanceId;
    this.node = start.owner.node;
    this.host = start.host;
    this.port = start.args.port;
    this.gpus = start.visibleGpus.slice(0, Math.max(1, start.args.tensorParallelSize));
    this.models = start.args.servedModelNames;
    start.runtime.vllmServers.add(this);
    this.starting = this.launch();
  }

  /** The simulator's options: this server's flags, the cluster's time scale, and vLLM's memory use on these GPUs. */
  private simOptions(): SimOptionsInput {
    const { runtime, args, devMode } = this.start;
    const residualGiB = runtime.vllm.sleepingMemoryMib / MIB_PER_GIB;
    const modelGiB = MODEL_GIB;
    // vLLM sizes its KV cache to fill --gpu-memory-utilization of the GPU after the weights.
    const kvGiB = Math.max(0, (args.gpuMemoryUtilization * runtime.gpuMemoryMib) / MIB_PER_GIB - modelGiB - residualGiB);
    return {
      host: this.host,
      port: this.port,
      models: args.servedModelNames,
      tokenizer: runtime.vllm.tokenizer,
      profile: runtime.vllm.profile,
      time_scale: runtime.clock.timeScale,
      seed: runtime.seed,
      pod_name: this.start.podName,
      startup_ms: this.start.loadMs,
      dev_mode: devMode,
      enable_sleep_mode: args.enableSleepMode,
      sleep_ms: runtime.timing.draw('sleepMs'),
      wake_ms: runtime.timing.draw('wakeMs'),
      model_memory_gib: modelGiB,
      kv_cache_memory_gib: kvGiB,
      residual_memory_gib: residualGiB,
      ...(args.maxModelLen ? { max_model_len: args.maxModelLen } : {}),
    };
  }

  private async launch(): Promise<void> {
    const { runtime, log } = this.start;
    try {
      const instance = await startSimServer(this.simOptions(), {
        deferListen: true,
        wallClockMs: () => runtime.clock.nowMs(),
        onLog: (entry) => log.write(entry.line),
      });
      if (this.stopped) return void (await instance.close());
      this.instance = instance;
      await instance.ready;
    } catch (err) {
      if (this.stopped) return;
      this.crashed = true;
      if (!this.instance) log.write(`ERROR cannot start vLLM: ${(err as Error).message.split('\n')[0]}`);
      runtime.vllmServers.delete(this);
      this.start.onCrash?.();
    }
  }

  /** The server's lifecycle state. */
  state(): VllmState {
    if (this.stopped || this.crashed) return 'stopped';
    const s = this.instance?.state ?? 'starting';
    return s === 'dead' || s === 'closed' ? 'stopped' : s;
  }

  /** GPU memory held on each of its GPUs, in MiB (the simulator's model: residual, plus weights and KV cache while awake). */
  memoryMib(): number {
    if (this.stopped || this.crashed) return 0;
    return (this.instance?.gpuMemoryGiB() ?? this.start.runtime.vllm.sleepingMemoryMib / MIB_PER_GIB) * MIB_PER_GIB;
  }

  /** SIGTERM: stops loading or serving; resolves when the port is closed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.start.runtime.vllmServers.delete(this);
    await this.instance?.close();
    await this.starting;
  }
}
