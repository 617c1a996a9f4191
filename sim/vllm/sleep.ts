import { QWEN3_06B_KV_BYTES_PER_TOKEN, type SimOptions } from './options.ts';
import type { PrefixCache } from './prefix-cache.ts';
import { LOG_SITES, pyList, pySet, type VllmLog } from './vllm-log.ts';
import type { VllmMetrics } from './vllm-metrics.ts';

/** vLLM's sleep-mode memory tags, in the order the simulator prints them. */
export const SLEEP_TAGS = ['weights', 'kv_cache'] as const;

/** A sleep-mode memory tag (`wake_up?tags=...`). */
export type SleepTag = (typeof SLEEP_TAGS)[number];

/** A sleep or wake operation of the engine, while it runs. */
export type SleepTransition = 'falling_asleep' | 'waking_up';

/** The sleep state as `GET /is_sleeping` and the `vllm:engine_sleep_state` gauge see it. */
export interface SleepSnapshot {
  /** What `/is_sleeping` answers: true from the end of a sleep until every tag is woken. */
  isSleeping: boolean;
  /** Level of the current sleep (1 or 2), 0 when awake. */
  level: 0 | 1 | 2;
  /** Tags still asleep (both right after a sleep; empty when awake). */
  sleepingTags: SleepTag[];
  /** The sleep or wake call in progress, if any. */
  transition: SleepTransition | null;
}

/** What sleep mode uses of the server's context (`SimContext` in context.ts is one). */
export interface SleepHost {
  readonly options: SimOptions;
  readonly prefixCache: PrefixCache;
  readonly metrics: VllmMetrics;
  readonly log: VllmLog;
  /** Requests the server is responsible for; a sleep ends those in the engine (`abortForSleep`). */
  readonly active: Iterable<{ readonly queued: boolean; abortForSleep(): void }>;
}

/** `1 GiB` in bytes. */
const GIB = 1024 ** 3;

/**
 * vLLM's sleep mode for one simulated instance (`vllm/v1/executor/abstract.py` `sleep` /
 * `wake_up`, `gpu_worker.py`): sleeping frees the weights and the KV cache, waking restores them
 * by tag, and `is_sleeping` stays true until every tag is awake. Sleep, wake and `is_sleeping`
 * are engine-core utility calls, so they run one at a time in arrival order (an `is_sleeping`
 * sent during a wake answers when the wake is done). Durations are modeled timers; every one is
 * cancelled by {@link SleepController.close}.
 */
export class SleepController {
  private level: 0 | 1 | 2 = 0;
  private readonly asleep = new Set<SleepTag>();
  private transition: SleepTransition | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  /** `context` returns the server's context (a function: the controller is part of it). */
  constructor(private readonly context: () => SleepHost) {}

  private get ctx(): SleepHost {
    return this.context();
  }

  /** The current state. */
  snapshot(): SleepSnapshot {
    return { isSleeping: this.asleep.size > 0, level: this.level, sleepingTags: SLEEP_TAGS.filter((t) => this.asleep.has(t)), transition: this.transition };
  }

  /**
   * Whether the engine does not serve inference now: from the start of a sleep until the wake
   * that brings back the last tag has finished.
   */
  get refusing(): boolean {
    return this.transition === 'falling_asleep' || this.asleep.size > 0;
  }

  /** GPU memory this instance holds, in GiB: the residual plus whatever tags are awake. */
  gpuMemoryGiB(): number {
    const o = this.ctx.options;
    let gib = o.residual_memory_gib;
    if (!this.asleep.has('weights')) gib += o.model_memory_gib;
    if (!this.asleep.has('kv_cache')) gib += kvCacheGiB(o);
    return gib;
  }

  /** `POST /sleep?level=N`: resolves when the engine is asleep (or at once if it already was). */
  sleep(level: 1 | 2): Promise<void> {
    return this.enqueue(() => this.doSleep(level));
  }

  /** `POST /wake_up[?tags=...]`: resolves when the tags (all when null) are awake. */
  wakeUp(tags: readonly string[] | null): Promise<void> {
    return this.enqueue(() => this.doWakeUp(tags));
  }

  /** `GET /is_sleeping`: answered after the sleep and wake calls queued before it. */
  isSleeping(): Promise<boolean> {
    return this.enqueue(async () => this.asleep.size > 0);
  }

