/**
 * Per-node work queues (protocol section 2.4 "Work queues are per node"; section 3 timing
 * details). Items of one node are processed one at a time, nodes in parallel. An item that asks
 * for a retry comes back after a fixed delay when it names one (the 5 s `/is_sleeping` retry)
 * or else after a per-item exponential back-off (base doubling per failure, capped at 20 s);
 * success resets the back-off. Adding an item that is already waiting pulls it forward to now
 * (`nodeData.add`, FMA PR #696), so any event on a requester or provider cuts a wait short.
 */
import type { KLogger } from './klog.ts';
import { StoppedError, type Runtime } from './runtime.ts';

/** What processing an item returns (`processResult`). */
export interface ProcessResult {
  err?: unknown;
  retry?: boolean;
  /** Fixed retry delay in cluster ms, bypassing the exponential back-off. */
  retryAfterMs?: number;
}

/** A unit of work on one node. */
export interface WorkItem {
  /** Identity within the node's queue (`inf:<uid>`, `launcher:<name>`, `gc:<isc>`). */
  readonly key: string;
  process(): Promise<ProcessResult>;
}

interface Pending {
  item: WorkItem;
  readyAt: number;
}

/** The queue of one node. */
export class NodeQueue {
  private readonly pending = new Map<string, Pending>();
  private readonly failures = new Map<string, number>();
  private running = false;
  private timer: { at: number; cancel: () => void } | undefined;

  constructor(
    readonly node: string,
    private readonly rt: Runtime,
    private readonly logger: KLogger,
  ) {}

  /** Enqueues now, pulling a delayed item forward. */
  add(item: WorkItem): void {
    this.enqueueAt(item, this.rt.clock.nowMs());
  }

  /** Enqueues after `delayMs` unless it is already due sooner. */
  addAfter(item: WorkItem, delayMs: number): void {
    this.enqueueAt(item, this.rt.clock.nowMs() + delayMs);
  }

  /** Keys waiting (for tests and diagnostics). */
  keys(): string[] {
    return [...this.pending.keys()];
  }

  private enqueueAt(item: WorkItem, at: number): void {
    if (this.rt.signal.aborted) return;
    const existing = this.pending.get(item.key);
    this.pending.set(item.key, { item, readyAt: existing ? Math.min(existing.readyAt, at) : at });
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.pending.size === 0 || this.rt.signal.aborted) return;
    const earliest = Math.min(...[...this.pending.values()].map((p) => p.readyAt));
    if (this.timer && this.timer.at <= earliest) return;
    this.timer?.cancel();
    const delay = Math.max(0, earliest - this.rt.clock.nowMs());
    this.timer = { at: earliest, cancel: this.rt.after(delay, () => void this.run()) };
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.running || this.rt.signal.aborted) return;
    this.running = true;
    try {
      const now = this.rt.clock.nowMs();
      const ready = [...this.pending.values()].filter((p) => p.readyAt <= now).sort((a, b) => a.readyAt - b.readyAt);
      for (const p of ready) this.pending.delete(p.item.key);
      for (const { item } of ready) {
        if (this.rt.signal.aborted) return;
        let result: ProcessResult;
        try {
          result = await item.process();
        } catch (err) {
          if (err instanceof StoppedError || this.rt.signal.aborted) return;
          result = { err, retry: true };
        }
        if (this.rt.signal.aborted) return;
        this.settle(item, result);
      }
    } finally {
      this.running = false;
    }
    this.schedule();
  }

  private settle(item: WorkItem, { err, retry, retryAfterMs }: ProcessResult): void {
    const log = this.logger.with('node', this.node);
    if (err !== undefined) {
      if (retry) log.info(0, 'Processing node local item suffered transient error, will retry', 'item', item.key, 'err', err instanceof Error ? err.message : String(err), 'retryAfter', retryAfterMs === undefined ? '0s' : `${retryAfterMs / 1000}s`);
      else log.error(err, 'Processing node local item failed', 'item', item.key);
    }
    if (!retry) {
      this.failures.delete(item.key);
      return;
    }
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      this.failures.delete(item.key);
      this.addAfter(item, retryAfterMs);
      return;
    }
    const n = this.failures.get(item.key) ?? 0;
    this.failures.set(item.key, n + 1);
    this.addAfter(item, Math.min(this.rt.options.backoffBaseMs * 2 ** n, this.rt.options.backoffMaxMs));
  }
}
