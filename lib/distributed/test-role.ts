/**
 * A test's role in a distributed run (`vitest-llm-d launch`), decided from the environment the
 * launcher gives each process: in a pod, its share of the load (a search load, which cannot be
 * split, runs whole in pod 0 and the other pods skip it); in the launcher's merge run, a replay
 * of the pods' records. Anywhere else the test is a single process running its whole load.
 * The scenario steps call the role through `RunRole` (`lib/scenario/driver.ts`) and never look
 * at the environment themselves.
 */
import type { DistributedSection } from '../scenario/assemble-report.ts';
import type { RoleContext, RunRole } from '../scenario/driver.ts';
import { mergeScenario } from './merge-scenario.ts';
import { podDriver } from './pod-driver.ts';
import { mergeFromEnv, shareFromEnv } from './share-env.ts';
import { scenarioShare } from './share-run.ts';

/** The role of one test in this process; null outside a distributed run. */
export async function distributedRole(ctx: RoleContext, env: NodeJS.ProcessEnv = process.env): Promise<RunRole | null> {
  const pod = shareFromEnv(env);
  const mergeDir = mergeFromEnv(env);
  const search = (ctx.load as { type?: string }).type === 'search';
  if (pod && search && pod.slot.index > 0) {
    return { skip: `a search load cannot be split across pods: pod 0 of ${pod.slot.count} runs it whole`, scrape: true, section: () => podSection(1, pod.slot.count) };
  }
  if (mergeDir) {
    const merged = await mergeScenario(mergeDir, ctx.suite, ctx.scenario, ctx.load);
    return { driver: merged.driver, scrape: false, section: (measured, maxStartLagMs) => merged.section(measured, maxStartLagMs) };
  }
  if (!pod) return null;
  // Pod 0 runs a search whole: its share is all of it, with nobody to wait for.
  const share = scenarioShare(search ? { ...pod, slot: { index: 0, count: 1 }, coordinator: null } : pod, ctx.stop);
  const driver = podDriver(share, { suite: ctx.suite, scenario: ctx.scenario, runDir: ctx.runDir, target: ctx.target });
  return { driver, scrape: true, section: () => podSection(search ? 1 : pod.slot.count, pod.slot.count) };
}

/** A pod's own report of its share: who it is comes from the merge, which reads every pod's folder. */
function podSection(parallelism: number, launched: number): DistributedSection {
  return {
    section: { role: 'pod', parallelism, launched, pods: [], missing: [], partial: false, source: 'records', relativeError: null, stageStartSpreadMs: [] },
    invalid: [],
    notes: [],
  };
}
