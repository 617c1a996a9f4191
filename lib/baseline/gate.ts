/**
 * The regression gate in a running test: with `BENCH_BASELINE=<run folder or summary.json>`,
 * each benchmark test compares its measured requests (this run's `requests.jsonl`) with the
 * baseline run's, metric by metric (bootstrap confidence interval of the change, tolerance per
 * metric), attaches the comparison to its report, and fails when a metric regressed: worse by
 * more than its tolerance, and significantly so.
 */
import { basename, resolve } from 'node:path';
import type { Regression } from '../config/schema/scenario.ts';
import { BaselineError } from '../errors/baseline-error.ts';
import { compareRuns, loadRunSamples, type RunSamples, samplesOfFolder } from './baseline.ts';
import { type Comparison, DEFAULT_RELATIVE_TOLERANCE, type ToleranceOptions } from './comparison.ts';
import { regressionMessage } from './format-comparison.ts';
import { toleranceFromEnv } from './tolerance.ts';
import type { TestReport } from '../report/model.ts';
import { renderTest } from '../render/summary.ts';
import type { BaselineOutcome } from '../report/baseline.ts';

export type { BaselineOutcome };
import { settings } from '../settings/registry.ts';

/** `BENCH_BASELINE`, resolved against the working directory; null when unset. */
export function baselinePath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  const p = settings(env).get('BENCH_BASELINE');
  return p ? resolve(cwd, p) : null;
}

/** Baselines loaded in this worker, by path (a suite's tests share one). */
const loaded = new Map<string, Promise<RunSamples>>();

/**
 * Tolerances of one scenario: its `regression:` block, then `BENCH_BASELINE_TOLERANCE` on top
 * (the environment wins per key; its bare value replaces the default).
 */
export function scenarioTolerances(regression: Regression | undefined, env: NodeJS.ProcessEnv = process.env): ToleranceOptions {
  return toleranceFromEnv(env, { default: regression?.tolerance ?? DEFAULT_RELATIVE_TOLERANCE, perMetric: { ...(regression?.metrics ?? {}) } });
}

/**
 * Compares one finished test with the baseline. The test's records are read back from the run
 * folder's `requests.jsonl` (the same reader as the baseline's, so both sides use one definition
 * of every metric). A baseline that is missing, unreadable, from another suite or without this
 * scenario is an `error` naming the file and what differs.
 */
export async function compareWithBaseline(report: Omit<TestReport, 'baseline'>, path: string, regression: Regression | undefined, env: NodeJS.ProcessEnv = process.env): Promise<BaselineOutcome> {
  try {
    const tolerance = scenarioTolerances(regression, env);
    let baseline = loaded.get(path);
    if (!baseline) loaded.set(path, (baseline = loadRunSamples(path)));
    const base = await baseline;
    const stamp = basename(report.runDir).slice(0, -(report.suite.length + 1)) || report.timestamp;
    const summary = { schema: 'vitest-llm-d/summary@1', suite: report.suite, run: stamp, target_kind: report.target.kind, tests: [renderTest(report, 'pass')] };
    const current = await samplesOfFolder(summary, report.runDir, `this run (${report.runDir})`, undefined, new Set([report.scenario]));
    if (!base.scenarios.has(report.scenario)) {
      const known = [...base.scenarios.keys()];
      throw new BaselineError(base.source, `has no scenario "${report.scenario}" (it has ${known.length ? known.join(', ') : 'none'}): not a baseline for ${report.suite}/${report.scenario}`);
    }
    const comparison = compareRuns(base, current, { tolerance, ...(regression?.confidence ? { confidence: regression.confidence } : {}) });
    // One test compares its own scenario: the baseline's other scenarios are other tests' business.
    comparison.baselineOnly = [];
    return { source: path, comparison, message: regressionMessage(comparison), error: null };
  } catch (err) {
    if (err instanceof BaselineError || (err as Error).name === 'ConfigError') return { source: path, comparison: null, message: null, error: (err as Error).message };
    throw err;
  }
}
