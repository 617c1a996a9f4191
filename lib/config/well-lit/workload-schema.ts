/**
 * One inference-perf workload of a well-lit-path `config.yaml` (kubernetes-sigs/inference-perf
 * `inference_perf/config/config.py` and the models it names: `load`, `api`, `server`, `tokenizer`,
 * `data`, `report`, `storage`, `metrics`),
 * restricted to what vitest-llm-d translates, plus the keys it accepts without effect. Defaults
 * are inference-perf's own, so a workload means here what it means there. Known keys that are
 * not supported are left out and named with their reason (`key-policy.ts`).
 */
import { z } from 'zod';
import { BaseUrlSchema } from '../schema/target.ts';
import { IpDistributionSchema } from './ip-distribution.ts';
import { accepted, choice, seconds, tokens } from './schema-helpers.ts';
import { OTelTraceReplaySchema, WekaTraceReplaySchema } from '../../data/conversations/schema.ts';
import { IP_SESSION_STAGE_KEYS, IpConversationReplaySchema, IpTraceSchema } from './session-schema.ts';

export { IpDistributionSchema };
export type { IpDistribution } from './ip-distribution.ts';

/**
 * One stage: `rate` and `duration` (constant, poisson, trace_replay), `concurrency_level` and
 * `num_requests` (concurrent), or `concurrent_sessions` and the other session keys
 * (trace_session_replay); which a stage needs is checked against the load type when translating.
 */
export const IpStageSchema = z
  .strictObject({
    rate: z.number().positive().optional().describe('Requests per second (constant, poisson).'),
    duration: seconds().optional().describe('Seconds the stage lasts (constant, poisson). BENCH_DURATION overrides.'),
    concurrency_level: z.number().int().min(1).optional().describe('Requests in flight (concurrent).'),
    num_requests: tokens('requests').optional().describe('Requests the stage sends (concurrent).'),
    ...IP_SESSION_STAGE_KEYS,
  })
  .describe('One load stage.');

/** inference-perf `load`. */
export const IpLoadSchema = z
  .strictObject({
    type: choice(['constant', 'poisson', 'concurrent', 'trace_replay', 'trace_session_replay'] as const)
      .default('constant')
      .describe("constant or poisson (inference-perf's load timers: int(rate × duration) requests a stage), concurrent (closed loop), trace_replay (load.trace's timestamps) or trace_session_replay (OTel or Weka session traces); default constant."),
    stages: z.array(IpStageSchema, { error: 'expected a list of stages' }).default([]).describe("Stages, run in order (inference-perf's default: none, for a load.sweep to generate)."),
    interval: z
      .number({ error: 'expected a number of seconds' })
      .min(0, { error: 'expected seconds >= 0' })
      .optional()
      .describe("Seconds of idle pause between stages (inference-perf's default 1): the scenario load's pause. BENCH_PAUSE overrides."),
    request_timeout: seconds().optional().describe('Seconds a request may take in all (the scenario timeout total_s).'),
    request_retries: z
      .number()
      .int()
      .min(0)
      .max(0, { error: 'retries are not supported (a failed request counts as failed): set 0 or leave it out' })
      .optional()
      .describe('Must be 0: retries are not supported.'),
    request_retry_backoff_sec: accepted('workload.*.load.request_retry_backoff_sec'),
    base_seed: z.number().int().min(0).optional().describe('Seed of the arrival times (constant, poisson) and of the prompts; default a fresh one per run.'),
    num_workers: accepted('workload.*.load.num_workers'),
    worker_max_concurrency: accepted('workload.*.load.worker_max_concurrency'),
    worker_max_tcp_connections: accepted('workload.*.load.worker_max_tcp_connections'),
    trace: IpTraceSchema.optional().describe('trace_replay: the trace whose timestamps the requests are sent at.'),
  })
  .describe('When requests are sent.');

