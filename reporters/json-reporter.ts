import { join } from 'node:path';
import { renderSummary } from '../lib/render/summary.ts';
import { renderResolvedConfig } from '../lib/run-folder/resolved-config.ts';
import type { RunReport } from '../lib/report/run-report.ts';
import { type RunFolderFile, RunFolderReporter } from './run-folder-reporter.ts';

/**
 * Writes `summary.json` (every test's results), `environment.json` (where the run ran, secrets
 * redacted) and `config.yaml` (what it ran, for `vitest-llm-d rerun`) into each suite's run folder
 * (`results/<stamp>-<suite>/`), and says where.
 */
export class JsonReporter extends RunFolderReporter {
  protected *files(run: RunReport): Iterable<RunFolderFile> {
    yield { file: join(run.runDir, 'summary.json'), text: () => JSON.stringify(renderSummary(run), null, 2) };
    if (run.environment) yield { file: join(run.runDir, 'environment.json'), text: () => JSON.stringify(run.environment, null, 2) };
    if (run.tests.length) yield { file: join(run.runDir, 'config.yaml'), text: () => renderResolvedConfig(run) };
  }

  protected override written(file: string, log: (line: string) => void): void {
    if (file.endsWith('summary.json')) log(`results: ${file}`);
  }
}
