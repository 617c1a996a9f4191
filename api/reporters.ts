/**
 * `vitest-llm-d/reporters`: the plugin's reporters, for a config that assembles its reporters
 * itself instead of using `llmd()` from `vitest-llm-d/config`. The fixtures find the run's
 * identity through `provide`, so pass the same one to both:
 *
 * ```ts
 * const run = createRunInfo();
 * export default defineConfig({ test: { reporters: ['default', ...llmdReporters(run)], provide: { llmdRun: run }, pool: 'forks', fileParallelism: false } });
 * ```
 */
export { createRunInfo, type RunInfo } from '../lib/report/run-info.ts';
export {
  llmdReporters,
  BenchmarkReportReporter,
  HtmlReporter,
  InterruptReporter,
  JsonReporter,
  JunitReporter,
  ProgressReporter,
  PublishReporter,
  ScrubErrorsReporter,
  SummaryReporter,
} from '../reporters/index.ts';