/** inference-perf `api`; `api: completion` (a bare string, as in inference-perf's own examples) is accepted too. */
export const IpApiSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { type: v } : v),
  z
    .strictObject({
      type: choice(['completion', 'chat'] as const, { anthropic_messages: "only the OpenAI APIs are supported" })
        .default('completion')
        .describe('completion (/v1/completions) or chat (/v1/chat/completions); default completion.'),
      streaming: z.boolean().default(false).describe("Stream responses; default false, as inference-perf's (TTFT, TPOT and ITL need true)."),
      headers: z.record(z.string(), z.string()).optional().describe('Extra request headers (every workload must give the same).'),
      session_id_header_key: z.string().min(1).optional().describe('Header that carries the session id of multi-turn sessions (the data\'s session_header).'),
      session_token_header_key: accepted('workload.*.api.session_token_header_key'),
    })
    .describe('Which OpenAI API, streamed or not.'),
);

/** inference-perf `server`. */
export const IpServerSchema = z
  .strictObject({
    type: choice(['vllm', 'sglang', 'tgi'] as const, { mock: "inference-perf's mock client is not supported: leave BENCH_CONFIG unset to run on the embedded simulator" })
      .default('vllm')
      .describe('Server software: vllm (default), sglang or tgi.'),
    model_name: z.string().min(1).optional().describe('Model to request; default the first one the server lists.'),
    base_url: BaseUrlSchema.optional().describe('Server URL (default endpoint.base_url; when both are given they must be the same).'),
    ignore_eos: z.boolean().default(true).describe('Send ignore_eos so outputs are exactly max_tokens long (default true).'),
    api_key: z.string().optional().describe('Bearer key. Never shown; write ${VAR} to take it from the environment.'),
  })
  .describe('The model server.');

/** inference-perf `tokenizer`. */
export const IpTokenizerSchema = z
  .strictObject({
    pretrained_model_name_or_path: z
      .string()
      .optional()
      .describe("Tokenizer the prompts are measured with: the model's own when bundled (Qwen3), otherwise Qwen3's as an approximation; the report says which."),
    trust_remote_code: accepted('workload.*.tokenizer.trust_remote_code'),
    token: accepted('workload.*.tokenizer.token'),
  })
  .describe('The tokenizer.');


const lengthOnly = (what: string) => z.number({ error: `expected a positive integer (${what})` }).int().min(1);

/** A shared_prefix length: tokens, or a distribution (`Union[int, Distribution]` in inference-perf's SharedPrefix). */
const lengthOrDistribution = () =>
  z.union([lengthOnly('tokens'), IpDistributionSchema], { error: 'expected a positive integer (tokens) or a distribution {type, min, max, mean, std_dev}' });

/** inference-perf `data.shared_prefix`, with its defaults (10 groups of 10 prompts, 100 + 50 tokens, output 50). */
export const IpSharedPrefixSchema = z
  .strictObject({
    num_groups: lengthOnly('groups').optional().describe('Groups, each with its own shared prefix (default 10).'),
    num_unique_system_prompts: lengthOnly('groups').optional().describe('Same as num_groups.'),
    num_prompts_per_group: lengthOnly('prompts').optional().describe('Distinct questions per group (default 10).'),
    num_users_per_system_prompt: lengthOnly('prompts').optional().describe('Same as num_prompts_per_group.'),
    system_prompt_len: lengthOrDistribution().default(100).describe('Tokens of the shared prefix: a number (default 100) or a distribution, drawn once per group.'),
    question_len: lengthOrDistribution().default(50).describe('Tokens of each question: a number (default 50) or a distribution, drawn per prompt.'),
    output_len: lengthOrDistribution().default(50).describe('max_tokens of a request: a number (default 50) or a distribution, drawn per prompt.'),
    question_distribution: IpDistributionSchema.optional().describe('Legacy form of a question_len distribution (used when question_len is a number).'),
    output_distribution: IpDistributionSchema.optional().describe('Legacy form of an output_len distribution (used when output_len is a number).'),
    seed: z.number().int().min(0).optional().describe('Seed of the prompts (default a fresh one per run).'),
    enable_multi_turn_chat: z
      .boolean()
      .default(false)
      .describe("Send each user's prompt as the turns of one growing conversation, as inference-perf does (default false)."),
    max_model_len: accepted('workload.*.data.shared_prefix.max_model_len'),
  })
  .describe('Groups of prompts sharing a system prompt.');

