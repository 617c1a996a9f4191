/**
 * Every key of inference-perf's config model, from its source (kubernetes-sigs/inference-perf at
 * 7de5ef2ed6f7934e0ecbc8297e593f79e68430c0: `inference_perf/config/config.py` `Config` and the
 * models it names: `apis/config.py` APIConfig and ResponseFormat, `datagen/config.py` DataConfig
 * and SharedPrefix, `common.py` Distribution, `loadgen/config.py` LoadConfig, StandardLoadStage,
 * ConcurrentLoadStage, TraceSessionReplayLoadStage, SweepConfig and MultiLoRAConfig,
 * `metrics/config.py` with `client/server_metrics/config.py`, `reportgen/config.py`,
 * `client/filestorage/config.py`, `client/modelserver/config.py`, `utils/config.py` and
 * `circuit_breaker/config.py`), each with a value inference-perf accepts and what this tool does
 * with it. A key whose model is a list or a union of shapes is listed once, with one shape.
 */

/** What a key does here. */
export type Treatment = 'translated' | 'ignored' | 'rejected';

/** One key of the model. */
export interface IpKey {
  /** Path in an inference-perf config file; `[0]` for a list item. */
  path: string;
  /** A value inference-perf accepts there (YAML flow text). */
  value: string;
  treatment: Treatment;
  /** The minimal file the key is set in, when the default one (a constant load of random data) does not fit. */
  base?: Base;
  /** The value is what the minimal file means without it, so nothing changes. */
  unchanged?: true;
}

/** Minimal files a key can be set in (see `BASES` in the test). */
export type Base = 'concurrent' | 'shared_prefix' | 'sharegpt' | 'conversation' | 'trace' | 'otel' | 'weka' | 's3' | 'prometheus';

/** Bases whose translation uses the session and trace data types of the scenario schema. */
export const SESSION_BASES: readonly Base[] = ['conversation', 'trace', 'otel', 'weka'];

const t = (path: string, value: string, base?: Base): IpKey => ({ path, value, treatment: 'translated', ...(base ? { base } : {}) });
const i = (path: string, value: string, base?: Base): IpKey => ({ path, value, treatment: 'ignored', ...(base ? { base } : {}) });
const r = (path: string, value: string, base?: Base): IpKey => ({ path, value, treatment: 'rejected', ...(base ? { base } : {}) });

const distribution = (at: string): IpKey[] => [
  t(`${at}.min`, '20'),
  t(`${at}.max`, '90'),
  t(`${at}.mean`, '40'),
  t(`${at}.std_dev`, '5'),
  t(`${at}.type`, 'fixed'),
];

