/**
 * The embedded vLLM simulator's options as a zod schema (snake_case, as on its command line):
 * what each option means, its bounds, its default and the one-line reason a wrong value gets.
 * One owner for two readers: the simulator parses its options with it (`sim/vllm/options.ts`
 * adds the latency profiles' values), and a scenario file's `simulator:` section is validated
 * against it (`simulator.ts`). It imports nothing but zod, so the simulator may use it without
 * sharing any of the client's code.
 */
import { z } from 'zod';
import {
  errorStatus,
  nonEmptyString,
  nonNegative,
  nonNegativeInt,
  port,
  positive,
  positiveInt,
  probability,
} from './sim-option-types.ts';

/** Names of the built-in latency profiles. */
export const SIM_PROFILE_NAMES = ['small-h100', 'llama-8b-h100', 'test-fast'] as const;

/** A built-in latency profile name. */
export type SimProfileName = (typeof SIM_PROFILE_NAMES)[number];

/** Failure injection, drawn per request from the seeded RNG (see also the `x-sim-fault` header). */
export const SimFaultsSchema = z
  .strictObject({
    error_rate: probability().default(0).describe('Share of requests answered at once with an HTTP error instead of a completion, 0-1. Default: 0.'),
    error_statuses: z
      .array(errorStatus(), { error: 'expected a list of HTTP error statuses' })
      .min(1, { error: 'expected at least one HTTP error status' })
      .default([500, 503, 429])
      .describe('Statuses an injected error picks from, uniformly. Default: [500,503,429].'),
    stall_rate: probability().default(0).describe('Share of streams that stop sending after `stall_after_tokens` tokens and never end, 0-1. Default: 0.'),
    stall_after_tokens: nonNegativeInt().default(1).describe('Output tokens sent before an injected stall, in tokens. Default: 1.'),
    cut_rate: probability().default(0).describe('Share of streams whose socket is destroyed after `cut_after_tokens` tokens (no [DONE]), 0-1. Default: 0.'),
    cut_after_tokens: nonNegativeInt().default(1).describe('Output tokens sent before an injected cut, in tokens. Default: 1.'),
    malformed_rate: probability().default(0).describe('Share of streams that get one SSE event whose data is not valid JSON after `malformed_after_tokens` tokens, 0-1. Default: 0.'),
    malformed_after_tokens: nonNegativeInt().default(1).describe('Output tokens sent before the malformed event, in tokens. Default: 1.'),
  })
  .describe('Failure injection (rates are independent per request; an error excludes the others).');

const FAULTS_DESCRIPTION = 'Failure injection: error, stall, cut and malformed rates (see the README). Default: all rates 0.';

/** The latency options a profile sets: optional, an unset one comes from the profile. */
export const PROFILE_FIELDS = {
  prefill_overhead_ms: nonNegative().optional().describe('Fixed prefill cost per request, in ms (before load factor and time scale). Default: from the profile (small-h100: 12).'),
  prefill_per_token_ms: nonNegative().optional().describe('Prefill cost per uncached prompt token, in ms. Default: from the profile (small-h100: 0.03).'),
  itl_ms: nonNegative().optional().describe('Mean time of one decode step (inter-token latency), in ms. Default: from the profile (small-h100: 4).'),
  ttft_std_ms: nonNegative().optional().describe('Standard deviation of the prefill time, in ms; samples are clamped to [0.3, 1.7] x mean. Default: from the profile (small-h100: 1).'),
  itl_std_ms: nonNegative().optional().describe('Standard deviation of one decode step, in ms; samples are clamped to [0.3, 1.7] x mean. Default: from the profile (small-h100: 0.4).'),
  load_factor: positive().optional().describe('Slow-down multiplier with a full batch: factor = 1 + (load_factor - 1) x (running - 1) / (max_num_seqs - 1). Default: from the profile (small-h100: 2).'),
  max_num_seqs: positiveInt().optional().describe('Requests decoded concurrently (running slots); more wait in a FIFO queue. Default: from the profile (small-h100: 16).'),
};

