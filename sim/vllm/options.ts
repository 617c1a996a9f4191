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
} from './option-types.ts';

/** Names of the built-in latency profiles. */
export const SIM_PROFILE_NAMES = ['small-h100', 'llama-8b-h100', 'test-fast'] as const;

/** A built-in latency profile name. */
export type SimProfileName = (typeof SIM_PROFILE_NAMES)[number];

/** The options a profile sets; an explicit option of the same name overrides it. */
export interface SimProfile {
  prefill_overhead_ms: number;
  prefill_per_token_ms: number;
  itl_ms: number;
  ttft_std_ms: number;
  itl_std_ms: number;
  load_factor: number;
  max_num_seqs: number;
}

/**
 * Built-in latency profiles.
 * - `small-h100`: a ~0.6B model (Qwen3-0.6B class) alone on one H100.
 * - `llama-8b-h100`: llm-d-inference-sim's reference values for an 8B model on an H100
 *   (`manifests/latency-profiles/8b-h100-balanced-per-token.yaml`).
 * - `test-fast`: sub-millisecond steps so the project's own tests finish in seconds.
 */
export const SIM_PROFILES: Readonly<Record<SimProfileName, Readonly<SimProfile>>> = {
  'small-h100': {
    prefill_overhead_ms: 12,
    prefill_per_token_ms: 0.03,
    itl_ms: 4,
    ttft_std_ms: 1,
    itl_std_ms: 0.4,
    load_factor: 2,
    max_num_seqs: 16,
  },
  'llama-8b-h100': {
    prefill_overhead_ms: 30,
    prefill_per_token_ms: 0.25,
    itl_ms: 12,
    ttft_std_ms: 5,
    itl_std_ms: 2,
    load_factor: 2,
    max_num_seqs: 16,
  },
  'test-fast': {
    prefill_overhead_ms: 1,
    prefill_per_token_ms: 0.001,
    itl_ms: 0.5,
    ttft_std_ms: 0,
    itl_std_ms: 0,
    load_factor: 1,
    max_num_seqs: 64,
  },
};

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

const PROFILE_FIELDS = {
  prefill_overhead_ms: nonNegative().optional().describe('Fixed prefill cost per request, in ms (before load factor and time scale). Default: from the profile (small-h100: 12).'),
  prefill_per_token_ms: nonNegative().optional().describe('Prefill cost per uncached prompt token, in ms. Default: from the profile (small-h100: 0.03).'),
  itl_ms: nonNegative().optional().describe('Mean time of one decode step (inter-token latency), in ms. Default: from the profile (small-h100: 4).'),
  ttft_std_ms: nonNegative().optional().describe('Standard deviation of the prefill time, in ms; samples are clamped to [0.3, 1.7] x mean. Default: from the profile (small-h100: 1).'),
  itl_std_ms: nonNegative().optional().describe('Standard deviation of one decode step, in ms; samples are clamped to [0.3, 1.7] x mean. Default: from the profile (small-h100: 0.4).'),
  load_factor: positive().optional().describe('Slow-down multiplier with a full batch: factor = 1 + (load_factor - 1) x (running - 1) / (max_num_seqs - 1). Default: from the profile (small-h100: 2).'),
  max_num_seqs: positiveInt().optional().describe('Requests decoded concurrently (running slots); more wait in a FIFO queue. Default: from the profile (small-h100: 16).'),
};

/** Qwen3-0.6B's KV cache per token: 28 layers x 8 KV heads x 128 dims x (K + V) x 2 bytes (bf16). */
export const QWEN3_06B_KV_BYTES_PER_TOKEN = 28 * 8 * 128 * 2 * 2;

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

type BaseOptions = z.output<typeof SimOptionsBaseSchema>;

/** Fills the latency fields the caller left out from the chosen profile. */
function applyProfile(o: BaseOptions): Omit<BaseOptions, keyof SimProfile> & SimProfile {
  const p = SIM_PROFILES[o.profile];
  return {
    ...o,
    prefill_overhead_ms: o.prefill_overhead_ms ?? p.prefill_overhead_ms,
    prefill_per_token_ms: o.prefill_per_token_ms ?? p.prefill_per_token_ms,
    itl_ms: o.itl_ms ?? p.itl_ms,
    ttft_std_ms: o.ttft_std_ms ?? p.ttft_std_ms,
    itl_std_ms: o.itl_std_ms ?? p.itl_std_ms,
    load_factor: o.load_factor ?? p.load_factor,
    max_num_seqs: o.max_num_seqs ?? p.max_num_seqs,
  };
}

