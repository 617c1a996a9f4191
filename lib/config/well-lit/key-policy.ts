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

/** A key accepted without effect, as found in the file. */
export interface IgnoredKey {
  /** Where: `control.work_dir`, `workload.sanity_random.storage.local_storage`. */
  path: string;
  /** Its value, secrets redacted. */
  value: unknown;
  /** Why it changes nothing. */
  reason: string;
  /** The workload it belongs to, if any. */
  workload?: string;
}

/** One rule: a key path pattern, its treatment, and why. */
export interface KeyRule {
  /** Path pattern: `*` for a workload name, `[]` for a list index. */
  path: string;
  status: KeyStatus;
  /** Shown to the user: why it has no effect (ignored) or is not supported (rejected). */
  reason: string;
}

const NO_POD = 'the load runs in this process, not in a launcher pod';
const OWN_WORKERS =
  "inference-perf's worker processes (num_workers × worker_max_concurrency requests in flight at most); here one process sends every request at its scheduled time, up to 1000 in flight, and measures how late it was";
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

  { path: 'workload.*.load.request_retry_backoff_sec', status: 'ignored', reason: 'only used with request_retries, which must be 0' },
  { path: 'workload.*.load.sweep', status: 'rejected', reason: "inference-perf's automatic rate sweep is not supported: list the stages, or use a sweep or search load in a scenario file" },
  { path: 'workload.*.load.num_workers', status: 'ignored', reason: OWN_WORKERS },
  { path: 'workload.*.load.worker_max_concurrency', status: 'ignored', reason: OWN_WORKERS },
  { path: 'workload.*.load.worker_max_tcp_connections', status: 'ignored', reason: `${OWN_WORKERS}; connections are pooled per target` },
  { path: 'workload.*.load.circuit_breakers', status: 'rejected', reason: 'circuit breakers are not supported: use stop rules (stop:) in a scenario file' },
  { path: 'workload.*.load.lora_traffic_split', status: 'rejected', reason: 'LoRA traffic splitting is not supported' },
  { path: 'workload.*.api.slo_unit', status: 'rejected', reason: 'per-request SLO headers are not supported: the SLO is asserted with toMeetSLO' },
  { path: 'workload.*.api.slo_ttft_header', status: 'rejected', reason: 'per-request SLO headers are not supported: the SLO is asserted with toMeetSLO' },
  { path: 'workload.*.api.slo_tpot_header', status: 'rejected', reason: 'per-request SLO headers are not supported: the SLO is asserted with toMeetSLO' },
  { path: 'workload.*.api.response_format', status: 'rejected', reason: 'structured output (response_format) is not supported' },
  { path: 'workload.*.server.cert_path', status: 'rejected', reason: 'TLS client certificates are not supported' },
  { path: 'workload.*.server.key_path', status: 'rejected', reason: 'TLS client certificates are not supported' },
  {
    path: 'workload.*.api.session_token_header_key',
    status: 'ignored',
    reason: "a server-assigned session token is not echoed back: each session's requests carry its own id in the session header (api.session_id_header_key, default x-session-id) for the gateway's affinity",
  },
  { path: 'workload.*.data.corpus_file_path', status: 'ignored', reason: "random prompts are drawn from this tool's own word pool; their token lengths are what the distributions set" },
  { path: 'workload.*.data.use_chat_template', status: 'rejected', reason: 'chat-templated prompts on the completions API are not supported: use api.type: chat, whose prompts are sized to the templated length' },
  { path: 'workload.*.data.visionarena', status: 'rejected', reason: 'multimodal datasets are not supported yet' },
  { path: 'workload.*.tokenizer.trust_remote_code', status: 'ignored', reason: 'no tokenizer code is downloaded or run' },
  { path: 'workload.*.tokenizer.token', status: 'ignored', reason: 'nothing is downloaded from Hugging Face (the value is treated as a secret)' },
  { path: 'workload.*.data.shared_prefix.max_model_len', status: 'ignored', reason: "a context ceiling for multi-turn chat that inference-perf's shared_prefix no longer has (its sessions are not trimmed): nothing reads it" },
  { path: 'workload.*.data.shared_prefix.multimodal', status: 'rejected', reason: 'multimodal prompts are not supported' },
  { path: 'workload.*.data.multimodal', status: 'rejected', reason: 'multimodal prompts are not supported' },
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
  {
    path: 'workload.*.report.request_lifecycle.use_server_output_tokens',
    status: 'ignored',
    reason: "output tokens are always the server's usage.completion_tokens when it gives them (tokenizer counts only when it gives none, and reports say which)",
  },
  { path: 'workload.*.report.request_lifecycle.max_error_messages', status: 'ignored', reason: 'failures are counted by class in the report, and requests.jsonl keeps every failed request with its message' },
  { path: 'workload.*.report.prometheus', status: 'ignored', reason: 'a report of Prometheus metrics, which this file cannot configure (metrics is rejected)' },
  { path: 'workload.*.report.session_lifecycle', status: 'ignored', reason: 'always produced: a workload that runs sessions reports them per turn and per session (terminal, report.html, summary.json)' },
  { path: 'workload.*.report.goodput', status: 'rejected', reason: 'goodput constraints are not read from here: give the SLO to toMeetSLO' },
  { path: 'workload.*.storage.local_storage', status: 'ignored', reason: 'results go to results/<stamp>-config/ (BENCH_RESULTS_DIR)' },
  { path: 'workload.*.storage.google_cloud_storage', status: 'ignored', reason: 'results are not uploaded to Google Cloud Storage: the run folder stays in results/ (BENCH_PUBLISH uploads it to S3-compatible storage)' },
  { path: 'workload.*.storage.simple_storage_service.report_file_prefix', status: 'ignored', reason: 'the run folder keeps its own file names (summary.json, requests.jsonl, ...)' },
  { path: 'workload.*.metrics.prometheus.filters', status: 'ignored', reason: 'server metrics are selected by the target (model, pod); PromQL label filters from the file are not applied' },
  { path: 'workload.*.metrics.prometheus.google_managed', status: 'ignored', reason: 'Google Cloud Managed Prometheus is not queried: set BENCH_PROMETHEUS_URL to its query URL (and BENCH_PROMETHEUS_TOKEN)' },
  { path: 'workload.*.circuit_breakers', status: 'rejected', reason: 'circuit breakers are not supported: use stop rules (stop:) in a scenario file' },
]);

/**
 * The parts of one inference-perf workload (kubernetes-sigs/inference-perf
 * `inference_perf/config/config.py`, class `Config`). An inference-perf config file is one
 * workload written at the top level, so its paths start with one of these.
 */
export const IP_PARTS = ['load', 'api', 'server', 'tokenizer', 'data', 'report', 'storage', 'metrics', 'circuit_breakers'] as const;

/**
 * A path as a pattern: the segment after `workload` becomes `*`, list indices `[]`, and the path
 * of a key in an inference-perf file (a workload at the top level) is read as a workload's.
 * `['workload', 'chat', 'load', 'stages', 2, 'x']` → `workload.*.load.stages[].x`;
 * `['load', 'num_workers']` → `workload.*.load.num_workers`.
 */
export function pathPattern(path: readonly PropertyKey[]): string {
  let out = (IP_PARTS as readonly PropertyKey[]).includes(path[0] as PropertyKey) ? 'workload.*' : '';
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
