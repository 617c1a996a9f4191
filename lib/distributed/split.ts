/**
 * One load plan split across N pods (an Indexed Job of `count` completions), so that the union
 * of what the pods send is the process one machine would have sent.
 *
 * Request indices. A single process numbers its requests 0, 1, 2, ... (warm-up first, then stage
 * after stage; `RequestRecord.seq`, the data source's prompt index). Pod `index` of `count` owns
 * the global indices `index, index + count, index + 2 count, ...`: its local request j is global
 * request `index + j * count` (`globalIndex`). So the pods draw disjoint prompts from the same
 * seeded dataset, and a merge restores the global order from the recorded index.
 *
 * Open loops (constant, poisson, gamma; each stage). Every pod generates the same global arrival
 * sequence from the same seed and sends only the requests whose global index is its own: stage s
 * starts at global index `base_s = warm-up + requests of stages before s`, and pod k sends stage
 * request q when `(base_s + q) mod count = k`. Its k-th send keeps the global offset, so the
 * union of the pods' (offset, index) pairs is exactly the global schedule, for any arrival
 * process; each pod runs at about rate / count with staggered phases. A stage's request count is
 * known up front (min of `num_requests` and the offsets before its duration), which is what makes
 * `base_s` computable; each pod's count bound is its residue's share of it (ceil or floor of
 * count / N). Skipping other pods' offsets costs a few nanoseconds each (pure arithmetic).
 *
 * Closed loops (concurrency, sweep levels, users). Concurrency c is split by slot: slot σ < c
 * belongs to pod σ mod N, so pod k gets floor(c / N) + (k < c mod N ? 1 : 0) slots; a
 * count-bounded stage's M requests go round the slots (request q to slot q mod c), so each pod's
 * count is proportional to its slots and the total is M. A pod with no slot at a sweep level is
 * idle for that stage (`idle: true`, nothing sent). A user ramp splits users the same way (user u
 * to pod u mod N), start users likewise, and the spawn rate to spawn_rate / N; pod k's spawns are
 * then exactly the global ones at `spawnPhaseMs` (<= 0) from the runner's default of one gap
 * after the start. Closed loops have no global send order (it depends on completions), so only
 * the offered concurrency and the request count are the single process's, not the send times.
 *
 * Search loads cannot be split: each probe is chosen from the merged result of the one before.
 */
import { LoadSchema } from '../config/schema/load.ts';
import { BenchError } from '../errors/bench-error.ts';
import { type LoadConfigInput, planLoad, type ScheduleContext } from '../load/registry.ts';
import type { ClosedLoopSchedule, OpenLoopSchedule } from '../load/schedule.ts';
import { fixedPlanner, type StagePlan, type StagePlanner } from '../load/stage.ts';

/** Which pod of how many: the Job's completion index (0-based) and its completions. */
export interface PodSlot {
  index: number;
  count: number;
}

/** A load that cannot be split as asked (search load, parallelism < 1 or larger than the work). */
export class SplitError extends BenchError {
  constructor(message: string) {
    super('SPLIT_INVALID', message);
  }
}

/** One stage as one pod runs it. */
export interface ShareStage {
  /** What the pod's runner runs: the schedule filtered (open) or split (closed); duration and drain are the global ones. */
  plan: StagePlan;
  /** The global stage's plan (what a single process would run). */
  global: StagePlan;
  /** Requests the global stage sends: known for open loops and count-bounded closed loops; null for a duration-bounded closed loop. */
  globalRequests: number | null;
  /** Global index of the stage's first request, when every earlier stage's count is known; else null. */
  base: number | null;
  /**
   * The pod sends nothing in this stage (no concurrency slot at this sweep level). Its plan has
   * concurrency 0 and, when the stage is count-bounded, `maxRequests` 0 (it ends at once); a
   * duration-bounded one keeps no count bound, so the runner waits out the stage's duration and
   * the pod stays in step with the others.
   */
  idle: boolean;
  /** Users only: how far before the runner's default (one spawn gap after the start) the pod's first spawn is due, ms (<= 0); 0 for none. */
  spawnPhaseMs: number;
}

/** What pod `index` of `count` runs: its warm-up, its stages, and a planner of them. */
export interface Share extends PodSlot {
  /** Load type of the split plan. */
  type: string;
  /** Open or closed loop (a load is one or the other). */
  loop: 'open' | 'closed';
  /** Warm-up requests of this pod: its residue's share of the scenario's warm-up (0 when its first stage is idle). */
  warmup: number;
  stages: ShareStage[];
  /** The stages as a planner for `runLoad` (a fixed list; search loads are refused). */
  planner: StagePlanner;
  /** One line, e.g. `pod 2 of 4: 5 requests/s ... (every 4th request, from global index 1)`. */
  description: string;
}

