import type { ActuationReport } from '../actuation/report.ts';
import type { HookReport, RunDescription, TestReport } from '../report/model.ts';
import type { RunInfo } from '../report/run-info.ts';
import type { SloSpec } from '../scenario/bench-result.ts';
import type { ActuationSlo as ActuationSloSpec } from '../actuation/result.ts';

/**
 * The contract between tests and reporters: each benchmark test puts its `TestReport` in
 * `task.meta.llmd`; reporters read it with `testCase.meta().llmd`. It is JSON-serialisable and
 * travels from the worker to the main process with the test result.
 */
export interface LlmdTaskMeta {
  /** A benchmark test's report. */
  llmd?: TestReport;
  /** An actuation test's report. */
  llmdActuation?: ActuationReport;
  /** The run description and the hooks that ran of a test running a config's scenario, also when it measured nothing. */
  llmdConfig?: { description: RunDescription | null; hooks: HookReport[] };
}

/** The matchers this package adds to Vitest's `expect`. */
export interface LlmdMatchers<T = unknown> {
  /**
   * Every limit of the SLO holds (default: the scenario's; or a preset name such as
   * `'mlperf-standard'`, or limits), the success rate is above its floor, and the client kept up.
   * On an actuation result: actuation limits (`hotP95Seconds`, `hitRateMin`, ...).
   */
  toMeetSLO(spec?: SloSpec | ActuationSloSpec): T;
  /** No metric regressed against `BENCH_BASELINE` (beyond tolerance and significant); passes without a baseline. */
  toNotRegress(): T;
}

declare module '@vitest/runner' {
  interface TaskMeta extends LlmdTaskMeta {}
}

declare module 'vitest' {
  interface ProvidedContext {
    /** Run identity from the Vitest config, shared by fixtures and reporters. */
    llmdRun: RunInfo;
  }
  interface Matchers<T = any> extends LlmdMatchers<T> {}
}

export {};
