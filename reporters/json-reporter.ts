import { join } from 'node:path';
import { renderSummary } from '../lib/report/render-summary.ts';
import type { RunReport } from '../lib/report/run-report.ts';
import { type RunFolderFile, RunFolderReporter } from './run-folder-reporter.ts';

/** Writes `summary.json` into each suite's run folder (`results/<stamp>-<suite>/`) and says where. */
export class JsonReporter extends RunFolderReporter {
  protected *files(run: RunReport): Iterable<RunFolderFile> {
    yield { file: join(run.runDir, 'summary.json'), text: () => JSON.stringify(renderSummary(run), null, 2) };
  }

  protected override written(file: string, log: (line: string) => void): void {
    log(`results: ${file}`);
  }
}
