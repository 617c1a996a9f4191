import type { Capabilities } from '../apis/adapter.ts';
import type { LimitOverrides } from '../config/schema/limits.ts';
import type { TimeoutOverrides } from '../config/schema/timeouts.ts';
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