/** What `shareOf` needs besides the load: the schedule context (seed, `num_requests`) and the scenario's warm-up count. */
export interface SplitContext extends ScheduleContext {
  warmup: number;
}

/** Global index of a pod's local request j (local indices count warm-up first, as `RequestRecord.seq`). */
export function globalIndex(slot: PodSlot, local: number): number {
  return slot.index + local * slot.count;
}

/** The pod's local index of global request `global`, or null when another pod owns it. */
export function localIndex(slot: PodSlot, global: number): number | null {
  return global % slot.count === slot.index ? (global - slot.index) / slot.count : null;
}

/** Members of {0 .. n-1} congruent to `residue` mod `count`: ceil or floor of n / count. */
export function residueCount(n: number, residue: number, count: number): number {
  return n > residue ? Math.floor((n - 1 - residue) / count) + 1 : 0;
}

/** Slots of a closed loop of `concurrency` a pod gets: floor(c / N) plus one for the first c mod N pods. */
export function concurrencyShare(concurrency: number, slot: PodSlot): number {
  return residueCount(concurrency, slot.index, slot.count);
}

/** Of M closed-loop requests dealt round `concurrency` slots (request q to slot q mod c), those on the pod's slots. */
export function closedRequestShare(requests: number, concurrency: number, slot: PodSlot): number {
  return Math.floor(requests / concurrency) * concurrencyShare(concurrency, slot) + residueCount(requests % concurrency, slot.index, slot.count);
}

/**
 * Requests an open-loop stage sends: offsets are taken in order until `maxRequests` are taken or
 * one is at or past `durationMs` (the runner sends every request due before the deadline).
 */
export function openStageRequests(schedule: OpenLoopSchedule, maxRequests: number | null, durationMs: number | null, label: string): number {
  if (maxRequests === null && durationMs === null) throw new SplitError(`stage ${label} has neither num_requests nor a duration: its requests cannot be split`);
  const limit = maxRequests ?? Infinity;
  const it = schedule.offsets();
  let n = 0;
  while (n < limit) {
    const next = it.next();
    if (next.done || (durationMs !== null && next.value >= durationMs)) break;
    n++;
  }
  return n;
}

/** The schedule's offsets of stage requests q with (base + q) mod count = index, each at its global offset. */
export function residueSchedule(schedule: OpenLoopSchedule, base: number, slot: PodSlot): OpenLoopSchedule {
  const first = (((slot.index - base) % slot.count) + slot.count) % slot.count;
  const { count } = slot;
  return {
    kind: 'open',
    offeredRate: schedule.offeredRate === null ? null : schedule.offeredRate / count,
    maxInFlight: Math.max(1, Math.ceil(schedule.maxInFlight / count)),
    ...(schedule.seed === undefined ? {} : { seed: schedule.seed }),
    description: `${schedule.description}; ${everyNth(count)} from stage request ${first}`,
    *offsets() {
      const it = schedule.offsets();
      for (let q = 0; ; q++) {
        const next = it.next();
        if (next.done) return;
        if (q % count === first) yield next.value;
      }
    },
  };
}

/**
 * What pod `slot.index` of `slot.count` runs of `load` (see the module comment for how the union
 * stays the single process's load). Throws `SplitError` for a search load, a parallelism that is
 * not an integer >= 1, an index outside it, or more pods than the work: than a stage's requests,
 * than a concurrency load's concurrency, than a sweep's highest level, or than a ramp's users.
 */
export function shareOf(load: LoadConfigInput, ctx: SplitContext, slot: PodSlot): Share {
  const { index, count } = slot;
  if (!Number.isInteger(count) || count < 1) throw new SplitError(`parallelism must be an integer >= 1, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new SplitError(`pod index ${index} is outside 0..${count - 1}`);
  const cfg = LoadSchema.parse(load);
  if (cfg.type === 'search') {
    throw new SplitError('a search load cannot be split across pods: each probe is chosen from the merged result of the one before; run it in one process');
  }
  if (cfg.type === 'trace') throw new SplitError("a trace load cannot be split across pods: its times are the trace's, read by the run's data source; run it in one process");
  if (!Number.isInteger(ctx.warmup) || ctx.warmup < 0) throw new SplitError(`warm-up requests must be an integer >= 0, got ${ctx.warmup}`);
  const planner = planLoad(cfg, ctx);
  const globals = planner.stages ?? [];
  const loop = globals[0]?.schedule.kind ?? 'closed';
  const stages: ShareStage[] = [];
  let base: number | null = ctx.warmup;
  for (const g of globals) {
    const s: ShareStage = g.schedule.kind === 'open' ? openStage(g, g.schedule, base, slot) : closedStage(g, g.schedule, base, slot, cfg.type);
    stages.push(s);
    base = base === null || s.globalRequests === null ? null : base + s.globalRequests;
  }
  if (cfg.type === 'sweep') {
    const top = Math.max(...cfg.concurrency);
    if (count > top) throw new SplitError(`parallelism ${count} is more than the sweep's highest concurrency ${top}: pods would be idle at every level`);
  }
  // The runner warms up at the first stage's concurrency: a pod with none there cannot.
  const warmup = stages[0]?.idle ? 0 : residueCount(ctx.warmup, index, count);
  const what = loop === 'open' ? `${everyNth(count)} from global index ${index}` : `its share of the concurrency`;
  const description = `pod ${index + 1} of ${count}: ${planner.description} (${what})`;
  return {
    index, count, type: cfg.type, loop, warmup, stages,
    planner: fixedPlanner(description, stages.map((s) => s.plan), planner.seed),
    description,
  };
}

