import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { renderSummary, type ToolInfo } from '../lib/report/render-summary.ts';
import { type RunInfo, runDirOf } from '../lib/report/run-info.ts';
import { collectReports } from './collect.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** Writes `summary.json` into each suite's run folder (`results/<stamp>-<suite>/`) and says where. */
export class JsonReporter implements Reporter {
  private vitest: Vitest | null = null;

  constructor(private readonly run: RunInfo) {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const tool: ToolInfo = { name: pkg.name, version: pkg.version, node: process.version };
    const log = (s: string): void => (this.vitest ? this.vitest.logger.log(s) : console.log(s));
    for (const suite of collectReports(modules).values()) {
      const dir = runDirOf(this.run, suite.suite);
      const file = join(dir, 'summary.json');
      try {
        mkdirSync(dir, { recursive: true });
        const summary = renderSummary(suite.suite, this.run.stamp, tool, suite.tests, suite.failed) as Record<string, unknown>;
        if (suite.actuation.length) summary.actuation = suite.actuation.map((t) => ({ ...t.report, state: t.state }));
        writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
        log(`results: ${file}`);
      } catch (err) {
        log(`vitest-llm-d: cannot write ${file}: ${(err as Error).message} (the tables above still hold the measurements)`);
      }
    }
  }
}
