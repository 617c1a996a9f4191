/**
 * The launcher's instance manager (`VllmMultiProcessManager` in FMA's `launcher.py`): named vLLM
 * instances, one monotonically increasing revision stamped on every CREATED / STOPPED / DELETED
 * event, and the event buffer behind `GET /v2/vllm/instances/watch`. Each instance is a
 * {@link SimulatedVllm} whose HTTP port opens `instanceCreateMs` after the create call
 * (modules are preloaded, so only the model load remains). `status: running` means only that
 * the process is alive, exactly as in the launcher.
 */
import { randomUUID } from 'node:crypto';
import { LogBuffer } from './container-log.ts';
import { commandWords, parseVllmArgs } from './command-line.ts';
import type { GpuRef } from './nodes.ts';
import type { ContainerContext } from './runtime.ts';
import { SimulatedVllm } from './vllm-process.ts';

/** The body of a create call (`VllmConfig`). */
export interface VllmConfig {
  options: string;
  gpu_uuids?: string[];
  env_vars?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** An instance state as the launcher serialises it. */
export type InstanceState = { status: string; instance_id: string; revision: number } & VllmConfig & { exit_code?: number };

/** A watch event (`CREATED`, `STOPPED`, `DELETED`). */
export interface InstanceEvent {
  type: 'CREATED' | 'STOPPED' | 'DELETED';
  object: InstanceState;
}

/** The launcher keeps at most this many watch events (`_MAX_BROADCASTER_EVENTS`). */
const MAX_EVENTS = 1000;

interface Instance {
  id: string;
  config: VllmConfig;
  vllm: SimulatedVllm;
  log: LogBuffer;
  revision: number;
  stopReported: boolean;
}

/** Thrown for a create with an ID that exists (the API answers 409). */
export class InstanceExists extends Error {}
/** Thrown for a GPU UUID the node does not have (the API answers 500, like GpuTranslator). */
export class UnknownGpu extends Error {}

/** The instances of one launcher process. */
export class InstanceManager {
  private readonly instances = new Map<string, Instance>();
  private rev = 0;
  private readonly events: InstanceEvent[] = [];
  private readonly watchers = new Set<(e: InstanceEvent) => void>();

  constructor(
    private readonly ctx: ContainerContext,
    private readonly logLine: (message: string) => void,
  ) {}

  /** The current revision. */
  get revision(): number {
    return this.rev;
  }

  /** Exclusive lower bound of the revisions still in the event buffer. */
  get oldestRevision(): number {
    return this.rev - this.events.length;
  }

  private publish(type: InstanceEvent['type'], object: InstanceState): void {
    const e = { type, object };
    this.events.push(e);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    for (const w of this.watchers) w(e);
  }

  private state(i: Instance): InstanceState {
    return { status: i.vllm.state() === 'stopped' ? 'stopped' : 'running', instance_id: i.id, revision: i.revision, ...i.config };
  }

  private gpusFor(uuids: readonly string[] | undefined): GpuRef[] {
    const nodeGpus = this.ctx.runtime.allocator.gpusOf(this.ctx.nodeName);
    if (!uuids || uuids.length === 0) return [...this.ctx.gpus];
    return uuids.map((u) => {
      const g = nodeGpus.find((n) => n.uuid === u);
      if (!g) throw new UnknownGpu(`GPU UUID ${u} not found on node ${this.ctx.nodeName}`);
      return g;
    });
  }

