import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import type { ToolInfo } from '../lib/report/render-summary.ts';
import { type RunInfo, runDirOf } from '../lib/report/run-info.ts';
import { collectReports, type SuiteReports } from './collect.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** One file a reporter writes for a suite: its path, and its text (rendered when written). */
export interface RunFolderFile {
  file: string;
  text(): string;
}

/**
 * A reporter that writes files into each suite's run folder (`results/<stamp>-<suite>/`) at the
 * end of the run. A file that cannot be rendered or written is named in one line, and the other
 * files and the terminal tables are unaffected.
 */
export abstract class RunFolderReporter implements Reporter {
  private vitest: Vitest | null = null;

  constructor(protected readonly run: RunInfo) {}

  /** The files of one suite (`dir` is its run folder). */
  protected abstract files(suite: SuiteReports, dir: string, tool: ToolInfo): Iterable<RunFolderFile>;

  /** Called after a file was written (the summary reporter says where its results went). */
  protected written(_file: string, _log: (line: string) => void): void {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const tool: ToolInfo = { name: pkg.name, version: pkg.version, node: process.version };
    const log = (s: string): void => (this.vitest ? this.vitest.logger.log(s) : console.log(s));
    for (const suite of collectReports(modules).values()) {
      const dir = runDirOf(this.run, suite.suite);
      for (const { file, text } of this.files(suite, dir, tool)) {
        try {
          const body = text();
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
