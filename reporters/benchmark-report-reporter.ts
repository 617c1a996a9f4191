import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { renderBenchmarkReports } from '../lib/report/render-benchmark-report.ts';
import { type RunInfo, runDirOf } from '../lib/report/run-info.ts';
import { collectReports } from './collect.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/**
 * Writes the llm-d benchmark reports (v0.2.1) of each suite's benchmark tests into its run folder:
 * `benchmark-report/<scenario>.json`, or `<scenario>.stage-<k>.json` per stage of a multi-stage
 * test; one report per file, as llm-d-benchmark's tools read them. A file that cannot be written
 * is named in one line; the other files and the measurements are unaffected.
 */
export class BenchmarkReportReporter implements Reporter {
  private vitest: Vitest | null = null;

  constructor(private readonly run: RunInfo) {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const tool = { name: pkg.name, version: pkg.version, node: process.version };
    const log = (s: string): void => (this.vitest ? this.vitest.logger.log(s) : console.log(s));
    for (const suite of collectReports(modules).values()) {
      const dir = join(runDirOf(this.run, suite.suite), 'benchmark-report');
      for (const t of suite.tests) {
        let file = join(dir, `${t.report.scenario}.json`);
        try {
          for (const out of renderBenchmarkReports(t.report, { stamp: this.run.stamp, suite: suite.suite, tool })) {
            file = join(dir, out.file);
            mkdirSync(dir, { recursive: true });
            writeFileSync(file, `${JSON.stringify(out.report, null, 2)}\n`);
          }
        } catch (err) {
          log(`vitest-llm-d: cannot write ${file}: ${(err as Error).message} (the tables above still hold the measurements)`);
        }
      }
    }
  }
}