/**
 * Startup, sleep mode and the vLLM log (see the README, "Lifecycle"). Durations are modeled and,
 * like every other duration, multiplied by `time_scale`.
 */
const LIFECYCLE_FIELDS = {
  startup_ms: nonNegative()
    .default(0)
    .describe('Modeled startup (model load, compile, warm-up) before the HTTP port is bound, in ms; connections are refused until then. Default: 0.'),
  dev_mode: z
    .boolean({ error: 'expected true or false' })
    .default(false)
    .describe('vLLM development endpoints (VLLM_SERVER_DEV_MODE=1): with enable_sleep_mode, serves /sleep, /wake_up and /is_sleeping. The CLI flag defaults to the VLLM_SERVER_DEV_MODE environment variable. Default: false.'),
  enable_sleep_mode: z.boolean({ error: 'expected true or false' }).default(false).describe('vLLM --enable-sleep-mode: with dev_mode, the sleep endpoints exist (otherwise they are 404). Default: false.'),
  sleep_ms: nonNegative().default(200).describe('Modeled duration of POST /sleep (either level), in ms; the call returns when it is done. Default: 200.'),
  wake_ms: nonNegative().default(550).describe('Modeled duration of POST /wake_up of every tag after a level-1 sleep, in ms. Default: 550.'),
  level2_wake_factor: z
    .number({ error: 'expected a number >= 1' })
    .min(1, { error: 'expected a number >= 1' })
    .default(3)
    .describe('Waking from a level-2 sleep takes wake_ms x this factor (weights are reloaded, not copied back from CPU memory). Default: 3.'),
  wake_weights_fraction: probability()
    .default(0.9)
    .describe('Share of a full wake that waking the `weights` tag alone takes; the `kv_cache` tag takes the rest. Default: 0.9.'),
  sleeping_requests: z
    .enum(['reject', 'serve'], { error: 'expected reject or serve' })
    .default('reject')
    .describe('Inference while asleep: reject (503 ModelSleepingError; requests in flight when sleep starts end with finish_reason "abort") or serve (llm-d-inference-sim: sleep does not affect requests). Default: reject.'),
  model_memory_gib: nonNegative().default(1.11).describe('GPU memory of the weights, in GiB (Qwen3-0.6B in bf16: 1.11). Default: 1.11.'),
  kv_cache_memory_gib: nonNegative()
    .nullable()
    .default(null)
    .describe("GPU memory of the KV cache, in GiB; null derives it from kv_cache_blocks x block_size x Qwen3-0.6B's 112 KiB per token. Default: null."),
  residual_memory_gib: nonNegative().default(0.5).describe('GPU memory a sleeping instance keeps (CUDA context, buffers), in GiB: "still in use" in the sleep log line. Default: 0.5.'),
  log_max_lines: positiveInt().default(10000).describe('vLLM log lines kept in memory (oldest dropped first). Default: 10000.'),
};

/**
 * The modeled GPU behind `DCGM_FI_DEV_*` series on `/metrics` (see the README, "GPU series"):
 * identity labels as NVIDIA's DCGM exporter sets them, and the board's memory.
 */
const GPU_FIELDS = {
  gpu_index: nonNegativeInt().default(0).describe('NVML index of the modeled GPU (DCGM `gpu` label, `device` nvidiaN). Default: 0.'),
  gpu_uuid: nonEmptyString()
    .nullable()
    .default(null)
    .describe('UUID of the modeled GPU (DCGM `UUID` label, GPU-xxxxxxxx-...); null derives a stable one from node_name, pod_name and gpu_index. Default: null.'),
  gpu_model_name: nonEmptyString().default('NVIDIA H100 80GB HBM3').describe('GPU model (DCGM `modelName` label). Default: NVIDIA H100 80GB HBM3.'),
  gpu_memory_mib: positive().default(81559).describe('Framebuffer size of the modeled GPU, in MiB (FB_USED + FB_FREE). Default: 81559 (H100 80GB).'),
  node_name: nonEmptyString().nullable().default(null).describe('Node name (DCGM `Hostname` label); null uses this machine\'s host name. Default: null.'),
  namespace: nonEmptyString()
    .nullable()
    .default(null)
    .describe('Kubernetes namespace of the pod this server models; when set, DCGM series carry `pod` (pod_name), `namespace` and `container` labels as the exporter\'s pod mapping adds them. Default: null.'),
  container_name: nonEmptyString().default('vllm').describe('Container name in the DCGM `container` label (with namespace). Default: vllm.'),
};

