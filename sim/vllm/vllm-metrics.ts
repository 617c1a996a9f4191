import type { CounterChild, GaugeChild, HistogramChild } from './prom-registry.ts';
import { PromRegistry } from './prom-registry.ts';

/*
 * The vLLM V1 Prometheus series the simulator exposes, with vLLM's names, help texts, labels
 * (`model_name`, `engine`) and bucket boundaries (vllm/v1/metrics/loggers.py).
 */

const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
const ITL_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const REQUEST_LATENCY_BUCKETS = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];

/** vLLM's `build_1_2_5_buckets(max)`: 1, 2, 5, 10, 20, 50, ... up to `max`. */
export function buckets125(max: number): number[] {
  const out: number[] = [];
  for (let e = 1; ; e *= 10) {
    for (const m of [1, 2, 5]) {
      if (m * e > max) return out;
      out.push(m * e);
    }
  }
}

/** Scheduler state sampled at scrape time. */
export interface EngineSnapshot {
  running: number;
  waiting: number;
  /** KV blocks held by running requests / capacity, 0-1. */
  kvCacheUsage: number;
}

/** One finished request's timeline (performance.now() ms) and counts. */
export interface FinishedRequestStats {
  /** `stop`, `length` or `abort` (vLLM's FinishReason). */
  finishReason: string;
  /** Arrival at the server. */
  arrivalMs: number;
  /** Got a running slot (end of queueing). */
  scheduledMs: number;
  /** First token produced (end of prefill). */
  firstTokenMs: number;
  /** Left the engine. */
  endMs: number;
  promptTokens: number;
  generationTokens: number;
  maxTokens: number;
}

/** The simulator's vLLM metrics; the engine calls the `on*` methods, `/metrics` calls render. */
export class VllmMetrics {
  /** The registry `/metrics` renders; later rooms register more families on it. */
  readonly registry = new PromRegistry();
  private readonly running: GaugeChild;
  private readonly waiting: GaugeChild;
  private readonly kvUsage: GaugeChild;
  private readonly prefixQueries: CounterChild;
  private readonly prefixHits: CounterChild;
  private readonly promptTokens: CounterChild;
  private readonly generationTokens: CounterChild;
  private readonly success: (reason: string) => CounterChild;
  private readonly ttft: HistogramChild;
  private readonly itl: HistogramChild;
  private readonly tpot: HistogramChild;
  private readonly e2e: HistogramChild;
  private readonly queue: HistogramChild;
  private readonly inference: HistogramChild;
  private readonly prefill: HistogramChild;
  private readonly decode: HistogramChild;
  private readonly promptHist: HistogramChild;
  private readonly generationHist: HistogramChild;
  private readonly maxTokensHist: HistogramChild;

  private readonly sleepState: { awake: GaugeChild; weightsOffloaded: GaugeChild; discardAll: GaugeChild } | null = null;

