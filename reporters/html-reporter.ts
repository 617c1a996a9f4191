import { join } from 'node:path';
import { loadHtmlSeries, renderHtml } from '../lib/render/html-report.ts';
import type { RunReport } from '../lib/report/run-report.ts';
import { type RunFolderFile, RunFolderReporter } from './run-folder-reporter.ts';

/**
 * Writes `report.html` into each suite's run folder: one self-contained page (chart library
 * inlined, no network needed) with the verdicts, tables and charts of the run, drawn from the
 * report model and the folder's `requests.jsonl`; says where it went.
 */
export class HtmlReporter extends RunFolderReporter {
  protected *files(run: RunReport): Iterable<RunFolderFile> {
    yield { file: join(run.runDir, 'report.html'), text: () => renderHtml(run, loadHtmlSeries(run.runDir)) };
  }

  protected override written(file: string, log: (line: string) => void): void {
    log(`report: ${file}`);
  }
}