  /** Creates and starts an instance (`POST` with a random ID, `PUT` with a given one). */
  create(input: VllmConfig, id: string = randomUUID()): InstanceState {
    if (this.instances.has(id)) {
      this.logLine(`WARNING - Rejecting request to create vLLM instance: id=${id} already exists`);
      throw new InstanceExists(`Instance with ID ${id} already exists`);
    }
    this.logLine(`INFO - Accepted request to create vLLM instance with id=${id}`);
    const gpus = this.gpusFor(input.gpu_uuids);
    const config: VllmConfig = { options: input.options };
    if (input.gpu_uuids) config.gpu_uuids = [...input.gpu_uuids];
    if (input.env_vars || input.gpu_uuids?.length) config.env_vars = { ...input.env_vars };
    if (input.gpu_uuids?.length) {
      const indices = gpus.map((g) => String(g.index));
      this.logLine(`INFO - Translated GPU UUIDs ${JSON.stringify(input.gpu_uuids)} to indices ${JSON.stringify(indices)}.`);
      config.env_vars!.CUDA_VISIBLE_DEVICES = indices.join(',');
    }
    if (input.annotations) config.annotations = { ...input.annotations };
    const env = { ...this.ctx.env, ...config.env_vars };
    const log = new LogBuffer(this.ctx.runtime.clock);
    log.write(`INFO - VLLM process (CUDA_VISIBLE_DEVICES: ${env.CUDA_VISIBLE_DEVICES ?? '<unset>'}) starting.`);
    const vllm = new SimulatedVllm({
      runtime: this.ctx.runtime,
      host: this.ctx.podIP,
      args: parseVllmArgs(commandWords([config.options])),
      devMode: env.VLLM_SERVER_DEV_MODE === '1',
      loadMs: this.ctx.runtime.timing.draw('instanceCreateMs'),
      log,
      owner: { pod: `${this.ctx.pod.metadata.namespace}/${this.ctx.pod.metadata.name}`, container: this.ctx.container.name, instanceId: id, node: this.ctx.nodeName },
      visibleGpus: gpus,
      podName: this.ctx.pod.metadata.name ?? '',
      // The launcher's sentinel watcher notices a child that died on its own (e.g. a port clash).
      onCrash: () => this.reportStopped(id),
    });
    const instance: Instance = { id, config, vllm, log, revision: ++this.rev, stopReported: false };
    this.instances.set(id, instance);
    const result = this.state(instance);
    this.publish('CREATED', result);
    return result;
  }

  private reportStopped(id: string): void {
    const i = this.instances.get(id);
    if (!i || i.stopReported) return;
    i.stopReported = true;
    i.revision = ++this.rev;
    this.publish('STOPPED', { ...this.state(i), exit_code: 1 });
  }

  /** The state of one instance, or undefined. */
  get(id: string): InstanceState | undefined {
    const i = this.instances.get(id);
    return i ? this.state(i) : undefined;
  }

  /** Every instance, in creation order. */
  list(): InstanceState[] {
    return [...this.instances.values()].map((i) => this.state(i));
  }

  /** The log of an instance, or undefined. */
  log(id: string): LogBuffer | undefined {
    return this.instances.get(id)?.log;
  }

  /** SIGTERM to the instance's process, waits for it (`instanceStopMs`), removes it; undefined if unknown. */
  async delete(id: string): Promise<InstanceState | undefined> {
    const i = this.instances.get(id);
    if (!i) return undefined;
    i.stopReported = true;
    await new Promise<void>((resolve) => this.ctx.runtime.clock.after(this.ctx.runtime.timing.draw('instanceStopMs'), resolve));
    await i.vllm.stop();
    if (this.instances.get(id) !== i) return undefined;
    i.revision = ++this.rev;
    const result = this.state(i);
    this.instances.delete(id);
    this.publish('DELETED', result);
    return result;
  }

  /** Subscribes to events after `since` (replayed first); undefined when `since` is older than the buffer. */
  watch(since: number, onEvent: (e: InstanceEvent) => void): (() => void) | undefined {
    if (since < this.oldestRevision) return undefined;
    for (const e of this.events) if (e.object.revision > since) onEvent(e);
    this.watchers.add(onEvent);
    return () => this.watchers.delete(onEvent);
  }

  /** Stops every instance at once (launcher shutdown). */
  async stopAll(): Promise<void> {
    this.watchers.clear();
    await Promise.all([...this.instances.values()].map((i) => i.vllm.stop()));
    this.instances.clear();
  }
}