const NOT_GENERATED = 'use random, shared_prefix, shareGPT or conversation_replay';

/** inference-perf `data`. */
export const IpDataSchema = z
  .strictObject({
    type: choice(['random', 'shared_prefix', 'shareGPT', 'billsum_conversations', 'cnn_dailymail', 'infinity_instruct', 'conversation_replay', 'otel_trace_replay', 'weka_trace_replay'] as const, {
      mock: `inference-perf's fixed mock prompt is not supported: ${NOT_GENERATED}`,
      synthetic: `inference-perf's synthetic text is not supported: ${NOT_GENERATED}`,
    }).describe('random (with trace: a trace\'s lengths), shared_prefix, a dataset file (shareGPT, billsum_conversations, cnn_dailymail or infinity_instruct, each read as inference-perf reads it), conversation_replay, or a session trace (otel_trace_replay, weka_trace_replay).'),
    corpus_file_path: accepted('workload.*.data.corpus_file_path'),
    path: z.string().min(1).optional().describe('A dataset type: the dataset file (JSON or JSONL), relative to where vitest runs. Required: nothing is downloaded.'),
    input_distribution: IpDistributionSchema.optional().describe('random: prompt lengths. A dataset file: prompts with a token count outside min..max are skipped (completion API).'),
    output_distribution: IpDistributionSchema.optional().describe('random: output lengths (max_tokens). A dataset file: conversations whose reply token count is outside min..max are skipped (completion API).'),
    shared_prefix: IpSharedPrefixSchema.optional().describe('shared_prefix: the groups.'),
    trace: IpTraceSchema.optional().describe('random: a trace file whose lengths the requests take (with load.type trace_replay).'),
    conversation_replay: IpConversationReplaySchema.optional().describe('conversation_replay: the conversations.'),
    otel_trace_replay: OTelTraceReplaySchema.optional().describe('otel_trace_replay: the OTel trace files and their options.'),
    weka_trace_replay: WekaTraceReplaySchema.optional().describe('weka_trace_replay: the Weka trace files and their options.'),
  })
  .describe('What requests say.');

/** inference-perf `report`: everything in it is always produced, so it is accepted as written. */
export const IpReportSchema = z
  .strictObject({
    request_lifecycle: z
      .strictObject({
        summary: accepted('workload.*.report.request_lifecycle.summary'),
        per_stage: accepted('workload.*.report.request_lifecycle.per_stage'),
        per_request: accepted('workload.*.report.request_lifecycle.per_request'),
        percentiles: accepted('workload.*.report.request_lifecycle.percentiles'),
        per_adapter: accepted('workload.*.report.request_lifecycle.per_adapter'),
        per_adapter_stage: accepted('workload.*.report.request_lifecycle.per_adapter_stage'),
        use_server_output_tokens: accepted('workload.*.report.request_lifecycle.use_server_output_tokens'),
        max_error_messages: accepted('workload.*.report.request_lifecycle.max_error_messages'),
      })
      .optional()
      .describe('Per-request, per-stage and summary reports: all always written.'),
    prometheus: accepted('workload.*.report.prometheus'),
    session_lifecycle: accepted('workload.*.report.session_lifecycle'),
  })
  .describe('Which reports to write: all are always written.');

