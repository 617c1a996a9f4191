import { relative } from 'node:path';
import type { TestModule } from 'vitest/node';
import '../lib/vitest/meta.ts';
import { describeEnvironment } from '../lib/run-folder/environment.ts';
import { type RunInfo, runDirOf, suiteOf } from '../lib/report/run-info.ts';
import type { RunReport, ToolInfo } from '../lib/report/run-report.ts';
import { packageVersion } from '../lib/package/paths.ts';
import { runInterruption } from './interrupt-reporter.ts';

/**
 * Builds the report model of each suite of a finished `vitest run` (the folder under `suites/`):
 * the tests' `task.meta` reports with Vitest's outcome, the tests that failed or were skipped
 * without one, and the environment of the run. Built once per run: every reporter of the run gets
 * the same model.
 */
export function collectReports(modules: ReadonlyArray<TestModule>, run: RunInfo, tool: ToolInfo): Map<string, RunReport> {
  const cached = built.get(modules);
  if (cached) return cached;
  const out = new Map<string, RunReport>();
  built.set(modules, out);
  for (const mod of modules) {
    for (const test of mod.children.allTests()) {
      const meta = test.meta();
      const report = meta.llmd;
      const actuation = meta.llmdActuation;
      const result = test.result();
      const suite = report?.suite ?? actuation?.suite ?? suiteOf(mod.moduleId);
      let s = out.get(suite);
      if (!s) {
        const runDir = runDirOf(run, suite);
        const interrupted = runInterruption();
        s = { suite, stamp: run.stamp, runDir, tool, testFiles: [], tests: [], actuation: [], failed: [], skipped: [], environment: null, ...(interrupted ? { interrupted } : {}) };
        out.set(suite, s);
      }
      const file = relative(process.cwd(), mod.moduleId).replaceAll('\\', '/');
      if (!s.testFiles.includes(file)) s.testFiles.push(file);
      const extra = {
        ...(result.state === 'failed' ? { error: result.errors?.[0]?.message ?? 'failed' } : {}),
        ...(test.diagnostic() ? { durationMs: test.diagnostic()!.duration } : {}),
      };
      // A config suite's test: the config's description and the workload hooks that ran, beside its report.
      const configRun = meta.llmdConfig;
      const labels = { ...(configRun?.description ? { runDescription: configRun.description } : {}), ...(configRun?.hooks.length ? { hooks: configRun.hooks } : {}) };
      if (report) s.tests.push({ report, state: result.state, ...extra, ...labels });
      if (actuation) s.actuation.push({ report: actuation, state: result.state, ...extra });
      if (!report && !actuation && result.state === 'skipped') s.skipped.push({ name: test.name, note: result.note ?? null });
      if (configRun?.description && !s.runDescription) s.runDescription = configRun.description;
      // A test still running when the run was interrupted (its worker died): named, with the reason.
      const interrupted = runInterruption();
      if (!report && !actuation && interrupted && result.state === 'pending') {
        s.failed.push({ name: test.name, state: 'interrupted', error: `not finished: ${interrupted.reason} (its finished requests are in requests.jsonl)` });
      }
      if (!report && !actuation && result.state === 'failed') {
        const error = result.errors?.[0]?.message ?? 'failed';
        s.failed.push({ name: test.name, state: result.state, error: error.split('\n')[0]!, ...(configRun?.hooks.length ? { hooks: configRun.hooks } : {}) });
      }
    }
  }
  for (const [k, s] of out) {
    if (s.tests.length === 0 && s.actuation.length === 0 && s.failed.length === 0) out.delete(k);
    else s.environment = describeEnvironment({ tool, tests: s.tests.map((t) => t.report), actuation: s.actuation.map((t) => t.report) });
  }
  return out;
}

/** Models already built, by the modules array Vitest passes to every reporter's `onTestRunEnd`. */
const built = new WeakMap<ReadonlyArray<TestModule>, Map<string, RunReport>>();

/** This plugin's name and version, and the Node version running it. */
export function toolInfo(): ToolInfo {
  const { name, version } = packageVersion();
  return { name, version, node: process.version };
}
