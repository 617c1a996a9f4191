import { join, resolve } from 'node:path';

/** Identity of one `vitest run`: shared by the main process (reporters) and every worker (fixtures). */
export interface RunInfo {
  /** UTC start time, file-name safe: `2026-11-23T10-55-00Z`. */
  stamp: string;
  /** Absolute results root (`BENCH_RESULTS_DIR`, default `results/`). */
  resultsDir: string;
}

/** A run stamp: UTC time to the second, file-name safe. */
export const RUN_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/;

/** A new run identity, read once when the Vitest config loads. */
export function createRunInfo(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), now = new Date()): RunInfo {
  // BENCH_RUN_STAMP: the pods of a distributed run and its merge share one stamp (one seed salt, one folder name).
  const given = env.BENCH_RUN_STAMP?.trim();
  if (given && !RUN_STAMP.test(given)) throw new Error(`env BENCH_RUN_STAMP: expected a run stamp like 2026-12-06T19-00-00Z, got ${JSON.stringify(given)}`);
  const stamp = given || now.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
  return { stamp, resultsDir: resolve(cwd, env.BENCH_RESULTS_DIR || 'results') };
}

/** Run folder of a suite: `<results>/<stamp>-<suite>/`. */
export function runDirOf(run: RunInfo, suite: string): string {
  return join(run.resultsDir, `${run.stamp}-${suite}`);
}

/** The suite a test file belongs to: the folder under `suites/`, else the file's folder name. */
export function suiteOf(filepath: string): string {
  const parts = filepath.split(/[\\/]/);
  const i = parts.lastIndexOf('suites');
  if (i >= 0 && i + 2 < parts.length) return parts[i + 1]!;
  return parts.at(-2) ?? 'suite';
}