  constructor(
    modelName: string,
    opts: { maxModelLen: number; blockSize: number; kvCacheBlocks: number; prefixCaching: boolean; sleepMode?: boolean },
    snapshot: () => EngineSnapshot,
  ) {
    const r = this.registry;
    const L = ['model_name', 'engine'];
    const lv = [modelName, '0'];
    this.running = r.gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', L).labels(...lv);
    this.waiting = r.gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', L).labels(...lv);
    if (opts.sleepMode) {
      // vLLM after 0.11.0 (PRs #24176, #27867); here only with enable_sleep_mode, see the README.
      const g = r.gauge(
        'vllm:engine_sleep_state',
        'Engine sleep state; awake = 0 means engine is sleeping; awake = 1 means engine is awake; weights_offloaded = 1 means sleep level 1; discard_all = 1 means sleep level 2.',
        [...L, 'sleep_state'],
      );
      this.sleepState = { awake: g.labels(...lv, 'awake'), weightsOffloaded: g.labels(...lv, 'weights_offloaded'), discardAll: g.labels(...lv, 'discard_all') };
      this.recordSleepState(0, 0);
    }
    this.kvUsage = r.gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', L).labels(...lv);
    this.prefixQueries = r.counter('vllm:prefix_cache_queries', 'Prefix cache queries, in terms of number of queried tokens.', L).labels(...lv);
    this.prefixHits = r.counter('vllm:prefix_cache_hits', 'Prefix cache hits, in terms of number of cached tokens.', L).labels(...lv);
    r.counter('vllm:num_preemptions', 'Cumulative number of preemption from the engine.', L).labels(...lv);
    this.promptTokens = r.counter('vllm:prompt_tokens', 'Number of prefill tokens processed.', L).labels(...lv);
    this.generationTokens = r.counter('vllm:generation_tokens', 'Number of generation tokens processed.', L).labels(...lv);
    const success = r.counter('vllm:request_success', 'Count of successfully processed requests.', [...L, 'finished_reason']);
    for (const reason of ['stop', 'length', 'abort']) success.labels(...lv, reason);
    this.success = (reason) => success.labels(...lv, reason);
    const tokenBuckets = buckets125(opts.maxModelLen);
    this.promptHist = r.histogram('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', L, tokenBuckets).labels(...lv);
    this.generationHist = r.histogram('vllm:request_generation_tokens', 'Number of generation tokens processed.', L, tokenBuckets).labels(...lv);
    this.maxTokensHist = r.histogram('vllm:request_params_max_tokens', 'Histogram of the max_tokens request parameter.', L, tokenBuckets).labels(...lv);
    this.ttft = r.histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', L, TTFT_BUCKETS).labels(...lv);
    this.itl = r.histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', L, ITL_BUCKETS).labels(...lv);
    this.tpot = r.histogram('vllm:request_time_per_output_token_seconds', 'Histogram of time_per_output_token_seconds per request.', L, ITL_BUCKETS).labels(...lv);
    this.e2e = r.histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', L, REQUEST_LATENCY_BUCKETS).labels(...lv);
    this.queue = r.histogram('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', L, REQUEST_LATENCY_BUCKETS).labels(...lv);
    this.inference = r.histogram('vllm:request_inference_time_seconds', 'Histogram of time spent in RUNNING phase for request.', L, REQUEST_LATENCY_BUCKETS).labels(...lv);
    this.prefill = r.histogram('vllm:request_prefill_time_seconds', 'Histogram of time spent in PREFILL phase for request.', L, REQUEST_LATENCY_BUCKETS).labels(...lv);
    this.decode = r.histogram('vllm:request_decode_time_seconds', 'Histogram of time spent in DECODE phase for request.', L, REQUEST_LATENCY_BUCKETS).labels(...lv);
    r.gauge('vllm:cache_config_info', 'Information of the LLMEngine CacheConfig', ['block_size', 'enable_prefix_caching', 'num_gpu_blocks', 'engine'])
      .labels(String(opts.blockSize), opts.prefixCaching ? 'True' : 'False', String(opts.kvCacheBlocks), '0')
      .set(1);
    r.onCollect(() => {
      const s = snapshot();
      this.running.set(s.running);
      this.waiting.set(s.waiting);
      this.kvUsage.set(s.kvCacheUsage);
    });
  }

  /**
   * vLLM's `record_sleep_state(sleep, level)`: after a sleep call `(1, level)`, after any wake-up
   * call `(0, 0)`. No-op unless sleep mode is enabled.
   */
  recordSleepState(sleep: 0 | 1, level: 0 | 1 | 2): void {
    if (!this.sleepState) return;
    this.sleepState.awake.set(sleep === 1 ? 0 : 1);
    this.sleepState.weightsOffloaded.set(sleep === 1 && level === 1 ? 1 : 0);
    this.sleepState.discardAll.set(sleep === 1 && level === 2 ? 1 : 0);
  }

  /** A request was scheduled: prefix-cache lookup of its prompt (queries and hits in tokens). */
  onScheduled(promptTokens: number, cachedTokens: number): void {
    this.prefixQueries.inc(promptTokens);
    this.prefixHits.inc(cachedTokens);
  }

  /** The first output token was produced, `ttftSec` after arrival. */
  onFirstToken(ttftSec: number, promptTokens: number): void {
    this.ttft.observe(ttftSec);
    this.promptTokens.inc(promptTokens);
  }

  /** Output tokens were produced; `gapSec` is the time since the previous output (ITL), or null for the first. */
  onOutput(tokens: number, gapSec: number | null): void {
    this.generationTokens.inc(tokens);
    if (gapSec !== null) this.itl.observe(gapSec);
  }

  /** A request left the engine (finished, stopped or aborted). */
  onFinished(s: FinishedRequestStats): void {
    const decodeSec = (s.endMs - s.firstTokenMs) / 1000;
    this.success(s.finishReason).inc();
    this.e2e.observe((s.endMs - s.arrivalMs) / 1000);
    this.queue.observe((s.scheduledMs - s.arrivalMs) / 1000);
    this.prefill.observe((s.firstTokenMs - s.scheduledMs) / 1000);
    this.decode.observe(decodeSec);
    this.inference.observe((s.endMs - s.scheduledMs) / 1000);
    this.promptHist.observe(s.promptTokens);
    this.generationHist.observe(s.generationTokens);
    this.maxTokensHist.observe(s.maxTokens);
    if (s.generationTokens > 1) this.tpot.observe(decodeSec / (s.generationTokens - 1));
  }

  /** Prometheus text of every registered series. */
  render(): string {
    return this.registry.render();
  }
}
