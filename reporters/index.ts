import type { Reporter } from 'vitest/node';
import type { RunInfo } from '../lib/report/run-info.ts';
import { BenchmarkReportReporter } from './benchmark-report-reporter.ts';
import { JsonReporter } from './json-reporter.ts';
import { JunitReporter } from './junit-reporter.ts';
import { SummaryReporter } from './summary-reporter.ts';

export { BenchmarkReportReporter } from './benchmark-report-reporter.ts';
export { JsonReporter } from './json-reporter.ts';
export { JunitReporter } from './junit-reporter.ts';
export { SummaryReporter } from './summary-reporter.ts';

/** The plugin's reporters for one run, in printing order. */
export function llmdReporters(run: RunInfo): Reporter[] {
  return [new SummaryReporter(run), new JsonReporter(run), new JunitReporter(run), new BenchmarkReportReporter(run)];
}
