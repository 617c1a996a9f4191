/**
 * The report model: everything one benchmark test measured (`TestReport`), assembled once by
 * `lib/scenario/assemble-report.ts` from the sections its producers return. The section types
 * live beside it in this folder (`load.ts`, `slo.ts`, `server-metrics.ts`, `baseline.ts`,
 * `distributed.ts`), so producers and renderers both import them from here and this folder
 * imports nothing above the statistics it carries (`lib/metrics`, `lib/stats`).
 */
import type { LatencyMetric, RunStats } from '../metrics/aggregate.ts';
import type { RunClock } from '../metrics/record.ts';
import type { Definitions } from '../metrics/derive.ts';
import type { BaselineOutcome } from './baseline.ts';
import type { DistributedReport } from './distributed.ts';
import type { Knee, CapacityResult, StopRuleHit, StallSummary } from './load.ts';
import type { PrefixCacheReport, ServerMetricsReport } from './server-metrics.ts';
import type { Goodput, SloEvaluation, Validity } from './slo.ts';

export type { Definitions, LatencyMetric, RunClock, RunStats, Validity };
export type { DistributedPod, DistributedReport } from './distributed.ts';
export { USAGE_TOLERANCE, USAGE_TOLERANCE_TEXT } from '../metrics/usage-check.ts';

/** Where the numbers came from: a real endpoint, or the embedded simulator. */
export interface TargetInfo {
  /** Target name (`simulator` for the embedded default). */
  name: string;
  /** `simulator` numbers are modeled, not measured on hardware; every report says so prominently. */
  kind: 'simulator' | 'endpoint';
  /** How the target was chosen, e.g. `targets.yaml#local-vllm`, `env BENCH_BASE_URL`. */
  origin: string;
  baseUrl: string;
  model: string;
  /** Models the server listed. */
  servedModels: string[];
  backend: string;
  accelerator: string | null;
  /** The server's version (vLLM's `GET /version`); null when it does not say. Optional in reports from before it was recorded. */
  serverVersion?: string | null;
  notes: string | null;
  /** Simulator settings that shape its numbers (profile, time scale), when `kind` is `simulator`. */
  simulator: Record<string, unknown> | null;
  /** Set when the run provisioned the stack it measured (`BENCH_PROVISION`): where, and how it was reached. */
  provisioned?: ProvisionInfo;
}

/** How a client reaches a provisioned stack. */
export type AccessMode = 'url' | 'service-dns' | 'cluster-ip' | 'port-forward';

/** A stack this run created from a template, measured, and deleted afterwards. */
export interface ProvisionInfo {
  /** The template file, as given. */
  template: string;
  /** `simulator` for the embedded cluster simulator (its vLLM servers are simulated too). */
  cluster: 'cluster' | 'simulator';
  /** API server URL (no credentials) and kubeconfig context. */
  server: string;
  context: string;
  namespace: string;
  /** The run label's value on every object it created. */
  runId: string;
  deployment: string;
  service: string;
  /** `url` (given by the user: gateway, route), `service-dns` (the suite runs in the cluster), `cluster-ip` (the Service's ClusterIP, reachable from here), `port-forward` (through the API server and kubelet). */
  access: AccessMode;
  /** What the access goes through, e.g. `Service 127.2.0.7:8000` or `pod vllm-x-abcde:8000 via the API server`. */
  accessDetail: string;
  /** Deployment created -> all replicas available, in cluster seconds. */
  rolloutSeconds: number;
  /** Things that distort what was measured (port-forward noise). */
  warnings: string[];
}

/** The workload of a test. */
export interface WorkloadInfo {
  api: string;
  stream: boolean;
  /** e.g. `concurrency 1 (closed loop)`. */
  load: string;
  /** Raw load config (type and parameters). */
  loadConfig: Record<string, unknown>;
  warmupRequests: number;
  /** Measured requests per stage (`num_requests`); null when only durations bound the stages. */
  requests: number | null;
  data: {
    type: string;
    /** Seed the prompts were built from (rerun with `data.seed` set to it for the same prompts). */
    seed: number;
    cells: string[];
    /** Tokenizer that built the prompts and counts output text; `exact` when it is the model's own. */
    tokenizer: { name: string; kind: string; exact: boolean };
    /** The resolved `data:` config (overrides applied, `seed` the one used); absent in reports from before it was recorded. */
    config?: Record<string, unknown>;
  };
  /** Config values changed by environment variables. */
  overrides: Array<{ path: string; value: unknown; source: string }>;
  /** Adjustments made to fit the target (e.g. max_tokens clamped). */
  notes: string[];
}