function openStage(g: StagePlan, schedule: OpenLoopSchedule, base: number | null, slot: PodSlot): ShareStage {
  const total = openStageRequests(schedule, g.maxRequests, g.durationMs, g.label);
  if (total < slot.count) throw new SplitError(`stage ${g.label} sends ${total} requests, fewer than the ${slot.count} pods: lower the parallelism to at most ${total}`);
  // Every open stage's count is known, so the base always is (it starts at the warm-up count).
  const b = base!;
  const mine = residueSchedule(schedule, b, slot);
  const first = (((slot.index - b) % slot.count) + slot.count) % slot.count;
  const plan: StagePlan = {
    ...g,
    description: `${g.description}; pod ${slot.index + 1} of ${slot.count}: ${everyNth(slot.count)}`,
    schedule: mine,
    maxRequests: residueCount(total, first, slot.count),
    offered: { rate: mine.offeredRate, concurrency: null },
  };
  return { plan, global: g, globalRequests: total, base: b, idle: false, spawnPhaseMs: 0 };
}

function closedStage(g: StagePlan, schedule: ClosedLoopSchedule, base: number | null, slot: PodSlot, type: string): ShareStage {
  const c = schedule.concurrency;
  const mine = concurrencyShare(c, slot);
  if (type !== 'sweep' && c < slot.count) {
    const what = type === 'users' ? 'users' : 'concurrency';
    throw new SplitError(`parallelism ${slot.count} is more than the ${what} ${c}: lower it to at most ${c}`);
  }
  // Pods with a slot at this level, each of which must get a request.
  const active = Math.min(c, slot.count);
  if (g.maxRequests !== null && g.maxRequests < active) {
    throw new SplitError(`stage ${g.label} sends ${g.maxRequests} requests, fewer than the ${active} pods: lower the parallelism to at most ${g.maxRequests}`);
  }
  const globalRequests = g.durationMs === null ? g.maxRequests : null;
  const maxRequests = g.maxRequests === null ? null : mine === 0 ? 0 : closedRequestShare(g.maxRequests, c, slot);
  let spawnPhaseMs = 0;
  let split: ClosedLoopSchedule = { ...schedule, concurrency: mine, description: `${schedule.description}; pod ${slot.index + 1} of ${slot.count}: ${mine} of ${c}` };
  if (schedule.spawn && mine > 0) {
    const { start, perSecond } = schedule.spawn;
    const gap = 1000 / perSecond;
    // The pod's first spawned user u0 (smallest u >= start, u = index mod N) is due at (u0 - start + 1) gaps.
    const u0 = start + ((((slot.index - start) % slot.count) + slot.count) % slot.count);
    if (u0 < c) spawnPhaseMs = (u0 - start + 1) * gap - slot.count * gap;
    split = { ...split, spawn: { start: residueCount(start, slot.index, slot.count), perSecond: perSecond / slot.count, ...(spawnPhaseMs !== 0 ? { phaseMs: spawnPhaseMs } : {}) } };
  }
  const plan: StagePlan = {
    ...g,
    description: split.description,
    schedule: split,
    maxRequests,
    offered: { rate: null, concurrency: mine },
    ...(g.phases ? { phases: g.phases.map((ph) => ({ ...ph, offered: { rate: null, concurrency: ph.offered.concurrency === null ? null : concurrencyShare(ph.offered.concurrency, slot) } })) } : {}),
  };
  return { plan, global: g, globalRequests, base: globalRequests === null ? null : base, idle: mine === 0, spawnPhaseMs };
}

/** `every request`, `every 2nd request`, `every 4th request`. */
function everyNth(n: number): string {
  if (n === 1) return 'every request';
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `every ${n}${s} request`;
}
