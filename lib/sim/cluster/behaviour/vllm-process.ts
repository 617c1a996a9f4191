/**
 * A simulated vLLM server inside the cluster: a container that runs `vllm serve` (a direct
 * provider or a plain vLLM pod) or an instance a launcher created. It is the embedded vLLM
 * simulator (`startSimServer`) bound to `<podIP>:<--port>`, with every duration on the cluster's
 * time scale, and it **refuses connections while it starts** (protocol 9.1: the dual-pods
 * controller polls `/is_sleeping` and must see connection refused until the server is up).
 *
 * Sleep mode (`/sleep`, `/wake_up`, `/is_sleeping`) exists only with `--enable-sleep-mode` and
 * `VLLM_SERVER_DEV_MODE=1`, as in vLLM. GPU memory follows vLLM's allocation: an awake server
 * holds `--gpu-memory-utilization` (default 0.9) of each GPU it uses, a sleeping one keeps only
 * its residual (CUDA context and buffers).
 */
import { startSimServer, type SimServer } from '../../vllm/server.ts';
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
  private server: SimServer | undefined;
  private cancelLoad: (() => void) | undefined;
  private stopped = false;
  private readonly startedAtMs: number;

  constructor(private readonly start: VllmStart) {
    this.pod = start.owner.pod;
    this.container = start.owner.container;
    this.instanceId = start.owner.instanceId;
    this.node = start.owner.node;
    this.host = start.host;
    this.port = start.args.port;
    this.gpus = start.visibleGpus.slice(0, Math.max(1, start.args.tensorParallelSize));
    this.models = start.args.servedModelNames;
    this.startedAtMs = start.runtime.clock.nowMs();
    start.runtime.vllmServers.add(this);
    this.logLine(`vLLM API server version 0.11.0 (simulated) model=${start.args.model} port=${this.port} enable_sleep_mode=${start.args.enableSleepMode} dev_mode=${start.devMode}`);
    this.logLine(`CUDA devices: ${this.gpus.map((g) => `${g.index} (${g.uuid})`).join(', ') || 'none'}; loading model, ready in ~${(start.loadMs / 1000).toFixed(1)} s of cluster time`);
    this.cancelLoad = start.runtime.clock.after(start.loadMs, () => {
      this.cancelLoad = undefined;
      void this.listen();
    });
  }

  private logLine(message: string): void {
    this.start.log.write(`INFO ${this.start.runtime.clock.microTimestamp()} [api_server.py] ${message}`);
  }

  private async listen(): Promise<void> {
    const { runtime, args, devMode } = this.start;
    const options: SimOptionsInput = {
      host: this.host,
      port: this.port,
      models: args.servedModelNames,
      tokenizer: runtime.vllm.tokenizer,
      profile: runtime.vllm.profile,
      time_scale: runtime.clock.timeScale,
      seed: runtime.seed,
      pod_name: this.start.podName,
      ...(args.maxModelLen ? { max_model_len: args.maxModelLen } : {}),
    };
    try {
      const server = await startSimServer(options);
      if (this.stopped) return void (await server.close());
      this.server = server;
      const secs = (runtime.clock.nowMs() - this.startedAtMs) / 1000;
      this.logLine(`Model loaded and HTTP server up after ${secs.toFixed(2)} s; Starting vLLM API server on ${server.url}`);
      this.start.log.write('INFO:     Application startup complete.');
    } catch (err) {
      this.logLine(`ERROR cannot start the HTTP server: ${(err as Error).message.split('\n')[0]}`);
      this.stopped = true;
      runtime.vllmServers.delete(this);
      this.start.onCrash?.();
    }
  }

  /** The server's lifecycle state. */
  state(): VllmState {
    if (this.stopped) return 'stopped';
    if (!this.server) return 'starting';
    return this.isSleeping() ? 'sleeping' : 'awake';
  }

  private isSleeping(): boolean {
    const s = this.server as (SimServer & { sleepState?: () => { isSleeping: boolean } }) | undefined;
    return Boolean(s?.sleepState?.().isSleeping);
  }

  /** GPU memory held on each of its GPUs, in MiB. */
  memoryMib(): number {
    if (this.stopped) return 0;
    if (this.isSleeping()) return this.start.runtime.vllm.sleepingMemoryMib;
    return this.start.args.gpuMemoryUtilization * this.start.runtime.gpuMemoryMib;
  }

  /** SIGTERM: stops loading or serving; resolves when the port is closed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelLoad?.();
    this.start.runtime.vllmServers.delete(this);
    const server = this.server;
    this.server = undefined;
    if (server) {
      this.logLine('Shutting down FastAPI HTTP server.');
      await server.close();
    }
  }
}
