/**
 * What the simulated node components share: the store, the clock and timing model, the nodes
 * and their GPU ledger, container logs, the event recorder, and the registry of running vLLM
 * servers (for GPU memory as `nvidia-smi` would report it, and for `/sim/state`).
 */
import type { ClusterClock } from '../clock.ts';
import type { Store } from '../store-types.ts';
import type { SimProfileName } from '../../vllm/options.ts';
import type { ContainerLogs, LogBuffer } from './container-log.ts';
import type { EventRecorder } from './events.ts';
import type { GpuAllocator } from './gpu-allocator.ts';
import type { GpuRef, NodeSpec } from './nodes.ts';
import type { TimingModel } from './timing.ts';
import type { ContainerSpec } from './pod-spec.ts';
import type { KObject } from '../store-types.ts';

/** How the in-cluster vLLM simulators are configured (besides what their command line says). */
export interface VllmSimSettings {
  /** Tokenizer of the simulated servers (`words` loads at once; `qwen3` is exact for Qwen3). */
  tokenizer: 'words' | 'qwen3';
  /** Latency profile of the simulated servers. */
  profile: SimProfileName;
  /** GPU memory a sleeping instance keeps, in MiB. */
  sleepingMemoryMib: number;
}

/** The lifecycle of a simulated vLLM server (protocol 9.1: starting -> awake <-> sleeping, and stopped). */
export type VllmState = 'starting' | 'awake' | 'falling_asleep' | 'sleeping' | 'waking_up' | 'stopped';

/** A running vLLM server, as the registry sees it. */
export interface VllmServerEntry {
  /** `namespace/pod`. */
  pod: string;
  /** Container name. */
  container: string;
  /** Launcher instance ID, or null for a container that runs vLLM itself. */
  instanceId: string | null;
  node: string;
  host: string;
  port: number;
  /** GPUs it runs on. */
  gpus: GpuRef[];
  /** Served model names. */
  models: string[];
  state(): VllmState;
  /** GPU memory it holds on each of its GPUs, in MiB. */
  memoryMib(): number;
}

/** Everything the kubelet, scheduler and container processes share. */
export interface ClusterRuntime {
  readonly store: Store;
  readonly clock: ClusterClock;
  readonly timing: TimingModel;
  readonly nodes: readonly NodeSpec[];
  readonly allocator: GpuAllocator;
  readonly logs: ContainerLogs;
  readonly events: EventRecorder;
  /** Running vLLM servers. */
  readonly vllmServers: Set<VllmServerEntry>;
  readonly vllm: VllmSimSettings;
  /** Total memory of each GPU, in MiB. */
  readonly gpuMemoryMib: number;
  /** Seed for per-process RNG streams. */
  readonly seed: number;
  /**
   * Processes the simulator itself provides for some containers, keyed `namespace/pod/container`
   * (the emulated controllers' pods serve their metrics this way).
   */
  readonly processes: Map<string, ContainerBehaviour>;
  /** Where harness containers run and what their volumes are (see `harness-process.ts`). */
  readonly harness: HarnessSettings;
}

/** Settings of harness containers (real child processes) and of images that cannot be pulled. */
export interface HarnessSettings {
  /** The folder that stands for the harness image's `/app` (the working directory by default). */
  readonly root: string;
  /** Where PersistentVolumeClaim `C` of namespace `N` lives: `<pvRoot>/<N>/<C>`. */
  readonly pvRoot: string;
  /** Per-pod folders (configMap, secret and emptyDir volumes, the container's `/tmp`). */
  readonly podsRoot: string;
  /** Image references that cannot be pulled (exact match). */
  readonly missingImages: ReadonlySet<string>;
  /** Running harness child processes, for `/sim/state`. */
  readonly live: Set<{ namespace: string; pod: string; container: string; pid: number }>;
}

/** What a container process gets from the kubelet when it starts. */
export interface ContainerContext {
  readonly runtime: ClusterRuntime;
  /** The pod as it was when the container started. */
  readonly pod: KObject;
  readonly container: ContainerSpec;
  readonly podIP: string;
  readonly hostIP: string;
  readonly nodeName: string;
  /** Resolved environment (downward API and `$(VAR)` expanded). */
  readonly env: Readonly<Record<string, string>>;
  /** Command and args with `$(VAR)` expanded. */
  readonly argv: readonly string[];
  /** GPUs visible inside the container (`nvidia-smi` lists these). */
  readonly gpus: readonly GpuRef[];
  /** The container log. */
  readonly log: LogBuffer;
  /** The process ended on its own with this exit code (the kubelet then applies the restart policy); `detail` overrides the terminated reason (`StartError`). */
  exited(code: number, detail?: { reason: string; message: string }): void;
}

/** A simulated container process. */
export interface ContainerProcess {
  /** SIGTERM: stops serving and releases its ports; resolves when it has exited. */
  stop(): Promise<void>;
  /** Real processes: SIGTERM, SIGKILL after `graceMs` of cluster time; resolves when it has exited. */
  terminate?(graceMs: number): Promise<void>;
  /** Real processes: SIGKILL now; resolves when it has exited. */
  kill?(): Promise<void>;
  /** Real processes: the exit code once it has exited (128 + signal number when killed). */
  exitCode?(): number | undefined;
  /** Real processes: the operating system's process id. */
  readonly pid?: number;
}

/** Starts the process of a container kind. */
export type ContainerBehaviour = (ctx: ContainerContext) => ContainerProcess;

/** GPU memory used on one GPU by every vLLM server on it, in MiB (what `nvidia-smi --query-gpu=memory.used` shows). */
export function gpuMemoryUsedMib(runtime: ClusterRuntime, uuid: string): number {
  let used = 0;
  for (const s of runtime.vllmServers) if (s.gpus.some((g) => g.uuid === uuid)) used += s.memoryMib();
  return Math.round(used);
}
