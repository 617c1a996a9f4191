/**
 * The last step of `vitest-llm-d launch`: the suite's test files run once more, here, with
 * `BENCH_MERGE=<run folder>`, so each test builds its report from the pods' records instead of
 * sending (`merge-scenario.ts`), asserts its SLOs on the whole, and every reporter (terminal
 * table, summary.json, junit.xml, report.html, benchmark reports, baseline gate) writes the
 * merged run folder, the one the pods' folders were collected into (`<results>/<R>/`).
 */
import { spawn } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { vitestBin } from '../vitest/vitest-bin.ts';
import { BenchError } from '../errors/bench-error.ts';
import { RUN_STAMP } from '../report/run-info.ts';

/** What the merge needs: the run folder (`<results>/<stamp>-<suite>`), the suite's test files, the environment to run with. */
export interface MergeRunInput {
  runDir: string;
  testFiles: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Working directory (the project folder); default the process's. */
  cwd?: string;
  /** Extra vitest options (after `--` on the launch command line). */
  vitestArgs?: readonly string[];
  /** Where vitest's output goes; default inherited. */
  stdio?: 'inherit' | 'ignore';
}

/** The environment of the merge run: the caller's, with the pods' stamp and results root, and nothing a pod had of its own. */
export function mergeEnv(runDir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const stamp = basename(runDir).slice(0, 20);
  if (!RUN_STAMP.test(stamp)) throw new BenchError('MERGE_BAD_FOLDER', `${runDir}: not a run folder (<stamp>-<suite>, e.g. 2026-12-06T19-00-00Z-throughput)`);
  const out: NodeJS.ProcessEnv = { ...env, BENCH_MERGE: runDir, BENCH_RUN_STAMP: stamp, BENCH_RESULTS_DIR: dirname(runDir) };
  for (const k of ['BENCH_SHARE', 'BENCH_COORDINATOR', 'BENCH_CLOCK_OFFSET_MS', 'BENCH_CLOCK_OFFSET_BOUND_MS']) delete out[k];
  return out;
}

/** Runs the merge; resolves to vitest's exit code (1 when a test failed its SLO, as a plain run). */
export async function runMerged(input: MergeRunInput): Promise<number> {
  const cwd = input.cwd ?? process.cwd();
  const env = mergeEnv(input.runDir, input.env ?? process.env);
  const bin = vitestBin(cwd);
  if (!bin) throw new BenchError('MERGE_NO_VITEST', `vitest is not installed in ${cwd} (run npm install there)`);
  const child = spawn(process.execPath, [bin, 'run', ...input.testFiles, ...(input.vitestArgs ?? [])], { cwd, env, stdio: input.stdio ?? 'inherit' });
  return new Promise<number>((done) => {
    child.once('error', () => done(2));
    child.once('exit', (code, signal) => done(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}
