import { join } from 'node:path';
import { renderJunit } from '../lib/report/render-junit.ts';
import type { ToolInfo } from '../lib/report/render-summary.ts';
import type { SuiteReports } from './collect.ts';
import { type RunFolderFile, RunFolderReporter } from './run-folder-reporter.ts';

/** Writes `junit.xml` (one test case per benchmark test, metrics and SLO limits as properties) into each suite's run folder. */
export class JunitReporter extends RunFolderReporter {
  protected *files(suite: SuiteReports, dir: string, tool: ToolInfo): Iterable<RunFolderFile> {
    yield { file: join(dir, 'junit.xml'), text: () => renderJunit([suite], this.run.stamp, tool) };
  }
}
