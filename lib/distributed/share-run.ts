/**
 * A pod's side of a scenario in a distributed run: its slot, the stage barrier at pod 0's
 * coordinator, and `shares.jsonl`, the file beside `requests.jsonl` that says what the pod ran
 * (its share, the test's clock anchor, the target) and when each stage started and how well it
 * was synchronised. The merge reads it back (`pod-folders.ts`), so a pod killed midway still
 * leaves everything the merge needs for the records it wrote.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunClock } from '../metrics/record.ts';
import { waitAtBarrier } from './clock-offset.ts';
import type { OpenTarget } from '../scenario/open-target.ts';
import type { ShareSettings } from './share-env.ts';
import type { PodSlot } from './split.ts';

/** How one stage's start was synchronised across the pods. */
export interface StageSync {
  /** Barrier key, `<suite>/<scenario>/stage-<k>`. */
  key: string;
  /** The pod started at the common instant (false: no coordinator answered; it started on its own). */
  synced: boolean;
  /** The common start on pod 0's wall clock, ms; null when not synced. */
  startWallMs: number | null;
  /** Time spent at the barrier, ms. */
  waitedMs: number;
  /** How late this pod started after the common instant (it arrived after the release), ms. */
  lateByMs: number;
  /** Pods the barrier released without (gone, or past the barrier timeout). */
  missing: number[];
  /** Why it is not synced. */
  error?: string;
}

/** What a pod's driver (`pod-driver.ts`) needs of its share. */
export interface ScenarioShare {
  slot: PodSlot;
  /** Waits for the pods' common start of stage `key`; never rejects (an unsynchronised start is reported, not fatal). */
  sync(key: string): Promise<StageSync>;
}

/** The share of this pod, synchronised through its coordinator (or unsynchronised without one). */
export function scenarioShare(settings: ShareSettings, signal?: AbortSignal): ScenarioShare {
  const { coordinator } = settings;
  return {
    slot: settings.slot,
    async sync(key) {
      const t0 = performance.now();
      if (!coordinator) return { key, synced: settings.slot.count === 1, startWallMs: null, waitedMs: 0, lateByMs: 0, missing: [], ...(settings.slot.count === 1 ? {} : { error: 'no coordinator (BENCH_COORDINATOR unset)' }) };
      try {
        const r = await waitAtBarrier(coordinator, key, settings.slot.index, { offsetMs: settings.clockOffsetMs, timeoutMs: settings.barrierTimeoutMs + 30_000, ...(signal ? { signal } : {}) });
        return { key, synced: true, startWallMs: r.startWallMs, waitedMs: r.waitedMs, lateByMs: r.lateByMs, missing: r.missing };
      } catch (err) {
        return { key, synced: false, startWallMs: null, waitedMs: performance.now() - t0, lateByMs: 0, missing: [], error: (err as Error).message };
      }
    },
  };
}

/** The target as a pod saw it, all a merge needs to rebuild the report (no key, no headers: nothing secret). */
export type RecordedTarget = Omit<OpenTarget, 'http'>;

/** The recorded part of an open target. */
export function recordedTargetOf(t: OpenTarget): RecordedTarget {
  return { info: t.info, caps: t.caps, defaultApi: t.defaultApi, maxTokens: t.maxTokens, tokenizer: t.tokenizer, timeoutOverrides: t.timeoutOverrides };
}

/** One line of `shares.jsonl`: the test's share (`kind: share`) or a stage start (`kind: stage`). */
export type ShareLine =
  | { kind: 'share'; suite: string; scenario: string; index: number; count: number; share: string; clock: RunClock; target: RecordedTarget }
  | { kind: 'stage'; suite: string; scenario: string; index: number; stage: number; start_ms: number; sync: StageSync | null };

/** Appends a line to the run folder's `shares.jsonl` (once per test and per stage, never per request). */
export function appendShareLine(runDir: string, line: ShareLine): void {
  mkdirSync(runDir, { recursive: true });
  appendFileSync(join(runDir, 'shares.jsonl'), `${JSON.stringify(line)}\n`);
}
