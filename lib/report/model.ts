import type { RunStats } from '../metrics/aggregate.ts';
import type { RunClock } from '../metrics/record.ts';
import type { SloEvaluation } from '../slo/evaluate.ts';

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
  notes: string | null;
  /** Simulator settings that shape its numbers (profile, time scale), when `kind` is `simulator`. */
  simulator: Record<string, unknown> | null;
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
  requests: number;
  data: {
    type: string;
    /** Seed the prompts were built from (rerun with `data.seed` set to it for the same prompts). */
    seed: number;
    cells: string[];
    /** Tokenizer that built the prompts and counts output text; `exact` when it is the model's own. */
    tokenizer: { name: string; kind: string; exact: boolean };
  };
  /** Config values changed by environment variables. */
  overrides: Array<{ path: string; value: unknown; source: string }>;
  /** Adjustments made to fit the target (e.g. max_tokens clamped). */
  notes: string[];
}

/** Did the client measure truthfully? A run is invalid when the load generator could not keep up. */
export interface Validity {
  valid: boolean;
  reasons: string[];
}

/** Everything one benchmark test measured: carried in `task.meta.llmd`, read by every reporter. */
export interface TestReport {
  schema: 'vitest-llm-d/test-report@1';
  suite: string;
  scenario: string;
  description: string | null;
  /** Wall time the measured phase started (ISO 8601 UTC). */
  timestamp: string;
  target: TargetInfo;
  workload: WorkloadInfo;
  stats: RunStats;
  /** Statistics per workload cell (prompt size × max_tokens). */
  cells: Array<{ cell: string; stats: RunStats }>;
  run: {
    clock: RunClock;
    durationS: number;
    stopped: string | null;
    sent: number;
    offeredRate: number | null;
    achievedSendRate: number | null;
    eventLoopDelayMs: { p50: number; p99: number; max: number };
    /** Scheduling priority of the measuring thread (raised to nice -10 when permitted). */
    priority: { nice: number; raised: boolean; note?: string };
  };
  validity: Validity;
  /** SLO verdicts: the scenario's configured profile, plus any other a test asserted. */
  slo: SloEvaluation[];
  /** Files written, relative to the run folder. */
  files: { requests: string };
  /** The run folder (absolute). */
  runDir: string;
}

/** `task.meta` key of the report. */
export const META_KEY = 'llmd';
