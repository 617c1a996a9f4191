/**
 * Which launcher serves a launcher-based requester: the pure decision of
 * `selectOrReclaimLauncherPod` (protocol section 2.4 "Candidate launchers", section 9.3 F.2).
 *
 * Candidates are the launchers of the requester's LauncherConfig on its node, in index order,
 * each with the instance list from a fresh sync (stopped unbound instances already removed).
 * Per candidate: skip failed, deleting and bound ones; one not Ready (or whose sync failed) is a
 * reason to wait. Then, in priority order:
 * 1. **hot**: a candidate holds the target instance, not stopped (returned at once);
 * 2. **warm**: the first candidate with no other instance on the desired port and
 *    `totalInstances <= maxInstances - 1`;
 * 3. **reclaim**: otherwise each candidate yields a plan deleting the port-conflicting instances
 *    plus the least recently used others, `max(total - (maxInstances - 1), 1)` in all; the plan
 *    with the fewest deletions wins, ties going to the plan whose oldest victim is older (then
 *    the smaller instance ID);
 * 4. **wait** if some candidate was not Ready;
 * 5. **cold**: create a launcher.
 * An instance reporting no usable `inference-port` is a **repair**: delete it and retry.
 */

/** One vLLM instance as the launcher lists it. */
export interface InstanceSnapshot {
  id: string;
  /** `running` or `stopped` (section 5). */
  status: string;
  /** From the instance's `inference-port` annotation; undefined when missing or malformed. */
  port: number | undefined;
}

/** A candidate launcher Pod with what the controller knows about it. */
export interface LauncherCandidate {
  name: string;
  /** `status.phase == Failed`. */
  failed: boolean;
  /** Has a deletionTimestamp. */
  deleting: boolean;
  /** Carries a `requester` annotation. */
  bound: boolean;
  /** Has a Pod IP and condition Ready=True. */
  ready: boolean;
  /** Instances from the sync; undefined when the sync failed. */
  instances?: readonly InstanceSnapshot[];
  /** Last-used time (ms) per instance ID; an unknown instance counts as the oldest. */
  lastUsed: ReadonlyMap<string, number>;
}

/** The decision. */
export type LauncherPlan =
  | { kind: 'hot'; launcher: string }
  | { kind: 'warm'; launcher: string }
  | { kind: 'reclaim'; launcher: string; victims: string[] }
  | { kind: 'repair'; launcher: string; instanceId: string }
  | { kind: 'wait' }
  | { kind: 'cold' };

function lastUsedOf(map: ReadonlyMap<string, number>, id: string): number {
  return map.get(id) ?? Number.NEGATIVE_INFINITY;
}

/** Orders instances oldest first, then by ID (`compareLastUsed`). */
export function compareLastUsed(aId: string, aTime: number, bId: string, bTime: number): number {
  if (aTime < bTime) return -1;
  if (bTime < aTime) return 1;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/** Whether a synced candidate holds the target instance alive (the hot test). */
export function holdsLiveInstance(candidate: LauncherCandidate, targetId: string): boolean {
  return candidate.instances?.some((i) => i.id === targetId && i.status !== 'stopped') ?? false;
}

/** Whether a candidate is worth syncing: not failed, not deleting, not bound, Ready. */
export function isSelectable(c: LauncherCandidate): boolean {
  return !c.failed && !c.deleting && !c.bound && c.ready;
}

interface ReclaimPlan {
  launcher: string;
  victims: string[];
  lruId: string;
  lruTime: number;
}

/** Decides hot / warm / reclaim / repair / wait / cold for one requester (section 9.3 F.2). */
export function planLauncherSelection(candidates: readonly LauncherCandidate[], targetId: string, desiredPort: number, maxInstances: number): LauncherPlan {
  const maxOthers = maxInstances - 1;
  let warm: string | undefined;
  let someNotReady = false;
  let best: ReclaimPlan | undefined;
  for (const c of candidates) {
    if (c.failed || c.deleting || c.bound) continue;
    if (!c.ready || !c.instances) {
      someNotReady = true;
      continue;
    }
    let hot = false;
    const conflicts: string[] = [];
    const others: string[] = [];
    for (const inst of c.instances) {
      if (inst.port === undefined) return { kind: 'repair', launcher: c.name, instanceId: inst.id };
      if (inst.id === targetId) {
        if (inst.status !== 'stopped') hot = true;
        continue;
      }
      (inst.port === desiredPort ? conflicts : others).push(inst.id);
    }
    if (hot) return { kind: 'hot', launcher: c.name };
    const total = c.instances.length;
    if (conflicts.length === 0 && total <= maxOthers) {
      warm ??= c.name;
      continue;
    }
    const toDelete = Math.max(total - maxOthers, 1);
    const lru = [...others].sort((a, b) => compareLastUsed(a, lastUsedOf(c.lastUsed, a), b, lastUsedOf(c.lastUsed, b)));
    const victims = [...conflicts, ...lru.slice(0, Math.max(0, toDelete - conflicts.length))];
    if (victims.length === 0) continue;
    let lruId = victims[0]!;
    for (const v of victims.slice(1)) {
      if (compareLastUsed(v, lastUsedOf(c.lastUsed, v), lruId, lastUsedOf(c.lastUsed, lruId)) < 0) lruId = v;
    }
    const plan: ReclaimPlan = { launcher: c.name, victims, lruId, lruTime: lastUsedOf(c.lastUsed, lruId) };
    if (!best || compareReclaimPlans(plan, best) < 0) best = plan;
  }
  if (warm !== undefined) return { kind: 'warm', launcher: warm };
  if (best) return { kind: 'reclaim', launcher: best.launcher, victims: best.victims };
  if (someNotReady) return { kind: 'wait' };
  return { kind: 'cold' };
}

/** Fewer victims first, then the plan whose LRU victim is older (`compareReclaimPlans`). */
function compareReclaimPlans(a: ReclaimPlan, b: ReclaimPlan): number {
  if (a.victims.length !== b.victims.length) return a.victims.length - b.victims.length;
  return compareLastUsed(a.lruId, a.lruTime, b.lruId, b.lruTime);
}