/** One stage of a run (a level of a sweep, a stage of a staged load, a phase of a user ramp, a search trial). */
export interface StageReport {
  index: number;
  /** e.g. `concurrency 10`, `rate 5/s`, `ramp 1→100 users`. */
  label: string;
  description: string;
  /** What the stage offered: a rate (open loop) or a concurrency (closed loop). */
  offered: { rate: number | null; concurrency: number | null };
  /** Probe value and trial, for a capacity search. */
  probe?: { value: number; trial: number };
  /**
   * The idle pause before the stage (a staged load's `pause`, inference-perf's `load.interval`):
   * as planned, and the time from the stage before's end (its last request finished) to this
   * stage's start, s. Nothing was sent in it, and no measurement window includes it.
   */
  pause?: { plannedS: number; idleS: number };
  /** Measurement window of the stage, s. */
  durationS: number;
  /** Requests sent, and cut at the end of the stage (drain bound, stop rule; not in the statistics). */
  sent: number;
  cut: number;
  /** Send rate achieved, requests/s (compare with `offered.rate`). */
  achievedSendRate: number | null;
  /** Event-loop delay of the client during the stage, ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Stalls of the measuring thread that began in the stage; the requests they marked are `stats.requests.stalled`. */
  stalls?: StallSummary;
  stats: RunStats;
  /** Invalid when the client fell behind (lag p99), stalled, or under-delivered the offered rate. */
  validity: Validity;
  /** The stop rule that ended this stage, if one did. */
  stopRule: StopRuleHit | null;
  /** Goodput under the scenario's SLO profile. */
  goodput: Goodput;
}

/** Which stop rule ended a run early, where, and the last stage before it. */
export interface StopReport {
  /** Label of the stage the rule fired in (the breaking point). */
  stage: string;
  rule: StopRuleHit['rule'];
  detail: string;
  /** Label of the stage before it (the last that did not break a rule), or null. */
  lastGood: string | null;
  /** Planned stages that were not run, when the plan was known. */
  skipped: number | null;
}

/** One scenario's resolved config, as `config.yaml` records it. */
export interface ResolvedScenarioConfig {
  /** The scenario file, as shown in messages (relative to the working directory). */
  file: string;
  scenario: Record<string, unknown>;
  sloProfiles?: Record<string, unknown>;
  simulator?: Record<string, unknown>;
}

/**
 * Why a test or a run ended before its work was done: `timed out` (the test's time limit,
 * `BENCH_TEST_TIMEOUT_S`) or `interrupted` (Ctrl-C, SIGTERM, a worker that died), with the reason.
 */
export interface Interruption {
  kind: 'interrupted' | 'timed out';
  reason: string;
}

