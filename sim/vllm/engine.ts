/** Where a request is in the engine. */
export type JobState = 'new' | 'waiting' | 'running' | 'done';

/** Something the scheduler runs: a request that needs one of the `max_num_seqs` slots. */
export interface EngineJob {
  /** Set by the scheduler only. */
  state: JobState;
  /** Called once when the job gets a slot (synchronously, from `submit` or `finish`). */
  start(nowMs: number): void;
}

/**
 * vLLM's continuous-batching admission, reduced to what latency depends on: `max_num_seqs`
 * running slots and a FIFO waiting queue of at most `maxWaiting` requests (llm-d-inference-sim
 * answers 429 "Failed to enqueue request" beyond it). A finished or cancelled job frees its slot
 * immediately and the oldest waiting job starts.
 */
export class Scheduler {
  /** Jobs holding a slot. */
  running = 0;
  /** Jobs in the queue (cancelled ones excluded). */
  waiting = 0;
  private queue: EngineJob[] = [];
  private head = 0;
  /** Integral of `running` over time, in slot-ms, up to `accountedMs`. */
  private runningMs = 0;
  private accountedMs = performance.now();

  constructor(
    /** Running slots. */
    readonly maxNumSeqs: number,
    /** Current queue capacity (read on every submit, so it can change at runtime). */
    private readonly maxWaiting: () => number,
  ) {}

  /**
   * Integral of the running count over time up to `nowMs`, in slot-milliseconds: the difference
   * of two readings divided by the time between them is the mean batch size over that time (the
   * GPU utilisation model reads it at scrape time).
   */
  runningIntegralMs(nowMs = performance.now()): number {
    return this.runningMs + this.running * Math.max(0, nowMs - this.accountedMs);
  }

  /** Whether a new job would be admitted (a free slot or room in the queue). */
  hasRoom(): boolean {
    return this.running < this.maxNumSeqs || this.waiting < this.maxWaiting();
  }

  /** Admits a job: starts it when a slot is free, else queues it. False when the queue is full. */
  submit(job: EngineJob, nowMs = performance.now()): boolean {
    if (this.running < this.maxNumSeqs && this.waiting === 0) {
      this.begin(job, nowMs);
      return true;
    }
    if (this.waiting >= this.maxWaiting()) return false;
    job.state = 'waiting';
    this.queue.push(job);
    this.waiting++;
    this.drain(nowMs);
    return true;
  }

  /** Removes a job (finished, failed or disconnected), freeing its slot or queue place. */
  finish(job: EngineJob, nowMs = performance.now()): void {
    if (job.state === 'running') {
      this.account(nowMs);
      this.running--;
    } else if (job.state === 'waiting') this.waiting--;
    else return;
    job.state = 'done';
    this.drain(nowMs);
  }

  private begin(job: EngineJob, nowMs: number): void {
    this.account(nowMs);
    job.state = 'running';
    this.running++;
    job.start(nowMs);
  }

  /** Adds the time since the last change at the current running count to the integral. */
  private account(nowMs: number): void {
    if (nowMs > this.accountedMs) {
      this.runningMs += this.running * (nowMs - this.accountedMs);
      this.accountedMs = nowMs;
    }
  }

  private drain(nowMs: number): void {
    while (this.running < this.maxNumSeqs && this.head < this.queue.length) {
      const job = this.queue[this.head++]!;
      // Cancelled jobs stay in the array until reached; they are skipped here.
      if (job.state !== 'waiting') continue;
      this.waiting--;
      this.begin(job, nowMs);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * KV-cache blocks held by running requests. Full prompt blocks are shared between requests with
 * the same prefix (counted once, by chained hash); the partial last prompt block and generated
 * tokens are private to each request.
 */
export class KvUsage {
  private readonly refs = new Map<number, number>();
  private privateBlocks = 0;

  constructor(readonly capacityBlocks: number) {}

  /** Blocks in use. */
  get held(): number {
    return this.refs.size + this.privateBlocks;
  }

  /** Fraction of capacity in use, 0-1 (vllm:kv_cache_usage_perc). */
  get usage(): number {
    return Math.min(1, this.held / this.capacityBlocks);
  }

  /** A request starts holding its shared prompt blocks. */
  acquireShared(hashes: readonly number[]): void {
    for (const h of hashes) this.refs.set(h, (this.refs.get(h) ?? 0) + 1);
  }

  /** A request releases its shared prompt blocks. */
  releaseShared(hashes: readonly number[]): void {
    for (const h of hashes) {
      const n = (this.refs.get(h) ?? 1) - 1;
      if (n <= 0) this.refs.delete(h);
      else this.refs.set(h, n);
    }
  }

  /** Adds (or with a negative `delta`, removes) private blocks. */
  addPrivate(delta: number): void {
    this.privateBlocks += delta;
  }
}
