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
declare module '@vitest/runner' {
  interface TaskMeta {
    llmd?: TestReport;
    /** An actuation test's report (`suites/actuation`). */
    llmdActuation?: ActuationReport;
    /** A `suites/config` test's run description and the hooks that ran, also when it measured nothing. */
    llmdConfig?: { description: RunDescription | null; hooks: HookReport[] };
  }
}

declare module 'vitest' {
  interface ProvidedContext {
    /** Run identity from the Vitest config, shared by fixtures and reporters. */
    llmdRun: RunInfo;
  }
  interface Matchers<T = any> {
    /** Every limit of the SLO holds (default: the scenario's), success rate above its floor, client kept up. */
    toMeetSLO(spec?: SloSpec | ActuationSloSpec): T;
    /** No metric regressed against `BENCH_BASELINE` (beyond tolerance and significant); passes without a baseline. */
    toNotRegress(): T;
  }
}

export {};
