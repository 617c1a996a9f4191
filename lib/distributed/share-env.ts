/**
 * What a process of a distributed run reads from its environment (`README.md` of lib/distributed): a pod's share
 * (`BENCH_SHARE=<index>/<count>`, set by `vitest-llm-d pod-run`) with its coordinator and clock
 * offset, or the merge of the pods' records (`BENCH_MERGE=<run folder>`, set by the launcher).
 */
import { ConfigError } from '../errors/config-error.ts';
import type { PodSlot } from './split.ts';

/** A pod's place in a distributed run. */
export interface ShareSettings {
  slot: PodSlot;
  /** Pod 0's coordinator (`/clock`, `/barrier`), or null when the pods run unsynchronised (one pod, tests). */
  coordinator: string | null;
  /** This pod's wall clock minus pod 0's, ms, and the bound of that measurement (half the smallest round trip). */
  clockOffsetMs: number;
  clockBoundMs: number | null;
  /** How long a pod waits at a stage barrier for the others before it starts anyway, ms. */
  barrierTimeoutMs: number;
}

const number = (env: NodeJS.ProcessEnv, name: string, fallback: number | null): number | null => {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new ConfigError(`env ${name}`, '', `expected a number, got ${JSON.stringify(raw)}`);
  return v;
};

/** The pod's share from `BENCH_SHARE` (null when unset: an ordinary, single-process run). */
export function shareFromEnv(env: NodeJS.ProcessEnv = process.env): ShareSettings | null {
  const raw = env.BENCH_SHARE?.trim();
  if (!raw) return null;
  const m = /^(\d+)\/(\d+)$/.exec(raw);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new ConfigError('env BENCH_SHARE', '', `expected <index>/<count> with 0 <= index < count (e.g. 1/4), got ${JSON.stringify(raw)}`);
  }
  return {
    slot: { index, count },
    coordinator: env.BENCH_COORDINATOR?.trim() || null,
    clockOffsetMs: number(env, 'BENCH_CLOCK_OFFSET_MS', 0)!,
    clockBoundMs: number(env, 'BENCH_CLOCK_OFFSET_BOUND_MS', null),
    barrierTimeoutMs: number(env, 'BENCH_BARRIER_TIMEOUT_S', 120)! * 1000,
  };
}

/** The run folder whose `pods/` a merge run reads (`BENCH_MERGE`), or null. */
export function mergeFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.BENCH_MERGE?.trim() || null;
}
