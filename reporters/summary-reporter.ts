import { styleText } from 'node:util';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import '../lib/vitest/meta.ts';
import { renderTable, type Style } from '../lib/render/table.ts';
import { renderActuationTable, renderMatrix } from '../lib/render/actuation-table.ts';
import type { RunInfo } from '../lib/report/run-info.ts';
import { formatComparison } from '../lib/baseline/format-comparison.ts';
import { hookLine, testLabels } from '../lib/render/run-labels.ts';
import { collectReports, toolInfo } from './collect.ts';
import { scrub } from '../lib/config/secrets.ts';
import { displayValue } from '../lib/http/server-text.ts';
import { registerRunSecrets } from '../lib/run-folder/run-secrets.ts';

/** Prints one summary table per benchmark test at the end of the run, after Vitest's own output. */
export class SummaryReporter implements Reporter {
  private vitest: Vitest | null = null;

  constructor(private readonly run: RunInfo) {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const color = process.stdout.isTTY && !process.env.NO_COLOR;
    const style: Style = color ? (k, t) => styleText(k, t) : (_k, t) => t;
    registerRunSecrets();
    // Every string of the reports (model names, server errors, labels) is scrubbed and has its
    // control characters escaped before it is styled; each printed line is scrubbed once more.
    const suites = [...collectReports(modules, this.run, toolInfo()).values()].map((s) => displayValue(s));
    const log = (s: string): void => (this.vitest ? this.vitest.logger.log(scrub(s)) : console.log(scrub(s)));
    for (const suite of suites) {
      for (const t of suite.tests) {
        log(`\n${renderTable(t.report, style, testLabels(t))}`);
        const b = t.report.baseline;
        if (b?.error) log(style('red', `  baseline ${b.source} not usable: ${b.error}`));
        else if (b?.comparison) log(`\n${formatComparison(b.comparison, 80)}`);
      }
      for (const t of suite.actuation) log(`\n${renderActuationTable(t.report)}`);
      if (suite.actuation.length) log(`\n${renderMatrix(suite.actuation.map((t) => t.report))}`);
      for (const f of suite.failed) {
        log(`\n${style('bold', `${suite.suite}/${f.name}`)}  ${style('red', `no results: ${f.error}`)}`);
        for (const h of f.hooks ?? []) log(`  hook ${hookLine(h)}`);
      }
    }
  }
}
