/**
 * What every part of the controller shares: the store, the cluster clock, the options, the key
 * set, the metrics, the log, the HTTP agent, and the stop signal. Waiting is done only through
 * {@link Runtime.sleep} and timers only through {@link Runtime.after}, so `stop()` cancels all
 * of them.
 */
import type { Agent } from 'node:http';
import type { ClusterClock } from '../../clock.ts';
import type { Store } from '../../store-types.ts';
import type { DualPodsKeys } from './keys.ts';
import type { KlogBuffer } from './klog.ts';
import type { DualPodsMetrics } from './metrics.ts';
import type { DualPodsOptions } from './options.ts';

/** Raised inside the controller when `stop()` interrupts a wait or a call. */
export class StoppedError extends Error {
  constructor() {
    super('dual-pods controller stopped');
    this.name = 'StoppedError';
  }
}

/** The shared state of one running controller. */
export interface Runtime {
  readonly store: Store;
  readonly clock: ClusterClock;
  readonly namespace: string;
  readonly options: DualPodsOptions;
  readonly keys: DualPodsKeys;
  readonly metrics: DualPodsMetrics;
  readonly log: KlogBuffer;
  readonly agent: Agent;
  /** Aborted by `stop()`. */
  readonly signal: AbortSignal;
  /** Latency of one API write, in cluster ms. */
  apiWriteMs(): number;
  /** Runs `fn` after `clusterMs`; the returned function cancels; `stop()` cancels all. */
  after(clusterMs: number, fn: () => void): () => void;
  /** Resolves after `clusterMs`, rejects with {@link StoppedError} on `stop()`. */
  sleep(clusterMs: number): Promise<void>;
}

/** Builds the `after`/`sleep` pair over a clock, tracking timers so they can all be cancelled. */
export function createTimers(clock: ClusterClock, signal: AbortSignal): { after: Runtime['after']; sleep: Runtime['sleep']; cancelAll(): void } {
  const cancels = new Set<() => void>();
  const after = (clusterMs: number, fn: () => void): (() => void) => {
    if (signal.aborted) return () => {};
    const cancelTimer = clock.after(clusterMs, () => {
      cancels.delete(cancel);
      fn();
    });
    const cancel = () => {
      cancelTimer();
      cancels.delete(cancel);
    };
    cancels.add(cancel);
    return cancel;
  };
  const sleep = (clusterMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new StoppedError());
      const onAbort = () => {
        cancel();
        reject(new StoppedError());
      };
      const cancel = after(clusterMs, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  return {
    after,
    sleep,
    cancelAll() {
      for (const c of [...cancels]) c();
    },
  };
}
