import { join } from 'node:path';
import { renderBenchmarkReports } from '../lib/render/benchmark-report.ts';
import { testLabels } from '../lib/render/run-labels.ts';
import type { RunReport } from '../lib/report/run-report.ts';
import { type RunFolderFile, RunFolderReporter } from './run-folder-reporter.ts';

/**
 * Writes the llm-d benchmark reports (v0.2.1) of each suite's benchmark tests into its run folder:
 * `benchmark-report/<scenario>.json`, or `<scenario>.stage-<k>.json` per stage of a multi-stage
 * test; one report per file, as llm-d-benchmark's tools read them. A file that cannot be written
 * is named in one line; the other files and the measurements are unaffected.
 */
export class BenchmarkReportReporter extends RunFolderReporter {
  protected *files(run: RunReport): Iterable<RunFolderFile> {
    const folder = join(run.runDir, 'benchmark-report');
    for (const t of run.tests) {
      let outs: ReturnType<typeof renderBenchmarkReports>;
      try {
        outs = renderBenchmarkReports(t.report, { stamp: run.stamp, suite: run.suite, tool: run.tool }, testLabels(t));
      } catch (err) {
        yield { file: join(folder, `${t.report.scenario}.json`), text: () => { throw err; } };
        continue;
      }
      for (const out of outs) yield { file: join(folder, out.file), text: () => JSON.stringify(out.report, null, 2) };
    }
  }
}
