/**
 * The simulator's options: the schema (`lib/config/schema/sim-options.ts`, shared with the
 * scenario config's `simulator:` section) with the latency profiles applied, and the subset
 * `POST /admin/config` may change at runtime.
 */
import { z } from 'zod';
import { PROFILE_FIELDS, SimFaultsSchema, SimOptionsBaseSchema, type SimProfileName } from '../../lib/config/schema/sim-options.ts';

export { SIM_PROFILE_NAMES, SimFaultsSchema, SimOptionsBaseSchema, type SimProfileName } from '../../lib/config/schema/sim-options.ts';

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

/** Qwen3-0.6B's KV cache per token: 28 layers x 8 KV heads x 128 dims x (K + V) x 2 bytes (bf16). */
export const QWEN3_06B_KV_BYTES_PER_TOKEN = 28 * 8 * 128 * 2 * 2;

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