/** Everything one benchmark test measured: carried in `task.meta.llmd`, read by every reporter. */
export interface TestReport {
  schema: 'vitest-llm-d/test-report@1';
  suite: string;
  scenario: string;
  description: string | null;
  /**
   * Where the per-request latencies start and stop (scenario `definitions`, README "Metric
   * dictionary"); absent in reports written before it was recorded, which used `vitest-llm-d`.
   */
  definitions?: Definitions;
  /** Wall time the measured phase started (ISO 8601 UTC). */
  timestamp: string;
  target: TargetInfo;
  workload: WorkloadInfo;
  stats: RunStats;
  /** Statistics per workload cell (prompt size × max_tokens). */
  cells: Array<{ cell: string; stats: RunStats }>;
  /** Statistics per model, when the scenario sent to more than one (`models`). */
  models?: Array<{ model: string; stats: RunStats }>;
  /** Statistics per stage, in order (one for a single-stage load). */
  stages: StageReport[];
  /**
   * `stats` of the measured requests that overlapped no stall of the measuring thread
   * (`stats.requests.stalled` did): present when some did, to show what they moved. Absent too in a
   * merge that took some pod's statistics from its histograms.
   */
  withoutStalled?: RunStats;
  /** The stop rule that ended the run early, or null. */
  stop: StopReport | null;
  /** Goodput under the scenario's SLO profile (single-stage runs; see each stage otherwise). */
  goodput: Goodput | null;
  /** The knee of a concurrency sweep. */
  knee?: Knee;
  /** What a capacity search found. */
  capacity?: CapacityResult;
  run: {
    clock: RunClock;
    durationS: number;
    stopped: string | null;
    sent: number;
    offeredRate: number | null;
    achievedSendRate: number | null;
    eventLoopDelayMs: { p50: number; p99: number; max: number };
    /** Stalls of the measuring thread over the measured phase (`lib/load/stall-watch.ts`); absent in reports from before they were watched. */
    stalls?: StallSummary;
    /** Scheduling priority of the measuring thread (raised to nice -10 when permitted). */
    priority: { nice: number; raised: boolean; note?: string };
  };
  validity: Validity;
  /** SLO verdicts: the scenario's configured profile, plus any other a test asserted. */
  slo: SloEvaluation[];
  /** Files written, relative to the run folder. */
  files: { requests: string; stages?: string };
  /** The run folder (absolute). */
  runDir: string;
  /**
   * The scenario as it ran: the scenario file's entry with every override applied and the data
   * seed that was used, secrets redacted; with the file's custom SLO profiles and simulator
   * settings. `config.yaml` in the run folder collects them, and `vitest-llm-d rerun` runs them again.
   */
  config?: ResolvedScenarioConfig;
  /** The regression gate's verdict against `BENCH_BASELINE`, when one was given. */
  baseline?: BaselineOutcome;
  /** Set when the test was ended from outside while it measured: the report holds the requests that finished. */
  interrupted?: Interruption;
  /** Prefix-cache results of a `shared_prefix` test (`suites/prefix-cache`): warm vs cold TTFT, the server's hit rate over the test, the checks. */
  prefixCache?: PrefixCacheReport;
  /**
   * GPU and server series over the test's measured window (from Prometheus, or scraped from the
   * target's `/metrics` without one); points in seconds since `serverMetrics.window.start`.
   * Absent when nothing was read (no Prometheus and `BENCH_METRICS_SCRAPE=off`).
   */
  serverMetrics?: ServerMetricsReport;
  /** A test of a distributed run (`vitest-llm-d launch`): a pod's share of it, or the merge of every pod's. */
  distributed?: DistributedReport;
  /** The run's description from its config file (`description:` of an llm-d-benchmark config), when it has one. */
  runDescription?: RunDescription;
  /** The config's workload hooks that ran around this test, in order. */
  hooks?: HookReport[];
  /** Multi-turn sessions of a `conversations` (or multi-turn `shared_prefix`) workload: per turn index and per session. */
  sessions?: SessionsReport;
  /** What a replayed trace (`data.type: trace`) was, and how closely the run kept its timing and its cache reuse. */
  trace?: TraceReport;
}

/** A statistic's summary over a set of values. */
export interface ValueSummary {
  count: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  min: number | null;
  max: number | null;
}

/**
 * The sessions of a multi-turn run. A session is the turns one conversation sent in order, each
 * after the previous turn's response plus its think time; a turn is a request (`RequestRecord.session`).
 */
