/**
 * What a scenario run is given (`ScenarioRunInput`) and the settings read from it that every
 * step shares: the prompt and arrival seeds, the stop rules, the retry policy and the models
 * sent to.
 */
import type { Data } from '../config/schema/data.ts';
import { isMultiStage } from '../config/schema/load.ts';
import type { ResponseLimits } from '../config/schema/limits.ts';
import type { Retry, StopRules } from '../config/schema/scenario.ts';
import type { TimeoutsMs } from '../http/target.ts';
import type { LoadConfig, LoadConfigInput } from '../load/registry.ts';
import type { RetryPolicy, StopRulesConfig } from '../load/runner.ts';
import type { Definitions } from '../metrics/derive.ts';
import type { ProgressHook } from '../progress/channel.ts';
import type { RequestsFile } from '../run-folder/requests-file.ts';
import type { SloFloors, SloProfile } from '../slo/profile.ts';
import type { LoadRunner, ScenarioDriver } from './driver.ts';
import type { OpenTarget } from './open-target.ts';

/** The parts of a scenario config (`lib/config/schema/scenario.ts`) a run uses. */
export interface ScenarioInput {
  description?: string | undefined;
  api?: 'completions' | 'chat' | undefined;
  stream: boolean;
  /** Measured requests per stage; may be absent when the load has a duration. */
  num_requests?: number | undefined;
  warmup_requests: number;
  load: LoadConfigInput;
  /** Stop rules; absent: on with defaults for multi-stage loads, off otherwise. */
  stop?: StopRules | undefined;
  /** Models to send to in turn (`served`: every model the target lists); default the target's model. */
  models?: 'served' | string[] | undefined;
  /** Retries of routing errors; absent: none. */
  retry?: Retry | undefined;
  data: Data;
  /** Where the per-request latencies start and stop; absent: `vitest-llm-d`. */
  definitions?: Definitions | undefined;
}

/** One scenario run of one test. */
export interface ScenarioRunInput {
  suite: string;
  name: string;
  scenario: ScenarioInput;
  target: OpenTarget;
  /** The SLO profiles to evaluate right away (the scenario's configured ones) and the run-level floors. */
  slo: { profiles: SloProfile[]; floors: SloFloors };
  timeouts: TimeoutsMs;
  /** Response size limits; default the target's. */
  limits?: ResponseLimits;
  runDir: string;
  requests: RequestsFile;
  overrides: Array<{ path: string; value: unknown; source: string }>;
  signal?: AbortSignal;
  /**
   * Mixed with the scenario name into the prompt seed when the data config sets none, so two runs
   * (or two scenarios) never send the same prompts and a server's prefix cache cannot make a
   * later run look faster. A config `seed` pins the prompts instead (for exact repeats).
   */
  seedSalt: string;
  /**
   * Live progress (`lib/progress/channel.ts`): read on a timer, never per request. Default:
   * on when the progress reporter's socket is in the environment (a terminal, not CI); null: off.
   */
  progress?: ProgressHook | null;
  /**
   * How this process takes part in the run (`driver.ts`): absent, it runs the whole load itself;
   * a distributed run's pod runs its share, a merge replays the pods' records. A bare function
   * is a load runner used instead of `runLoad` (as a merge's replay is: no prompts are built).
   */
  driver?: ScenarioDriver | LoadRunner;
}

/** 32-bit FNV-1a of a string: a stable seed from a name (prompts and arrivals; a launch checks splits with it too). */
export function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Default stop rules, applied to multi-stage loads when the scenario sets none. */
const DEFAULT_STOP: StopRulesConfig = { errorRate: 0.05, latencyP95Ms: 10_000, latencyMetric: 'e2e', minRequests: 20 };

/** The stop rules a scenario runs with: its own, the defaults for multi-stage loads, or none. */
export function stopRulesOf(stop: StopRules | undefined, load: LoadConfig): StopRulesConfig | null {
  if (stop === false) return null;
  if (stop === undefined) return isMultiStage(load) ? DEFAULT_STOP : null;
  return { errorRate: stop.error_rate, latencyP95Ms: stop.latency_p95_s * 1000, latencyMetric: stop.latency_metric, minRequests: stop.min_requests };
}

/** The runner's retry policy from a scenario's `retry`. */
export function retryPolicyOf(r: Retry | undefined): RetryPolicy | null {
  if (!r) return null;
  return {
    on: new Set(r.on),
    maxAttempts: r.max_attempts,
    initialBackoffMs: r.backoff_s * 1000,
    maxBackoffMs: r.max_backoff_s * 1000,
    multiplier: r.multiplier,
    jitter: r.jitter,
  };
}

/**
 * The models a scenario sends to: `served` is every model the target listed (its own model when
 * it listed none); a list is taken as given, with a note for names the target did not list (a
 * gateway may route more than it lists, so that is not an error; a model it cannot route fails
 * its requests, which the report shows).
 */
export function modelsOf(spec: 'served' | string[] | undefined, own: string, served: readonly string[], notes: string[]): string[] {
  if (spec === undefined) return [own];
  if (spec === 'served') return served.length > 0 ? [...served] : [own];
  const unlisted = spec.filter((m) => served.length > 0 && !served.includes(m));
  if (unlisted.length) notes.push(`model(s) not listed by the target at /v1/models: ${unlisted.join(', ')}`);
  return [...new Set(spec)];
}
