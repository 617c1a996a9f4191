import type { ApiAdapter, Capabilities } from '../apis/adapter.ts';
import type { SessionPlan } from '../data/sessions.ts';
import type { ResponseLimits } from '../config/schema/limits.ts';
import type { HttpTarget, TimeoutsMs } from '../http/target.ts';
import type { RequestRecord, RunClock, SessionTurn } from '../metrics/record.ts';
import type { MeasuringPriority } from './measuring-process.ts';
import type { StallSummary } from './stall-watch.ts';
import type { Schedule } from './schedule.ts';
import type { StageOutcome, StagePlan, StagePlanner } from './stage.ts';

/*
 * What a load run is given (`RunnerOptions`, with each request's `RequestSpec`, its retry policy and
 * stop rules) and what it returns besides the records (`LoadOutcome`); the run is `runLoad`
 * (runner.ts).
 */

/** Request i's payload, prepared ahead of its send time. */
export interface RequestSpec {
  body: string;
  cell: string;
  promptTokens: number;
  maxTokens: number;
  /** Model the body asks for; default the run's `model`. */
  model?: string;
  /** Headers sent besides the target's (a session's `x-session-id`). */
  headers?: Record<string, string>;
  /** The session turn this request is (its response text is then kept whatever `keepText` says). */
  session?: SessionTurn;
}

/**
 * A run of multi-turn sessions instead of single requests. The stages' schedules start
 * sessions: an open loop's arrivals are session arrivals (its `maxInFlight` bounds the sessions
 * live at once, each with at most one request in flight), a closed loop's users each run one
 * session after another (its `thinkMs` between sessions), and a stage's `maxRequests` counts the
 * sessions it starts. Within a session, turn k is sent `thinkS` after turn k-1's response ended,
 * carrying the conversation so far (see `SessionPlan`); every turn belongs to the stage its
 * session started in, and turns due after the stage's time was up are recorded as cut.
 */
export interface SessionOptions {
  /**
   * Plan of session i, i counting the run's sessions from 0 across stages. Called when the
   * session starts, so it must only look the plan up (build the plans ahead of the run).
   */
  session(i: number): SessionPlan;
  /** What the server accepts, for the turns' request bodies. */
  caps: Capabilities;
  /** Name of the header that carries the session id on every turn; default `x-session-id`. */
  header?: string;
}

/**
 * Retries of requests that fail with a routing error (a gateway's 503 while a pool scales up, a
 * 404 for a model not routed yet, a 429): attempt k+1 waits min(initial * multiplier^(k-1), max)
 * ms, times a seeded jitter factor in [1 - jitter, 1 + jitter]. A 429 or 503 with `Retry-After`
 * waits what the server asked instead, at most `maxBackoffMs` (a longer ask is cut to the
 * maximum: the retry comes sooner than asked, and the attempt records both).
 */
export interface RetryPolicy {
  /** Failure keys that are retried (`http_503`, `connect_reset`, ...; see `failureKey`). */
  on: ReadonlySet<string>;
  /** Attempts in all, the first included (>= 2 for any retry). */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  multiplier: number;
  /** Relative jitter, 0..1. */
  jitter: number;
}

/** Stop rules as the runner applies them to each stage (see `StopRulesSchema`). */
export interface StopRulesConfig {
  /** Stop when failed / finished passes this. */
  errorRate: number;
  /** Stop when the p95 of `latencyMetric` passes this, ms. */
  latencyP95Ms: number;
  latencyMetric: 'e2e' | 'ttft';
  /** Finished requests of the stage needed before the rules apply. */
  minRequests: number;
}

/** Everything one load run needs. */
export interface RunnerOptions {
  target: HttpTarget;
  adapter: ApiAdapter;
  model: string;
  stream: boolean;
  /** The stages to run. Without it, one stage of `schedule` for `requests` requests. */
  plan?: StagePlanner;
  /** Single-stage shorthand (ignored when `plan` is given). */
  schedule?: Schedule;
  /** Measured requests of the single-stage shorthand. */
  requests?: number;
  /**
   * Multi-turn sessions instead of single requests (see `SessionOptions`); `request` then only
   * gives the warm-up requests, which stay single requests.
   */
  sessions?: SessionOptions;
  /** Warm-up requests, sent first (closed loop, at the first stage's concurrency), recorded with `warmup: true`. */
  warmup: number;
  /**
   * Payload of request i, i counting warm-up requests first and continuing across stages. May
   * return a promise when the payload is not ready yet (prompts still being built): the send
   * waits for it, and the wait shows in the request's schedule lag.
   */
  request(i: number): RequestSpec | Promise<RequestSpec>;
  /** Prefix of each request's `x-request-id` (`<prefix>-<seq>`). */
  requestIdPrefix: string;
  /** Keep each response's text for `onRecord` (to count its tokens). */
  keepText: boolean;
  /** Receives each finished record, in completion order, on the event-loop turn after it finished. Must not throw; if it does, the run stops with that error. */
  onRecord(record: RequestRecord, text: string): void;
  /** Called when a stage starts sending, with its start time (`performance.now()`). */
  onStageStart?(index: number, start: number): void;
  /**
   * Awaited before each stage starts (after its connections are opened): a distributed run's pods
   * wait here for one common start instant (`lib/distributed`). Must not throw.
   */
  beforeStage?(index: number, plan: StagePlan): Promise<void>;
  /**
   * The recorded sequence number of request i (default i): a pod of a split run records the
   * global request index (`lib/distributed/split.ts` globalIndex), so pods' records merge into
   * the single process's sequence. `request(i)` still gets the local i.
   */
  seqOf?(i: number): number;
  /** Retry policy for routing errors; default none (every failure is final). */
  retry?: RetryPolicy | null;
  /** Stop rules applied to every stage; default none. */
  stopRules?: StopRulesConfig | null;
  /** Aborting it stops sending and cancels requests in flight (they are recorded as `cancelled`). */
  signal?: AbortSignal;
  /** Per-request timeouts; default the target's. */
  timeouts?: TimeoutsMs;
  /** Response size limits; default the target's. */
  limits?: ResponseLimits;
  /** Clock anchor of the run; read at the start when not given. */
  clock?: RunClock;
  /** Consecutive connection-level failures after which the target is taken as gone and the run stops. Default max(5, in-flight bound). */
  unreachableAfter?: number;
  /** Stalls of this thread longer than this (ms) are recorded, and requests they overlap marked (`RequestRecord.stall`). Default 10. */
  stallLimitMs?: number;
}

/** What the runner knows about the run besides the records. */
export interface LoadOutcome {
  clock: RunClock;
  /** Start of the measured phase (`performance.now()`), after warm-up. */
  measuredStart: number;
  /** When the last request finished. */
  end: number;
  /** Why the run stopped before sending everything, or null. */
  stopped: string | null;
  /** Measured requests actually sent. */
  sent: number;
  /** Send rate achieved over the measured phase (requests/s), null with fewer than 2 sends. */
  achievedSendRate: number | null;
  /** Event-loop delay of this process during the measured phase (warm-up excluded), ms (from `monitorEventLoopDelay`). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Scheduling priority of the thread that timestamped the chunks. */
  priority: MeasuringPriority;
  /** Stalls of the measuring thread during the measured phase (`StallWatch`); absent in a merged run that has no pod's. */
  stalls?: StallSummary;
  /** Each stage run, in order. */
  stages: StageOutcome[];
}