/** Every key, in the order of the upstream models. */
export const IP_KEYS: readonly IpKey[] = [
  // APIConfig
  t('api.type', 'chat'),
  t('api.streaming', 'true'),
  t('api.headers', '{ x-team: bench }'),
  r('api.slo_unit', 'ms'),
  r('api.slo_tpot_header', 'x-slo-tpot-ms'),
  r('api.slo_ttft_header', 'x-slo-ttft-ms'),
  r('api.response_format', '{ type: json_object }'),
  t('api.session_id_header_key', 'x-affinity', 'conversation'),
  i('api.session_token_header_key', 'x-session-token'),
  // DataConfig
  { ...t('data.type', 'random'), unchanged: true },
  t('data.path', 'sharegpt.jsonl', 'sharegpt'),
  i('data.corpus_file_path', '/data/corpus.txt'),
  ...distribution('data.input_distribution'),
  t('data.input_distribution.total_count', '50'),
  t('data.input_distribution.variance', '25'),
  t('data.input_distribution.skew', '2'),
  ...distribution('data.output_distribution'),
  t('data.shared_prefix.num_groups', '4', 'shared_prefix'),
  t('data.shared_prefix.num_unique_system_prompts', '4', 'shared_prefix'),
  t('data.shared_prefix.num_prompts_per_group', '3', 'shared_prefix'),
  t('data.shared_prefix.num_users_per_system_prompt', '3', 'shared_prefix'),
  t('data.shared_prefix.system_prompt_len', '64', 'shared_prefix'),
  t('data.shared_prefix.question_len', '16', 'shared_prefix'),
  t('data.shared_prefix.output_len', '8', 'shared_prefix'),
  t('data.shared_prefix.seed', '7', 'shared_prefix'),
  t('data.shared_prefix.question_distribution', '{ min: 10, max: 20, mean: 15, std_dev: 2 }', 'shared_prefix'),
  t('data.shared_prefix.output_distribution', '{ type: lognormal, min: 10, max: 200, mean: 40, std_dev: 20 }', 'shared_prefix'),
  t('data.shared_prefix.enable_multi_turn_chat', 'true', 'shared_prefix'),
  r('data.shared_prefix.multimodal', '{}', 'shared_prefix'),
  r('data.multimodal', '{}'),
  { ...t('data.trace', '{ file: trace.csv, format: AzurePublicDataset }', 'trace'), unchanged: true },
  t('data.otel_trace_replay.include_errors', 'false', 'otel'),
  t('data.weka_trace_replay.trace_idle_gap_cap_seconds', '30', 'weka'),
  t('data.conversation_replay.num_conversations', '10', 'conversation'),
  t('data.conversation_replay.turns_per_conversation', '{ type: fixed, min: 1, max: 8, mean: 4 }', 'conversation'),
  r('data.visionarena', '{}'),
  r('data.use_chat_template', 'true'),
  // LoadConfig and its stages
  t('load.type', 'poisson'),
  t('load.interval', '0.5'),
  t('load.stages[0].rate', '2'),
  t('load.stages[0].duration', '3'),
  t('load.stages[0].num_requests', '12', 'concurrent'),
  t('load.stages[0].concurrency_level', '4', 'concurrent'),
  t('load.stages[0].concurrent_sessions', '2', 'otel'),
  t('load.stages[0].num_sessions', '3', 'otel'),
  r('load.sweep', '{ type: linear }'),
  i('load.num_workers', '44'),
  i('load.worker_max_concurrency', '100'),
  i('load.worker_max_tcp_connections', '2500'),
  { ...t('load.trace', '{ file: trace.csv }', 'trace'), unchanged: true },
  r('load.circuit_breakers', '[breaker]'),
  t('load.request_timeout', '30'),
  r('load.lora_traffic_split', '[{ name: a, split: 1.0 }]'),
  t('load.base_seed', '42'),
  // MetricsClientConfig, PrometheusClientConfig
  t('metrics.type', 'default', 'prometheus'),
  t('metrics.prometheus.url', 'http://127.0.0.1:9090', 'prometheus'),
  t('metrics.prometheus.scrape_interval', '30', 'prometheus'),
  i('metrics.prometheus.filters', '["namespace=\\"llm-d\\""]', 'prometheus'),
  i('metrics.prometheus.google_managed', 'false', 'prometheus'),
  // ReportConfig
  i('report.request_lifecycle.summary', 'true'),
  i('report.request_lifecycle.per_stage', 'true'),
  i('report.request_lifecycle.per_request', 'true'),
  i('report.request_lifecycle.per_adapter', 'true'),
  i('report.request_lifecycle.per_adapter_stage', 'false'),
  i('report.request_lifecycle.percentiles', '[50, 90, 99]'),
  i('report.request_lifecycle.use_server_output_tokens', 'true'),
  i('report.request_lifecycle.max_error_messages', '10'),
  i('report.prometheus', '{ summary: true, per_stage: false }'),
  i('report.session_lifecycle', '{ summary: true }'),
  r('report.goodput', '{ constraints: { ttft: 0.5 } }'),
  // StorageConfig
  i('storage.local_storage', '{ path: reports, report_file_prefix: run }'),
  i('storage.google_cloud_storage', '{ bucket_name: bench }'),
  t('storage.simple_storage_service.bucket_name', 'bench', 's3'),
  t('storage.simple_storage_service.path', 'llm-d', 's3'),
  t('storage.simple_storage_service.endpoint_url', 'http://127.0.0.1:9000', 's3'),
  t('storage.simple_storage_service.region_name', 'eu-west-1', 's3'),
  t('storage.simple_storage_service.addressing_style', 'path', 's3'),
  i('storage.simple_storage_service.report_file_prefix', 'run', 's3'),
  // ModelServerClientConfig
  t('server.type', 'sglang'),
  t('server.model_name', 'Qwen/Qwen3-0.6B'),
  t('server.base_url', 'http://127.0.0.1:8000'),
  t('server.ignore_eos', 'false'),
  t('server.api_key', 'sk-test'),
  r('server.cert_path', '/certs/client.pem'),
  r('server.key_path', '/certs/client.key'),
  // CustomTokenizerConfig
  t('tokenizer.pretrained_model_name_or_path', 'Qwen/Qwen3-0.6B'),
  i('tokenizer.trust_remote_code', 'true'),
  i('tokenizer.token', 'hf_test'),
  // Config.circuit_breakers
  r('circuit_breakers', '[{ name: breaker, metrics: { matches: [x] }, triggers: [{ type: consecutive, threshold: 3 }] }]'),
];
