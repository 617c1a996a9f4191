import { join } from 'node:path';
import { renderJunit } from '../lib/render/junit.ts';
import type { RunReport } from '../lib/report/run-report.ts';
import { type RunFolderFile, RunFolderReporter } from './run-folder-reporter.ts';

/** Writes `junit.xml` (one test case per benchmark test, metrics and SLO limits as properties) into each suite's run folder. */
export class JunitReporter extends RunFolderReporter {
  protected *files(run: RunReport): Iterable<RunFolderFile> {
    yield { file: join(run.runDir, 'junit.xml'), text: () => renderJunit([run]) };
  }
}