  /** Cancels the operation in progress and every queued one (on shutdown). */
  close(): void {
    this.closed = true;
    for (const [timer, cancel] of this.timers) {
      clearTimeout(timer);
      cancel();
    }
    this.timers.clear();
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op);
    this.tail = run.catch(() => {});
    return run;
  }

  /**
   * Waits at least `ms` of real time (timers may fire a little early: it re-arms for the rest);
   * false when cancelled by close().
   */
  private wait(ms: number): Promise<boolean> {
    const end = performance.now() + ms;
    return new Promise((resolve) => {
      const arm = (): void => {
        if (this.closed) return resolve(false);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (performance.now() < end) arm();
          else resolve(true);
        }, Math.max(0, end - performance.now()));
        this.timers.set(timer, () => resolve(false));
      };
      arm();
    });
  }

  private async doSleep(level: 1 | 2): Promise<void> {
    const { ctx } = this;
    const o = ctx.options;
    if (this.closed) return;
    // AsyncLLM.sleep pauses the scheduler first (mode "abort": requests in flight end with
    // finish_reason "abort") and resets the prefix cache, whatever the executor then does.
    if (o.sleeping_requests === 'reject') abortInFlight(ctx);
    ctx.prefixCache.clear();
    if (this.asleep.size > 0) {
      ctx.log.write('engine', 'WARNING', LOG_SITES.executor, 'Executor is already sleeping.');
      ctx.metrics.recordSleepState(1, level);
      return;
    }
    this.transition = 'falling_asleep';
    const freed = o.model_memory_gib + kvCacheGiB(o);
    const started = performance.now();
    const done = await this.wait(o.sleep_ms * o.time_scale);
    this.transition = null;
    if (!done) return;
    const seconds = (performance.now() - started) / 1000 / o.time_scale;
    this.level = level;
    for (const t of SLEEP_TAGS) this.asleep.add(t);
    ctx.log.write('engine', 'INFO', LOG_SITES.worker, `Sleep mode freed ${freed.toFixed(2)} GiB memory, ${o.residual_memory_gib.toFixed(2)} GiB memory is still in use.`);
    ctx.log.write('engine', 'INFO', LOG_SITES.executor, `It took ${seconds.toFixed(6)} seconds to fall asleep.`);
    ctx.metrics.recordSleepState(1, level);
  }

  private async doWakeUp(tags: readonly string[] | null): Promise<void> {
    const { ctx } = this;
    const o = ctx.options;
    if (this.closed) return;
    // AsyncLLM.wake_up records "awake" in the gauge after every call, even a partial or no-op one.
    if (this.asleep.size === 0) {
      ctx.log.write('engine', 'WARNING', LOG_SITES.executor, 'Executor is not sleeping.');
      ctx.metrics.recordSleepState(0, 0);
      return;
    }
    const sleeping = SLEEP_TAGS.filter((t) => this.asleep.has(t));
    if (tags) {
      for (const tag of tags) {
        if (!this.asleep.has(tag as SleepTag)) {
          ctx.log.write('engine', 'WARNING', LOG_SITES.executor, `Tag ${tag} is not in sleeping tags ${pySet(sleeping)}`);
          ctx.metrics.recordSleepState(0, 0);
          return;
        }
      }
    }
    const waking = tags ? SLEEP_TAGS.filter((t) => tags.includes(t)) : sleeping;
    const share = waking.reduce((sum, t) => sum + (t === 'weights' ? o.wake_weights_fraction : 1 - o.wake_weights_fraction), 0);
    const fullMs = o.wake_ms * (this.level === 2 ? o.level2_wake_factor : 1);
    this.transition = 'waking_up';
    const started = performance.now();
    const done = await this.wait(fullMs * share * o.time_scale);
    this.transition = null;
    if (!done) return;
    const seconds = (performance.now() - started) / 1000 / o.time_scale;
    ctx.log.write('engine', 'INFO', LOG_SITES.executor, `It took ${seconds.toFixed(6)} seconds to wake up tags ${tags ? pyList(tags) : pySet(sleeping)}.`);
    for (const t of waking) this.asleep.delete(t);
    if (this.asleep.size === 0) this.level = 0;
    ctx.metrics.recordSleepState(0, 0);
  }
}

/** GPU memory of the KV cache, in GiB: the option, or derived from the block count. */
export function kvCacheGiB(o: SimOptions): number {
  if (o.kv_cache_memory_gib !== null) return o.kv_cache_memory_gib;
  return (o.kv_cache_blocks * o.block_size * QWEN3_06B_KV_BYTES_PER_TOKEN) / GIB;
}

/** Ends every request in the engine with finish_reason "abort": queued ones first, so none starts. */
function abortInFlight(ctx: SleepHost): void {
  const all = [...ctx.active];
  for (const r of all) if (r.queued) r.abortForSleep();
  for (const r of all) r.abortForSleep();
}