/** The simulator's options as accepted from code, a config file or CLI flags (snake_case keys). */
export const SimOptionsBaseSchema = z.strictObject({
  profile: z.enum(SIM_PROFILE_NAMES, { error: `expected one of ${SIM_PROFILE_NAMES.join(', ')}` }).default('small-h100').describe(`Latency profile (${SIM_PROFILE_NAMES.join(' | ')}); explicit latency options override it. Default: small-h100.`),
  host: nonEmptyString().default('127.0.0.1').describe('Interface to listen on. Default: 127.0.0.1.'),
  port: port().default(0).describe('TCP port; 0 picks a free one. Default: 0.'),
  models: z.array(nonEmptyString(), { error: 'expected a list of model names' }).min(1, { error: 'expected at least one model name' }).default(['Qwen/Qwen3-0.6B']).describe('Served model names (aliases of one engine); metrics use the first. Default: [Qwen/Qwen3-0.6B].'),
  pod_name: nonEmptyString().default('vllm-sim-0').describe('Sent as the `x-inference-pod` response header. Default: vllm-sim-0.'),
  tokenizer: z.enum(['qwen3', 'words'], { error: 'expected qwen3 or words' }).default('qwen3').describe('Tokenizer for prompt and output tokens: the real Qwen3 tokenizer or the deterministic `words` stand-in. Default: qwen3.'),
  max_model_len: positiveInt().default(32768).describe('Context length: prompt + max_tokens beyond it is a 400. Default: 32768.'),
  seed: nonNegativeInt().default(0).describe('Seed of every random draw (jitter, output tokens, EOS, faults). Default: 0.'),
  time_scale: positive().default(1).describe('Multiplier on every modeled duration (0.1 = ten times faster). Default: 1.'),
  ...PROFILE_FIELDS,
  tokens_per_chunk: positiveInt().default(1).describe('Tokens per SSE content chunk after the first (>1 emulates speculative decoding / MTP); a chunk is sent when its last token is due. Default: 1.'),
  eos_probability: probability().default(0).describe('Per-token chance to stop early with finish_reason "stop", unless the request sets ignore_eos. Default: 0.'),
  max_waiting: nonNegativeInt().default(1000).describe('Waiting-queue capacity; a request beyond it gets HTTP 429. Default: 1000.'),
  prefix_caching: z.boolean({ error: 'expected true or false' }).default(true).describe('Automatic prefix caching: cached prompt blocks skip prefill. Default: true.'),
  block_size: positiveInt().default(16).describe('KV-cache block size, in tokens. Default: 16.'),
  kv_cache_blocks: positiveInt().default(16384).describe('KV-cache capacity, in blocks (prefix-cache LRU size and the denominator of kv_cache_usage_perc). Default: 16384.'),
  prompt_tokens_details: z.boolean({ error: 'expected true or false' }).default(true).describe('Report usage.prompt_tokens_details.cached_tokens (vLLM --enable-prompt-tokens-details). Default: true.'),
  timer_spin_ms: nonNegative().default(0).describe('Busy-poll the last N ms before each due time for sub-millisecond send precision, at a CPU cost; 0 uses timers only (sends up to ~1 ms late). Default: 0.'),
  faults: SimFaultsSchema.prefault({}).describe(FAULTS_DESCRIPTION),
  chunk_log: nonEmptyString().nullable().default(null).describe('JSONL file that gets one line per finished request with the true send time of every chunk; null disables it. Default: null.'),
  ...LIFECYCLE_FIELDS,
  ...GPU_FIELDS,
});