/** Options schema with the profile applied: its output has every latency field set. */
export const SimOptionsSchema = SimOptionsBaseSchema.transform(applyProfile);

/** Resolved simulator options (every field set). */
export type SimOptions = z.output<typeof SimOptionsSchema>;
/** Simulator options as written by a caller (everything optional). */
export type SimOptionsInput = z.input<typeof SimOptionsSchema>;
/** Resolved failure-injection options. */
export type SimFaults = z.output<typeof SimFaultsSchema>;

/** An option `POST /admin/config` rejects with a reason rather than as an unknown key. */
function fixedAtStart() {
  return z.never({ error: 'cannot be changed at runtime' }).optional();
}

/**
 * What `POST /admin/config` may change in a running simulator: latency (including the sleep
 * and wake durations), output and fault options, and `sleeping_requests`. Scheduler sizes,
 * models, the tokenizer, the endpoints and the memory model are fixed at start.
 */
export const SimConfigPatchSchema = z.strictObject({
  ...PROFILE_FIELDS,
  max_num_seqs: fixedAtStart(),
  time_scale: SimOptionsBaseSchema.shape.time_scale.unwrap().optional(),
  tokens_per_chunk: SimOptionsBaseSchema.shape.tokens_per_chunk.unwrap().optional(),
  eos_probability: SimOptionsBaseSchema.shape.eos_probability.unwrap().optional(),
  max_waiting: SimOptionsBaseSchema.shape.max_waiting.unwrap().optional(),
  timer_spin_ms: SimOptionsBaseSchema.shape.timer_spin_ms.unwrap().optional(),
  sleep_ms: SimOptionsBaseSchema.shape.sleep_ms.unwrap().optional(),
  wake_ms: SimOptionsBaseSchema.shape.wake_ms.unwrap().optional(),
  level2_wake_factor: SimOptionsBaseSchema.shape.level2_wake_factor.unwrap().optional(),
  wake_weights_fraction: SimOptionsBaseSchema.shape.wake_weights_fraction.unwrap().optional(),
  sleeping_requests: SimOptionsBaseSchema.shape.sleeping_requests.unwrap().optional(),
  startup_ms: fixedAtStart(),
  dev_mode: fixedAtStart(),
  enable_sleep_mode: fixedAtStart(),
  model_memory_gib: fixedAtStart(),
  kv_cache_memory_gib: fixedAtStart(),
  residual_memory_gib: fixedAtStart(),
  log_max_lines: fixedAtStart(),
  gpu_index: fixedAtStart(),
  gpu_uuid: fixedAtStart(),
  gpu_model_name: fixedAtStart(),
  gpu_memory_mib: fixedAtStart(),
  node_name: fixedAtStart(),
  namespace: fixedAtStart(),
  container_name: fixedAtStart(),
  // Not `.partial()`: that would still fill in the defaults and reset unmentioned fault fields.
  faults: z
    .strictObject(Object.fromEntries(Object.entries(SimFaultsSchema.shape).map(([k, f]) => [k, f.unwrap().optional()])) as { [K in keyof SimFaultsShape]: z.ZodOptional<ReturnType<SimFaultsShape[K]['unwrap']>> })
    .optional(),
});

type SimFaultsShape = typeof SimFaultsSchema.shape;

/** A partial update accepted by `POST /admin/config`. */
export type SimConfigPatch = z.output<typeof SimConfigPatchSchema>;

/** Applies a validated patch to resolved options, returning a new object (never mutates). */
export function applyConfigPatch(current: SimOptions, patch: SimConfigPatch): SimOptions {
  const next: SimOptions = { ...current, faults: { ...current.faults, ...stripUndefined(patch.faults ?? {}) } };
  const rest = stripUndefined({ ...patch, faults: undefined, max_num_seqs: undefined });
  return Object.assign(next, rest);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
