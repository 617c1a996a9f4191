import { BenchError } from '../errors/bench-error.ts';
import { HttpTarget } from '../http/target.ts';
import { timeoutsMs } from '../scenario/open.ts';
import type { OpenedTarget } from '../scenario/open.ts';
import { firstShareLine, listPodFolders } from './pod-folders.ts';
import { mergeFromEnv } from './share-env.ts';

/**
 * The target of a merge run (`BENCH_MERGE`): as the pods recorded it in `shares.jsonl` (name,
 * kind, model, capabilities), so the merged report describes the target the pods measured. It
 * is never sent to: a probe says so, and closing it does nothing.
 */
export async function recordedTarget(runDir: string): Promise<OpenedTarget> {
  const line = await firstShareLine(listPodFolders(runDir).pods);
  if (!line) throw new BenchError('MERGE_NO_RECORDS', `${runDir}: no pod recorded any test (pods/<index>/*/shares.jsonl): nothing to merge`);
  const t = line.target;
  return {
    ...t,
    http: new HttpTarget({ baseUrl: t.info.baseUrl, headers: {}, timeouts: timeoutsMs(t.timeoutOverrides) }),
    probe: () => Promise.reject(new BenchError('MERGE_NO_TARGET', 'a merge run sends nothing: the pods measured the target')),
    close: async () => {},
  };
}

/** The merge's recorded target when `env` is a merge run's (`BENCH_MERGE`); null otherwise. */
export async function mergeTargetOf(env: NodeJS.ProcessEnv): Promise<OpenedTarget | null> {
  const runDir = mergeFromEnv(env);
  return runDir ? recordedTarget(runDir) : null;
}
