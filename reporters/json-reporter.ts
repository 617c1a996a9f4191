import { join } from 'node:path';
import { renderSummary, type ToolInfo } from '../lib/report/render-summary.ts';
import type { SuiteReports } from './collect.ts';
import { type RunFolderFile, RunFolderReporter } from './run-folder-reporter.ts';

/** Writes `summary.json` into each suite's run folder (`results/<stamp>-<suite>/`) and says where. */
export class JsonReporter extends RunFolderReporter {
  protected *files(suite: SuiteReports, dir: string, tool: ToolInfo): Iterable<RunFolderFile> {
    yield {
      file: join(dir, 'summary.json'),
      text: () => {
        const summary = renderSummary(suite.suite, this.run.stamp, tool, suite.tests, suite.failed) as Record<string, unknown>;
        if (suite.actuation.length) summary.actuation = suite.actuation.map((t) => ({ ...t.report, state: t.state }));
        return JSON.stringify(summary, null, 2);
      },
    };
  }

  protected override written(file: string, log: (line: string) => void): void {
    log(`results: ${file}`);
  }
}
