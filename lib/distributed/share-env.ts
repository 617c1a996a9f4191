/**
 * What a process of a distributed run reads from its environment (`README.md` of lib/distributed): a pod's share
 * (`BENCH_SHARE=<index>/<count>`, set by `vitest-llm-d pod-run`) with its coordinator and clock
 * offset, or the merge of the pods' records (`BENCH_MERGE=<run folder>`, set by the launcher).
 */
import { settings } from '../settings/registry.ts';
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

/** The pod's share from `BENCH_SHARE` (null when unset: an ordinary, single-process run). */
export function shareFromEnv(env: NodeJS.ProcessEnv = process.env): ShareSettings | null {
  const s = settings(env);
  const slot = s.get('BENCH_SHARE');
  if (!slot) return null;
  return {
    slot,
    coordinator: s.get('BENCH_COORDINATOR') ?? null,
    clockOffsetMs: s.get('BENCH_CLOCK_OFFSET_MS'),
    clockBoundMs: s.get('BENCH_CLOCK_OFFSET_BOUND_MS') ?? null,
    barrierTimeoutMs: s.get('BENCH_BARRIER_TIMEOUT_S') * 1000,
  };
}

/** The run folder whose `pods/` a merge run reads (`BENCH_MERGE`), or null. */
export function mergeFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  return settings(env).get('BENCH_MERGE') ?? null;
}
