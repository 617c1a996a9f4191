import type { Capabilities } from '../apis/adapter.ts';
import type { LimitOverrides } from '../config/schema/limits.ts';
import type { TimeoutOverrides } from '../config/schema/timeouts.ts';
import { BenchError } from '../errors/bench-error.ts';
import type { HttpTarget } from '../http/target.ts';
import type { TargetInfo } from '../report/model.ts';

/** A target ready for measuring: reachable (preflight passed) and described for reports. */
export interface OpenTarget {
  info: TargetInfo;
  http: HttpTarget;
  caps: Capabilities;
  /** API used when a scenario names none. */
  defaultApi: 'completions' | 'chat';
  /** Largest max_tokens the target accepts, if configured; larger requests are clamped and the report says so. */
  maxTokens: number | null;
  /** Tokenizer option of the target (`auto` picks the model's own). */
  tokenizer: 'auto' | 'qwen3' | 'words';
  /** The target's own timeout settings (seconds), under which a scenario's apply. */
  timeoutOverrides: TimeoutOverrides | undefined;
  /** The target's own response size limits (MiB), under which a scenario's apply. */
  limitOverrides?: LimitOverrides | undefined;
}

/** An embedded simulator started for a run: where it listens, what it runs with, how to stop it. */
export interface StartedSimulator {
  /** Base URL, e.g. `http://127.0.0.1:43117`. */
  readonly url: string;
  readonly pid: number;
  /** The resolved settings it runs with; these go into the report's `target.simulator`. */
  readonly options: Readonly<Record<'profile' | 'time_scale' | 'tokenizer' | 'itl_ms' | 'prefill_overhead_ms' | 'prefill_per_token_ms' | 'max_num_seqs', unknown>>;
  stop(): Promise<void>;
}

/**
 * Starts the embedded vLLM simulator with `settings` (its `simulator:` options, `host` and
 * `port` included). The engine never starts one itself: fixtures and CLI commands pass theirs.
 */
export type StartSimulator = (settings: Record<string, unknown>) => Promise<StartedSimulator>;

/** The error when a target needs the embedded simulator and the caller gave no way to start one. */
export function noSimulatorStarter(): BenchError {
  return new BenchError('SIMULATOR_UNAVAILABLE', 'the target is the embedded simulator, but nothing here can start it: pass startSimulator (fixtures/target.ts and the CLI do)');
}
