/**
 * What happens to each key of a well-lit-path `config.yaml` that vitest-llm-d does not run as
 * written: accepted and ignored (it cannot change what is measured, and the reason says why), or
 * rejected (it would change the measurement and is not supported, so the run does not start).
 * Every other key is either supported (translated; see the README table "Configs you already
 * have") or unknown, and an unknown key is rejected too. Nothing is dropped silently.
 *
 * Paths are written as the user sees them, with `*` for the name of a workload and `[]` for a
 * list index: `workload.*.load.num_workers`, `env[].valueFrom`. A rule covers the key and
 * everything under it.
 */

/** How a key that is not translated is treated. */
export type KeyStatus = 'ignored' | 'rejected';

/** One rule: a key path pattern, its treatment, and why. */
export interface KeyRule {
  /** Path pattern: `*` for a workload name, `[]` for a list index. */
  path: string;
  status: KeyStatus;
  /** Shown to the user: why it has no effect (ignored) or is not supported (rejected). */
  reason: string;
}

const NO_POD = 'the load runs in this process, not in a launcher pod';
const OWN_WORKERS = 'vitest-llm-d sizes its own workers';
const NOTHING_DOWNLOADED = 'nothing is downloaded: fetch the file and set workload.<name>.data.path';

/** Every key with a treatment other than "translated", in file order. */
export const KEY_RULES: readonly KeyRule[] = Object.freeze([
  { path: 'endpoint.namespace', status: 'ignored', reason: 'the stack is reached at base_url; no cluster access is needed' },
  { path: 'endpoint.hf_token_secret', status: 'ignored', reason: "the stack's Hugging Face token Secret: this tool downloads nothing and never reads it" },
  { path: 'endpoint.model_pvc', status: 'ignored', reason: "the stack's model cache PVC, used when the stack is stood up" },
  { path: 'control.work_dir', status: 'ignored', reason: 'no working files are kept; results go to results/<stamp>-config/ (BENCH_RESULTS_DIR)' },
  { path: 'control.kubectl', status: 'ignored', reason: 'no kubectl is run: the load is sent from this process' },
  { path: 'harness.results_pvc', status: 'ignored', reason: 'results go to results/<stamp>-config/ on this machine (BENCH_RESULTS_DIR)' },
  { path: 'harness.namespace', status: 'ignored', reason: NO_POD },
  { path: 'harness.image', status: 'ignored', reason: `no harness image is used: ${NO_POD}` },
  { path: 'harness.dataset_url', status: 'rejected', reason: NOTHING_DOWNLOADED },
  { path: 'harness.dataset_path', status: 'rejected', reason: NOTHING_DOWNLOADED },
  { path: 'env[].valueFrom', status: 'rejected', reason: 'Secret and ConfigMap references are not read: export the variable and write value: ${VAR}' },

  { path: 'workload.*.load.interval', status: 'ignored', reason: "inference-perf's dispatch batching; here every request is sent at its own scheduled time" },
  { path: 'workload.*.load.request_retry_backoff_sec', status: 'ignored', reason: 'only used with request_retries, which must be 0' },
  { path: 'workload.*.load.sweep', status: 'rejected', reason: "inference-perf's automatic rate sweep is not supported: list the stages, or use a sweep or search load in a scenario file" },
  { path: 'workload.*.load.num_workers', status: 'rejected', reason: OWN_WORKERS },
  { path: 'workload.*.load.worker_max_concurrency', status: 'rejected', reason: `${OWN_WORKERS}; requests in flight are capped by max_in_flight in scenario files` },
  { path: 'workload.*.load.worker_max_tcp_connections', status: 'rejected', reason: `${OWN_WORKERS}; connections are pooled per target` },
  { path: 'workload.*.load.trace', status: 'rejected', reason: 'trace replay is not supported' },
  { path: 'workload.*.load.circuit_breakers', status: 'rejected', reason: 'circuit breakers are not supported: use stop rules (stop:) in a scenario file' },
  { path: 'workload.*.load.lora_traffic_split', status: 'rejected', reason: 'LoRA traffic splitting is not supported' },
  { path: 'workload.*.api.slo_unit', status: 'rejected', reason: 'per-request SLO headers are not supported: the SLO is asserted with toMeetSLO' },
  { path: 'workload.*.api.slo_ttft_header', status: 'rejected', reason: 'per-request SLO headers are not supported: the SLO is asserted with toMeetSLO' },
  { path: 'workload.*.api.slo_tpot_header', status: 'rejected', reason: 'per-request SLO headers are not supported: the SLO is asserted with toMeetSLO' },
  { path: 'workload.*.api.response_format', status: 'rejected', reason: 'structured output (response_format) is not supported' },
  { path: 'workload.*.server.cert_path', status: 'rejected', reason: 'TLS client certificates are not supported' },
  { path: 'workload.*.server.key_path', status: 'rejected', reason: 'TLS client certificates are not supported' },
  { path: 'workload.*.tokenizer.trust_remote_code', status: 'ignored', reason: 'no tokenizer code is downloaded or run' },
  { path: 'workload.*.tokenizer.token', status: 'ignored', reason: 'nothing is downloaded from Hugging Face (the value is treated as a secret)' },
  { path: 'workload.*.data.input_distribution.skew', status: 'rejected', reason: 'only normal (and fixed) length distributions are supported' },
  { path: 'workload.*.data.output_distribution.skew', status: 'rejected', reason: 'only normal (and fixed) length distributions are supported' },
  { path: 'workload.*.data.shared_prefix.max_model_len', status: 'ignored', reason: 'a context ceiling for multi-turn chat, which is not used' },
  { path: 'workload.*.data.shared_prefix.question_distribution', status: 'rejected', reason: 'length distributions in shared_prefix are not supported: give question_len' },
  { path: 'workload.*.data.shared_prefix.output_distribution', status: 'rejected', reason: 'length distributions in shared_prefix are not supported: give output_len' },
  { path: 'workload.*.data.shared_prefix.multimodal', status: 'rejected', reason: 'multimodal prompts are not supported' },
  { path: 'workload.*.data.multimodal', status: 'rejected', reason: 'multimodal prompts are not supported' },
  { path: 'workload.*.data.trace', status: 'rejected', reason: 'trace replay is not supported' },
  { path: 'workload.*.data.otel_trace_replay', status: 'rejected', reason: 'trace replay is not supported' },
  { path: 'workload.*.data.conversation_replay', status: 'rejected', reason: 'conversation replay is not supported' },
  {
    path: 'workload.*.report.request_lifecycle.summary',
    status: 'ignored',
    reason: 'always produced: summary.json has the summary of every workload',
  },
  {
    path: 'workload.*.report.request_lifecycle.per_stage',
    status: 'ignored',
    reason: 'always produced: summary.json has every stage, stages.jsonl a line per stage',
  },
  {
    path: 'workload.*.report.request_lifecycle.per_request',
    status: 'ignored',
    reason: 'always produced: requests.jsonl has every request; per_request: false does not suppress it',
  },
  {
    path: 'workload.*.report.request_lifecycle.percentiles',
    status: 'ignored',
    reason: 'reports give fixed statistics (mean, p50, p90, p95, p99, p99.9, min, max); requests.jsonl has the raw times for any other',
  },
  { path: 'workload.*.report.request_lifecycle.per_adapter', status: 'ignored', reason: 'no LoRA adapters are used' },
  { path: 'workload.*.report.request_lifecycle.per_adapter_stage', status: 'ignored', reason: 'no LoRA adapters are used' },
  { path: 'workload.*.report.prometheus', status: 'ignored', reason: 'a report of Prometheus metrics, which this file cannot configure (metrics is rejected)' },
  { path: 'workload.*.report.session_lifecycle', status: 'ignored', reason: 'a report of multi-turn sessions, which are not run' },
  { path: 'workload.*.report.goodput', status: 'rejected', reason: 'goodput constraints are not read from here: give the SLO to toMeetSLO' },
  { path: 'workload.*.storage.local_storage', status: 'ignored', reason: 'results go to results/<stamp>-config/ (BENCH_RESULTS_DIR)' },
  { path: 'workload.*.storage.google_cloud_storage', status: 'rejected', reason: 'results are not uploaded' },
  { path: 'workload.*.storage.simple_storage_service', status: 'rejected', reason: 'results are not uploaded' },
  { path: 'workload.*.metrics', status: 'rejected', reason: 'Prometheus collection is not configured from this file' },
  { path: 'workload.*.circuit_breakers', status: 'rejected', reason: 'circuit breakers are not supported: use stop rules (stop:) in a scenario file' },
]);

/**
 * A path as a pattern: the segment after `workload` becomes `*`, list indices `[]`.
 * `['workload', 'chat', 'load', 'stages', 2, 'x']` → `workload.*.load.stages[].x`.
 */
export function pathPattern(path: readonly PropertyKey[]): string {
  let out = '';
  path.forEach((segment, i) => {
    if (typeof segment === 'number') out += '[]';
    else if (i === 1 && path[0] === 'workload') out += '.*';
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  });
  return out;
}

const BY_PATH = new Map(KEY_RULES.map((rule) => [rule.path, rule]));

/** The rule for this exact key, if any (not its ancestors: a rule is looked up where the key sits). */
export function ruleFor(path: readonly PropertyKey[]): KeyRule | undefined {
  return BY_PATH.get(pathPattern(path));
}

/** The reason of an `ignored` rule; throws at module load when a schema names a key the table does not (a programming error). */
export function ignoredReason(pattern: string): string {
  const rule = BY_PATH.get(pattern);
  if (!rule || rule.status !== 'ignored') throw new Error(`key-policy: no "ignored" rule for ${pattern}`);
  return rule.reason;
}
