import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { scrub } from '../lib/config/secrets.ts';
import { escapeControl } from '../lib/http/server-text.ts';
import { registerRunSecrets } from '../lib/run-folder/run-secrets.ts';
import type { RunInfo } from '../lib/report/run-info.ts';
import type { RunReport, ToolInfo } from '../lib/report/run-report.ts';
import { collectReports, toolInfo } from './collect.ts';


/** One file a reporter writes for a suite: its path, and its text (rendered when written). */
export interface RunFolderFile {
  file: string;
  text(): string;
}

/**
 * A reporter that writes files into each suite's run folder (`results/<stamp>-<suite>/`) at the
 * end of the run. A file that cannot be rendered or written is named in one line, and the other
 * files and the terminal tables are unaffected. Every file's text is scrubbed of every secret the
 * run knows (`lib/config/secrets.ts`) and has its control characters escaped before it is written.
 */
export abstract class RunFolderReporter implements Reporter {
  private vitest: Vitest | null = null;

  constructor(protected readonly run: RunInfo) {}

  /** The files of one suite's run (`run.runDir` is its folder). */
  protected abstract files(run: RunReport): Iterable<RunFolderFile>;

  /** Called after a file was written (the summary reporter says where its results went). */
  protected written(_file: string, _log: (line: string) => void): void {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const tool: ToolInfo = toolInfo();
    registerRunSecrets();
    const log = (s: string): void => (this.vitest ? this.vitest.logger.log(escapeControl(scrub(s))) : console.log(escapeControl(scrub(s))));
    for (const report of collectReports(modules, this.run, tool).values()) {
      for (const { file, text } of this.files(report)) {
        try {
          // Last line of defence: no secret the run knows and no raw control character reaches a run folder, whatever a server or config echoed.
          const body = escapeControl(scrub(text()));
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, body.endsWith('\n') ? body : `${body}\n`);
          this.written(file, log);
        } catch (err) {
          log(`vitest-llm-d: cannot write ${file}: ${(err as Error).message} (the tables above still hold the measurements)`);
        }
      }
    }
  }
}
