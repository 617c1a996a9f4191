import type { ClusterClock } from '../clock.ts';
import { StoreError } from '../store-types.ts';

/**
 * The work queue of a controller, as client-go's: keys (`namespace/name`) are added from watch
 * callbacks, deduplicated, and synced in a batch on the next turn of the event loop, so one burst
 * of events costs one sync per key. A sync that fails with an API error is retried with
 * exponential back-off in cluster time (5 ms doubling up to 1000 s, client-go's default rate
 * limiter); any other exception is a bug and is rethrown so it surfaces in the test that caused it.
 */

/** Base and cap of the retry back-off, in cluster milliseconds (client-go's exponential failure rate limiter). */
export const RETRY_BASE_MS = 5;
export const RETRY_MAX_MS = 1_000_000;

/** A deduplicating, batching queue of keys with per-key retry. */
export class WorkQueue {
  private readonly pending = new Set<string>();
  private immediate: NodeJS.Immediate | undefined;
  private readonly delayed = new Map<string, () => void>();
  private readonly failures = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly clock: ClusterClock,
    private readonly sync: (key: string) => void,
  ) {}

  /** Queues `key` for the next batch. */
  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    this.immediate ??= setImmediate(() => this.run());
  }

  /** Queues `key` after `clusterMs` of cluster time (replacing an earlier delayed add of the key). */
  addAfter(key: string, clusterMs: number): void {
    if (this.stopped) return;
    this.delayed.get(key)?.();
    this.delayed.set(
      key,
      this.clock.after(clusterMs, () => {
        this.delayed.delete(key);
        this.add(key);
      }),
    );
  }

  private run(): void {
    this.immediate = undefined;
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) {
      if (this.stopped) return;
      try {
        this.sync(key);
        this.failures.delete(key);
      } catch (err) {
        if (!(err instanceof StoreError)) {
          queueMicrotask(() => {
            throw err;
          });
          continue;
        }
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        this.addAfter(key, Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (n - 1)));
      }
    }
  }

  /** Stops: nothing queued runs, retry timers are cancelled. */
  stop(): void {
    this.stopped = true;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    for (const cancel of this.delayed.values()) cancel();
    this.delayed.clear();
    this.pending.clear();
  }
}

/** `namespace/name` of an object. */
export function objectKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

/** Splits an {@link objectKey}. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
