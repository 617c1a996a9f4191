import type { TestModule } from 'vitest/node';
import '../lib/vitest/meta.ts';
import type { ActuationReport } from '../lib/actuation/report.ts';
import type { TestReport } from '../lib/report/model.ts';
import type { FailedTest } from '../lib/report/render-summary.ts';
import { suiteOf } from '../lib/report/run-info.ts';

/** The reports of one suite's tests, and the tests that failed without producing one. */
export interface SuiteReports {
  suite: string;
  /** `error`: first error of a failed test (its assertion message); `durationMs`: Vitest's duration of the test. */
  tests: Array<{ report: TestReport; state: string; error?: string; durationMs?: number }>;
  /** Actuation tests' reports (suites/actuation), including those of tests that failed after measuring. */
  actuation: Array<{ report: ActuationReport; state: string; error?: string; durationMs?: number }>;
  failed: FailedTest[];
  /** Tests that were skipped (`skip`, `todo`, `ctx.skip(note)`), with the note when one was given. */
  skipped: Array<{ name: string; note: string | null }>;
}

/** Groups the finished tests' reports by suite (the folder under `suites/`). */
export function collectReports(modules: ReadonlyArray<TestModule>): Map<string, SuiteReports> {
  const out = new Map<string, SuiteReports>();
  for (const mod of modules) {
    for (const test of mod.children.allTests()) {
      const meta = test.meta();
      const report = meta.llmd;
      const actuation = meta.llmdActuation;
      const result = test.result();
      const suite = report?.suite ?? actuation?.suite ?? suiteOf(mod.moduleId);
      let s = out.get(suite);
      if (!s) out.set(suite, (s = { suite, tests: [], actuation: [], failed: [], skipped: [] }));
      const extra = {
        ...(result.state === 'failed' ? { error: result.errors?.[0]?.message ?? 'failed' } : {}),
        ...(test.diagnostic() ? { durationMs: test.diagnostic()!.duration } : {}),
      };
      if (report) s.tests.push({ report, state: result.state, ...extra });
      if (actuation) s.actuation.push({ report: actuation, state: result.state, ...extra });
      if (!report && !actuation && result.state === 'skipped') s.skipped.push({ name: test.name, note: result.note ?? null });
      if (!report && !actuation && result.state === 'failed') {
        const error = result.errors?.[0]?.message ?? 'failed';
        s.failed.push({ name: test.name, state: result.state, error: error.split('\n')[0]! });
      }
    }
  }
  for (const [k, s] of out) if (s.tests.length === 0 && s.actuation.length === 0 && s.failed.length === 0) out.delete(k);
  return out;
}
