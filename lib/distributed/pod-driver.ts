/**
 * The driver of a pod's scenario run (`lib/scenario/driver.ts`): the pod sends only its share of
 * the one schedule (`shareOf`: the same arrivals, same seed, filtered to its global indices, its
 * slots of the concurrency), records its requests under their global index, starts each stage
 * at the pods' common instant (`ScenarioShare.sync`), and leaves what a merge needs beside its
 * records: `shares.jsonl` (its share, the clock anchor, each stage's start) and `stats.jsonl`
 * (its statistics in mergeable form, for a merge that does not get its records intact). A search
 * load cannot be split: the pod given it (pod 0, slot 0 of 1) runs it whole, and records that it did.
 */
import type { OpenTarget } from '../scenario/open-target.ts';
import type { ScenarioDriver } from '../scenario/driver.ts';
import { appendStatsLine, scenarioStatsLine, STATS_FILE } from './scenario-stats.ts';
import { appendShareLine, recordedTargetOf, type ScenarioShare, type StageSync } from './share-run.ts';
import { globalIndex, shareOf } from './split.ts';

/** What a pod's driver writes its lines about. */
export interface PodTest {
  suite: string;
  scenario: string;
  runDir: string;
  target: OpenTarget;
}

/** The driver of one test of a pod of a distributed run. */
export function podDriver(share: ScenarioShare, test: PodTest): ScenarioDriver {
  const { slot } = share;
  const { suite, scenario, runDir } = test;
  const syncs: StageSync[] = [];
  let description = `pod ${slot.index + 1}: the whole search (a search load cannot be split)`;
  return {
    share(load, ctx) {
      const dataIndex = (i: number): number => globalIndex(slot, i);
      if (load.type === 'search') return { planner: ctx.whole(), warmup: ctx.warmup, dataIndex, note: null };
      const s = shareOf(load, { seed: ctx.seed, numRequests: ctx.numRequests, warmup: ctx.warmup }, slot);
      description = s.description;
      return { planner: s.planner, warmup: s.warmup, dataIndex, note: s.description };
    },
    started(clock) {
      appendShareLine(runDir, { kind: 'share', suite, scenario, index: slot.index, count: slot.count, share: description, clock, target: recordedTargetOf(test.target) });
    },
    async beforeStage(index) {
      syncs[index] = await share.sync(`${suite}/${scenario}/stage-${index}`);
    },
    stageEnded(o, clock) {
      appendShareLine(runDir, { kind: 'stage', suite, scenario, index: slot.index, stage: o.index, start_ms: o.start - clock.perfMs, sync: syncs[o.index] ?? null });
    },
    finished(acc, outcome) {
      try {
        appendStatsLine(runDir, scenarioStatsLine({ suite, scenario, index: slot.index, sent: outcome.sent, all: acc.all, stages: acc.stages, cells: acc.perCell, models: acc.perModel.size > 1 ? acc.perModel : new Map() }));
        return { notes: [], sent: 0, absorbed: false };
      } catch (err) {
        return { notes: [`${STATS_FILE} could not be written: ${(err as Error).message}`], sent: 0, absorbed: false };
      }
    },
  };
}