/** inference-perf `storage`: S3 settings become the run folder's upload (`BENCH_PUBLISH` and the AWS variables). */
export const IpStorageSchema = z
  .strictObject({
    local_storage: accepted('workload.*.storage.local_storage'),
    google_cloud_storage: accepted('workload.*.storage.google_cloud_storage'),
    simple_storage_service: z
      .strictObject({
        bucket_name: z.string().min(1).describe('Bucket the run folder is uploaded to (BENCH_PUBLISH=s3://<bucket>/<path>).'),
        path: z.string().optional().describe("Key prefix under the bucket; '{timestamp}' is dropped, since every run folder is named by its UTC start time."),
        report_file_prefix: accepted('workload.*.storage.simple_storage_service.report_file_prefix'),
        endpoint_url: z.string().min(1).optional().describe('S3-compatible endpoint (AWS_ENDPOINT_URL_S3).'),
        region_name: z.string().min(1).optional().describe('Region (AWS_REGION).'),
        addressing_style: z.enum(['auto', 'virtual', 'path']).optional().describe('path: path-style URLs (BENCH_PUBLISH_PATH_STYLE=true); virtual: false; auto: the default.'),
      })
      .optional()
      .describe('Upload of the run folder to S3 or an S3-compatible store, as BENCH_PUBLISH does.'),
  })
  .describe('Where reports go: results/<stamp>-config/ here, uploaded to S3 when simple_storage_service is given.');

/** inference-perf `metrics`: its Prometheus becomes the run's (`BENCH_PROMETHEUS_URL`, `BENCH_PROMETHEUS_SCRAPE_INTERVAL_S`). */
export const IpMetricsSchema = z
  .strictObject({
    type: choice(['prometheus', 'default'] as const).describe('prometheus: query the server metrics from prometheus.url; default: none.'),
    prometheus: z
      .strictObject({
        url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional().describe('Prometheus query URL (BENCH_PROMETHEUS_URL).'),
        scrape_interval: z.number().int().positive().default(15).describe("The server's scrape interval in seconds, for rate() windows (BENCH_PROMETHEUS_SCRAPE_INTERVAL_S; default 15 as inference-perf's)."),
        filters: accepted('workload.*.metrics.prometheus.filters'),
        google_managed: accepted('workload.*.metrics.prometheus.google_managed'),
      })
      .optional()
      .describe('The Prometheus to query.'),
  })
  .describe('Server metrics from Prometheus over each run window.');

/** The parts of a workload, each validated on its own so one bad part does not hide the others' problems. */
export const IP_WORKLOAD_PARTS = {
  load: IpLoadSchema,
  api: IpApiSchema,
  server: IpServerSchema,
  tokenizer: IpTokenizerSchema,
  data: IpDataSchema,
  report: IpReportSchema,
  storage: IpStorageSchema,
  metrics: IpMetricsSchema,
} as const;

/** The keys of a workload (its parts are checked with `IP_WORKLOAD_PARTS`): load and data required. */
export const IpWorkloadKeysSchema = z
  .strictObject({
    load: z.unknown().refine((v) => v !== undefined, { error: "required (inference-perf's default load has no stages: nothing would be sent)" }),
    api: z.unknown().optional(),
    server: z.unknown().optional(),
    tokenizer: z.unknown().optional(),
    data: z.unknown().refine((v) => v !== undefined, { error: `required (inference-perf's default is its mock prompt, "1 2 3 <i>", which is not supported: ${NOT_GENERATED})` }),
    report: z.unknown().optional(),
    storage: z.unknown().optional(),
    metrics: z.unknown().optional(),
  })
  .describe('An inference-perf workload.');

/** One inference-perf workload. */
export const IpWorkloadSchema = z
  .strictObject({
    load: IpLoadSchema,
    api: IpApiSchema.optional(),
    server: IpServerSchema.optional(),
    tokenizer: IpTokenizerSchema.optional(),
    data: IpDataSchema,
    report: IpReportSchema.optional(),
    storage: IpStorageSchema.optional(),
    metrics: IpMetricsSchema.optional(),
  })
  .describe('An inference-perf workload.');

/** A parsed inference-perf workload. */
export type IpWorkload = z.output<typeof IpWorkloadSchema>;