export interface SessionsReport {
  /** Header that carried the session id on every turn (default `x-session-id`). */
  header: string;
  /** Sessions started in the measured stages. */
  started: number;
  /** Sessions whose every planned turn finished ok. */
  completed: number;
  /** Sessions ended by a failed turn (the turn's error says why). */
  failed: number;
  /** Sessions the stage's end cut before their last turn (their unsent turns are `turnsCut`). */
  cut: number;
  /** Sessions whose turn was in flight when the run stopped. */
  stopped: number;
  /** Turns the started sessions planned, sent, and left unsent because the stage ended. */
  turnsPlanned: number;
  turnsSent: number;
  turnsCut: number;
  /** Seconds from a session's first send to its last turn's end, over the sessions that ended. */
  durationS: ValueSummary;
  /** Turns finished ok per session. */
  turnsCompleted: ValueSummary;
  /** Statistics of the turns at each turn index (1-based), in order. */
  byTurn: Array<{
    turn: number;
    stats: RunStats;
    /** Prompt tokens the server reported cached (`usage.prompt_tokens_details.cached_tokens`), mean over the turns that reported it; null when none did. */
    cachedTokensMean: number | null;
    /** Cached prompt tokens / prompt tokens over the turns that reported both; null when none did. */
    cachedFraction: number | null;
  }>;
}

/** A replayed trace: its source, its window, and how the run kept to it. */
export interface TraceReport {
  /** `mooncake`, `azure`, `burstgpt`, `weka` or `otel`. */
  format: string;
  /** The trace file as the scenario named it. */
  file: string;
  /** Requests replayed (after the window: `max_requests`, `max_duration_s`). */
  requests: number;
  /** Rows of the file left out, and why (summed by reason), when any were. */
  skipped?: Array<{ reason: string; rows: number }>;
  /** Time compression: trace time / replay time (1: as recorded). */
  speedup: number;
  /** Span of the replayed window on the trace's clock, s (before the speed-up). */
  traceSpanS: number;
  /** Span of the replay, first intended send to last intended send, s (after the speed-up). */
  replaySpanS: number;
  /** Lag of each send behind the trace's own timestamp (after the speed-up), ms: the run's schedule lag. */
  arrivalLagMs: ValueSummary;
  /** Tokens per hashed block, for formats with block hashes (Mooncake `hash_ids`); null otherwise. */
  blockSize: number | null;
  /**
   * Prompt tokens the trace's block reuse predicts cached: the full blocks of each request whose
   * hash an earlier request of the replay already sent, summed; null for formats without block hashes.
   */
  expectedCachedTokens: number | null;
  /** Prompt tokens sent in all. */
  promptTokens: number;
  /** Cached prompt tokens the server reported (`cached_tokens` summed), null when it reported none. */
  reportedCachedTokens: number | null;
}

/**
 * The sections of a `TestReport` one scenario run measures (`lib/scenario/run-scenario.ts`):
 * everything but what is read or decided around it (server metrics, the resolved config, a
 * distributed run's section, the baseline comparison, the prefix-cache reading, the hooks).
 */
export type MeasuredTest = Omit<TestReport, 'config' | 'baseline' | 'interrupted' | 'prefixCache' | 'serverMetrics' | 'distributed' | 'runDescription' | 'hooks'>;

/** Free text and keywords identifying a run's results (llm-d-benchmark's `description.text` and `description.keywords`). */
export interface RunDescription {
  text: string | null;
  keywords: string[];
}

/** One workload hook (a shell command run before or after a test) and how it ended. */
export interface HookReport {
  hook: 'pre_workload' | 'post_workload';
  /** The command, secrets redacted. */
  command: string;
  /** Where it came from: `config.yaml hooks.pre_workload`, `env BENCH_PRE_WORKLOAD`. */
  source: string;
  /** Its exit code; null when it did not exit by itself (killed, or bash could not start). */
  exitCode: number | null;
  /** The signal that ended it, when one did. */
  signal: string | null;
  /** Why it did not finish by itself (killed when the test timed out, bash not found), or null. */
  error: string | null;
  durationS: number;
  /** Its output, stdout and stderr interleaved, relative to the run folder (`hooks/<test>.<hook>.log`). */
  log: string;
}

/** `task.meta` key of the report. */
export const META_KEY = 'llmd';

/** The `x-request-id` prefix of every request of the run behind `report`. */
export function requestIdPrefix(report: Pick<TestReport, 'suite' | 'scenario' | 'run'>): string {
  return `${report.suite}-${report.scenario}-${report.run.clock.hrtimeUs.toString(36)}-`;
}
