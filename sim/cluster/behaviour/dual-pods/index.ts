/**
 * The emulated llm-d fast-model-actuation dual-pods controller and launcher populator
 * (reference/dual-pods-protocol.md section 9.3), running inside the cluster simulator. It talks
 * to the cluster only through the {@link Store} (watches, reads, writes with API latency) and to
 * Pods only over real HTTP to their IPs: the requester's SPI, vLLM's sleep API, the launcher's
 * REST API. Its klog lines and Prometheus metrics are those of the real controller (section 3).
 *
 * ```ts
 * const dpc = startDualPodsController({ store, clock, namespace: 'default', options: { sleeperLimit: 1 } });
 * // later: dpc.logText() (served as the controller Pod's log), dpc.metricsText() (its :8002/metrics)
 * dpc.stop();
 * ```
 *
 * The composer creates the `gpu-map` ConfigMap from its nodes with {@link gpuMapConfigMap}.
 */
import { Agent } from 'node:http';
import type { ClusterClock } from '../../clock.ts';
import type { Store } from '../../store-types.ts';
import { wireController } from './controller.ts';
import { DpcCore } from './controller-core.ts';
import { dualPodsKeys } from './keys.ts';
import { KlogBuffer } from './klog.ts';
import { DualPodsMetrics } from './metrics.ts';
import { DualPodsOptionsSchema, type DualPodsOptionsInput } from './options.ts';
import { LauncherPopulator } from './populator.ts';
import { createTimers, type Runtime } from './runtime.ts';

export { gpuMapConfigMap, type NodeGpus } from './gpu-map.ts';
export { dualPodsKeys, type DualPodsKeys } from './keys.ts';
export { DualPodsOptionsSchema, type DualPodsOptions, type DualPodsOptionsInput } from './options.ts';

/** What {@link startDualPodsController} needs. */
export interface DualPodsControllerInput {
  /** The cluster's object store. */
  store: Store;
  /** Cluster time (every delay, timeout and timestamp of the controller). */
  clock: ClusterClock;
  /** The one namespace the controller watches (as the real one, section 2.4). */
  namespace: string;
  /** Controller options (defaults as the Helm chart). */
  options?: DualPodsOptionsInput;
  /** Latency of one API write in cluster ms, e.g. the timing model's `apiWriteMs()`; default `options.apiWriteMs`. */
  apiWriteMs?: () => number;
}

/** A running controller. */
export interface DualPodsController {
  /** Stops watching, cancels every timer and aborts in-flight HTTP calls. Idempotent. */
  stop(): void;
  /** The controller's klog output (the log of its Pod). */
  logText(): string;
  /** The launcher populator's klog output (empty when disabled). */
  populatorLogText(): string;
  /** The controller's Prometheus exposition text (`:8002/metrics`). */
  metricsText(): string;
}

/** Starts the controller (and the populator unless disabled). Throws a zod error on bad options. */
export function startDualPodsController({ store, clock, namespace, options, apiWriteMs }: DualPodsControllerInput): DualPodsController {
  const opts = DualPodsOptionsSchema.parse(options ?? {});
  const abort = new AbortController();
  const timers = createTimers(clock, abort.signal);
  const agent = new Agent({ keepAlive: false });
  const rt: Runtime = {
    store,
    clock,
    namespace,
    options: opts,
    keys: dualPodsKeys(opts.legacyNaming),
    metrics: new DualPodsMetrics(),
    log: new KlogBuffer(opts.logLimitLines, opts.verbosity, () => clock.nowMs()),
    agent,
    signal: abort.signal,
    apiWriteMs: apiWriteMs ?? (() => opts.apiWriteMs),
    after: timers.after,
    sleep: timers.sleep,
  };
  const core = new DpcCore(rt);
  const populator = opts.populator.enabled ? new LauncherPopulator(rt) : undefined;
  const unsubscribe = wireController(rt, core, populator);
  return {
    stop() {
      if (abort.signal.aborted) return;
      abort.abort();
      rt.log.close();
      populator?.log.close();
      for (const u of unsubscribe) u();
      timers.cancelAll();
      agent.destroy();
    },
    logText: () => rt.log.text(),
    populatorLogText: () => populator?.log.text() ?? '',
    metricsText: () => rt.metrics.text(),
  };
}
