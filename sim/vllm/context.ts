import type { ChunkLog } from './chunk-log.ts';
import { KvUsage, Scheduler } from './engine.ts';
import type { Fault } from './faults.ts';
import type { SimOptions } from './options.ts';
import type { OutputVocabulary } from './output-tokens.ts';
import { PrefixCache } from './prefix-cache.ts';
import type { PromptEncoder } from './prompt.ts';
import type { SessionEncoding } from './session-tokens.ts';
import { createRng, type Rng } from './rng.ts';
import { registerGpuMetrics } from './gpu-metrics.ts';
import { kvCacheGiB, SleepController } from './sleep.ts';
import type { VllmLog } from './vllm-log.ts';
import { VllmMetrics } from './vllm-metrics.ts';
import type { Api } from './wire.ts';

/** A request the server is still responsible for (streaming, queued, or stalled). */
export interface ActiveRequest {
  /** Whether it waits in the engine's queue (no slot yet). */
  readonly queued: boolean;
  /** Ends the request because the server shuts down (logs it, destroys its socket). */
  abort(reason: 'shutdown'): void;
  /**
   * Ends the request because the engine goes to sleep: what was generated goes out with
   * finish_reason "abort" and the response completes normally. No-op once it left the engine.
   */
  abortForSleep(): void;
}

/** A validated generation request, ready for the engine. */
export interface SimRequestInit {
  api: Api;
  stream: boolean;
  /** Model name as requested (echoed in responses). */
  model: string;
  /** The `x-request-id` (echoed or generated). */
  requestId: string;
  /** Prompt token ids after templating. */
  promptTokens: readonly number[];
  /** What the session's memory already had of the prompt (a text prompt with a session id), else null. */
  session: SessionEncoding | null;
  /** Resolved max_tokens (>= 1). */
  maxTokens: number;
  ignoreEos: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  fault: Fault | null;
  /** Chunk-log clock at the 'request' event. */
  receivedUs: number;
  /** performance.now() at the 'request' event. */
  arrivalMs: number;
}

/** Everything a request needs from the running simulator; one per server. */
export interface SimContext {
  /**
   * Current options. Replaced as a whole by `POST /admin/config` (atomic: a request reads one
   * consistent object per decision).
   */
  options: SimOptions;
  readonly scheduler: Scheduler;
  readonly kv: KvUsage;
  readonly prefixCache: PrefixCache;
  readonly metrics: VllmMetrics;
  /** Ground-truth log, when `chunk_log` is set. */
  readonly chunkLog: ChunkLog | null;
  readonly vocab: OutputVocabulary;
  readonly encoder: PromptEncoder;
  /** Latency jitter draws. */
  readonly latencyRng: Rng;
  /** Fault draws (a separate stream so enabling faults does not shift latency samples). */
  readonly faultRng: Rng;
  /** Requests not yet finished, for shutdown. */
  readonly active: Set<ActiveRequest>;
  /** Sequence number of the next request (seeds its output-token stream). */
  nextSeq: number;
  /** Set once close() started. */
  closing: boolean;
  /** The instance's vLLM log. */
  readonly log: VllmLog;
  /** Sleep mode. */
  readonly sleep: SleepController;
}

/** Builds the context of a server from resolved options and its loaded parts. */
export function createSimContext(options: SimOptions, parts: { vocab: OutputVocabulary; encoder: PromptEncoder; chunkLog: ChunkLog | null; log: VllmLog }): SimContext {
  const scheduler = new Scheduler(options.max_num_seqs, () => ctx.options.max_waiting);
  const kv = new KvUsage(options.kv_cache_blocks);
  const metrics = new VllmMetrics(
    options.models[0]!,
    { maxModelLen: options.max_model_len, blockSize: options.block_size, kvCacheBlocks: options.kv_cache_blocks, prefixCaching: options.prefix_caching, sleepMode: options.enable_sleep_mode },
    () => ({ running: scheduler.running, waiting: scheduler.waiting, kvCacheUsage: kv.usage }),
  );
  const ctx: SimContext = {
    options,
    scheduler,
    kv,
    prefixCache: new PrefixCache(options.block_size, options.kv_cache_blocks),
    metrics,
    chunkLog: parts.chunkLog,
    vocab: parts.vocab,
    encoder: parts.encoder,
    latencyRng: createRng(options.seed, 1),
    faultRng: createRng(options.seed, 2),
    active: new Set(),
    nextSeq: 0,
    closing: false,
    log: parts.log,
    sleep: new SleepController(() => ctx),
  };
  registerGpuMetrics(metrics.registry, {
    options: () => ctx.options,
    scheduler,
    kv,
    sleep: () => ctx.sleep.snapshot(),
    kvCacheGiB: () => kvCacheGiB(ctx.options),
  });
  return ctx;
}
