import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { renderJunit } from '../lib/report/render-junit.ts';
import type { ToolInfo } from '../lib/report/render-summary.ts';
import { type RunInfo, runDirOf } from '../lib/report/run-info.ts';
import { collectReports } from './collect.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** Writes `junit.xml` (one test case per benchmark test, metrics and SLO limits as properties) into each suite's run folder. */
export class JunitReporter implements Reporter {
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
      const file = join(dir, 'junit.xml');
      try {
        const xml = renderJunit([suite], this.run.stamp, tool);
        mkdirSync(dir, { recursive: true });
        writeFileSync(file, xml.endsWith('\n') ? xml : `${xml}\n`);
      } catch (err) {
        log(`vitest-llm-d: cannot write ${file}: ${(err as Error).message} (the tables above still hold the measurements)`);
      }
    }
  }
}
