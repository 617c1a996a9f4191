import { join, resolve } from 'node:path';
import { RUN_STAMP } from '../settings/results.ts';
import { settings } from '../settings/registry.ts';

/** Identity of one `vitest run`: shared by the main process (reporters) and every worker (fixtures). */
export interface RunInfo {
  /** UTC start time, file-name safe: `2026-11-23T10-55-00Z`. */
  stamp: string;
  /** Absolute results root (`BENCH_RESULTS_DIR`, default `results/`). */
  resultsDir: string;
}

/** A run stamp: UTC time to the second, file-name safe. */
export { RUN_STAMP };

/** A new run identity, read once when the Vitest config loads. */
export function createRunInfo(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), now = new Date()): RunInfo {
  // BENCH_RUN_STAMP: the pods of a distributed run and its merge share one stamp (one seed salt, one folder name).
  const s = settings(env);
  const stamp = s.get('BENCH_RUN_STAMP') ?? now.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
  return { stamp, resultsDir: resolve(cwd, s.get('BENCH_RESULTS_DIR')) };
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
