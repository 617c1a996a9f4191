import type { Reporter } from 'vitest/node';
import type { RunInfo } from '../lib/report/run-info.ts';
import { registerRunSecrets } from '../lib/run-folder/run-secrets.ts';
import { BenchmarkReportReporter } from './benchmark-report-reporter.ts';
import { HtmlReporter } from './html-reporter.ts';
import { InterruptReporter } from './interrupt-reporter.ts';
import { JsonReporter } from './json-reporter.ts';
import { JunitReporter } from './junit-reporter.ts';
import { ProgressReporter } from './progress-reporter.ts';
import { PublishReporter } from './publish-reporter.ts';
import { ScrubErrorsReporter } from './scrub-errors-reporter.ts';
import { SummaryReporter } from './summary-reporter.ts';

export { BenchmarkReportReporter } from './benchmark-report-reporter.ts';
export { HtmlReporter } from './html-reporter.ts';
export { InterruptReporter, runInterruption } from './interrupt-reporter.ts';
export { JsonReporter } from './json-reporter.ts';
export { JunitReporter } from './junit-reporter.ts';
export { ProgressReporter } from './progress-reporter.ts';
export { PublishReporter } from './publish-reporter.ts';
export { ScrubErrorsReporter } from './scrub-errors-reporter.ts';
export { SummaryReporter } from './summary-reporter.ts';

/**
 * The plugin's reporters for one run, in order: the one that turns a signal or a dead worker into
 * an orderly, marked end of the run (it must come first), the scrubbing of failed tests' errors
 * (before anything prints them), the live progress line (terminals only), the terminal tables, then the files of each run
 * folder (summary.json, environment.json, config.yaml, junit.xml, the llm-d benchmark reports,
 * report.html), then the upload of the finished folders (`BENCH_PUBLISH`), which must come last.
 */
export function llmdReporters(run: RunInfo): Reporter[] {
  // This process writes every report and the terminal: it learns the run's secrets from the same inputs as the workers.
  registerRunSecrets();
  return [new InterruptReporter(), new ScrubErrorsReporter(), new ProgressReporter(), new SummaryReporter(run), new JsonReporter(run), new JunitReporter(run), new BenchmarkReportReporter(run), new HtmlReporter(run), new PublishReporter(run)];
}
