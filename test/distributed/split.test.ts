import { describe, expect, it } from 'vitest';
import {
  closedRequestShare,
  concurrencyShare,
  globalIndex,
  localIndex,
  openStageRequests,
  type Share,
  shareOf,
  SplitError,
  type SplitContext,
} from '../../lib/distributed/split.ts';
import { type LoadConfigInput, planLoad } from '../../lib/load/registry.ts';
import type { StagePlan } from '../../lib/load/stage.ts';

/** One planned send: its stage, global request index and intended offset from the stage start. */
interface Send {
  stage: number;
  index: number;
  offset: number;
}

/** Offsets an open-loop stage plan sends, as the runner takes them (count bound, then deadline). */
function offsetsOf(plan: StagePlan): number[] {
  if (plan.schedule.kind !== 'open') throw new Error('open loop expected');
  const out: number[] = [];
  const it = plan.schedule.offsets();
  while (out.length < (plan.maxRequests ?? Infinity)) {
    const next = it.next();
    if (next.done || (plan.durationMs !== null && next.value >= plan.durationMs)) break;
    out.push(next.value);
  }
  return out;
}

/** What a single process sends: warm-up indices first, then each stage's offsets. */
function globalSends(load: LoadConfigInput, ctx: SplitContext): Send[] {
  const sends: Send[] = [];
  let next = ctx.warmup;
  planLoad(load, ctx).stages!.forEach((plan, stage) => {
    for (const offset of offsetsOf(plan)) sends.push({ stage, index: next++, offset });
  });
  return sends;
}

/** What one pod sends, its local indices mapped to global ones. */
function podSends(share: Share): Send[] {
  const sends: Send[] = [];
  let local = share.warmup;
  share.stages.forEach((s, stage) => {
    for (const offset of offsetsOf(s.plan)) sends.push({ stage, index: globalIndex(share, local++), offset });
  });
  return sends;
}

const OPEN_LOADS: Array<[string, LoadConfigInput, SplitContext]> = [
  ['constant, count-bounded', { type: 'constant', rate: 10 }, { seed: 1, numRequests: 23, warmup: 0 }],
  ['constant, duration-bounded, warm-up', { type: 'constant', rate: 7, duration: 2.5 }, { seed: 1, warmup: 5 }],
  ['poisson with a seed, duration-bounded', { type: 'poisson', rate: 40, duration: 3, seed: 7 }, { seed: 1, warmup: 2 }],
  ['poisson stages, count and duration', { type: 'poisson', stages: [{ rate: 30, duration: 1 }, { rate: 5, duration: 2 }] }, { seed: 99, numRequests: 17, warmup: 3 }],
  ['gamma stages', { type: 'gamma', burstiness: 0.5, seed: 3, stages: [{ rate: 20, duration: 1.3 }, { rate: 50, duration: 0.7 }, { rate: 9, duration: 1 }] }, { seed: 0, warmup: 1 }],
];

describe('open loops: the union of the shares is the global schedule', () => {
  for (const [name, load, ctx] of OPEN_LOADS) {
    for (const count of [1, 2, 4]) {
      it(`${name}, ${count} pod(s)`, () => {
        const global = globalSends(load, ctx);
        const shares = Array.from({ length: count }, (_, index) => shareOf(load, ctx, { index, count }));
        const union = shares.flatMap(podSends).sort((a, b) => a.index - b.index);
        expect(union).toEqual(global);
        // Warm-up and per-stage counts split as ceil/floor by residue.
        expect(shares.reduce((n, s) => n + s.warmup, 0)).toBe(ctx.warmup);
        for (const s of shares) expect(s.warmup).toBeGreaterThanOrEqual(Math.floor(ctx.warmup / count));
        shares[0]!.stages.forEach((st, k) => {
          const per = shares.map((s) => s.stages[k]!.plan.maxRequests!);
          expect(per.reduce((a, b) => a + b, 0)).toBe(st.globalRequests);
          expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
        });
      });
    }
  }

  it('each pod offers rate / N, with the global stage duration', () => {
    const share = shareOf({ type: 'poisson', rate: 40, duration: 3, seed: 7 }, { seed: 1, warmup: 0 }, { index: 1, count: 4 });
    expect(share.loop).toBe('open');
    expect(share.stages[0]!.plan.offered.rate).toBe(10);
    expect(share.stages[0]!.plan.durationMs).toBe(3000);
    expect(share.description).toMatch(/^pod 2 of 4: .*every 4th request from global index 1/);
  });
});

describe('data: the pods partition the request indices', () => {
  it('open loops: disjoint and covering 0 .. total - 1', () => {
    const [, load, ctx] = OPEN_LOADS[3]!;
    for (const count of [1, 2, 4]) {
      const shares = Array.from({ length: count }, (_, index) => shareOf(load, ctx, { index, count }));
      const indices = shares.flatMap((s) => Array.from({ length: s.warmup + podSends(s).length }, (_, j) => globalIndex(s, j)));
      const total = ctx.warmup + globalSends(load, ctx).length;
      expect(new Set(indices).size).toBe(indices.length);
      expect([...indices].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    }
  });

  it('global and local indices invert each other; other pods own the rest', () => {
    const slot = { index: 2, count: 4 };
    for (let j = 0; j < 50; j++) expect(localIndex(slot, globalIndex(slot, j))).toBe(j);
    expect(localIndex(slot, 3)).toBeNull();
    for (let i = 0; i < 200; i++) {
      const owners = [0, 1, 2, 3].filter((index) => localIndex({ index, count: 4 }, i) !== null);
      expect(owners).toEqual([i % 4]);
    }
  });
});

describe('closed loops: concurrency split N ways', () => {
  it('concurrency and count shares sum to the totals', () => {
    for (const c of [1, 4, 5, 17, 64]) {
      for (const count of [1, 2, 4]) {
        if (count > c) continue;
        const slots = Array.from({ length: count }, (_, index) => ({ index, count }));
        const cs = slots.map((s) => concurrencyShare(c, s));
        expect(cs.reduce((a, b) => a + b, 0)).toBe(c);
        expect(cs).toEqual(slots.map((s) => Math.floor(c / count) + (s.index < c % count ? 1 : 0)));
        for (const m of [count, 37, 1000]) expect(slots.reduce((n, s) => n + closedRequestShare(m, c, s), 0)).toBe(m);
      }
    }
  });

  it('a concurrency load gives each pod its slots and its requests', () => {
    const shares = [0, 1, 2, 3].map((index) => shareOf({ type: 'concurrency', concurrency: 5 }, { seed: 0, numRequests: 100, warmup: 4 }, { index, count: 4 }));
    expect(shares.map((s) => s.stages[0]!.plan.offered.concurrency)).toEqual([2, 1, 1, 1]);
    expect(shares.map((s) => s.stages[0]!.plan.maxRequests)).toEqual([40, 20, 20, 20]);
    expect(shares.every((s) => s.loop === 'closed' && s.warmup === 1)).toBe(true);
  });

  it('a sweep level with fewer slots than pods leaves some pods idle', () => {
    const load: LoadConfigInput = { type: 'sweep', concurrency: [1, 3, 8], duration: 2 };
    const shares = [0, 1, 2, 3].map((index) => shareOf(load, { seed: 0, warmup: 3 }, { index, count: 4 }));
    expect(shares.map((s) => s.stages.map((st) => st.plan.offered.concurrency))).toEqual([[1, 1, 2], [0, 1, 2], [0, 1, 2], [0, 0, 2]]);
    expect(shares.map((s) => s.stages.map((st) => st.idle))).toEqual([[false, false, false], [true, false, false], [true, false, false], [true, true, false]]);
    // Duration-bounded: the idle pod's runner waits out the stage (no count bound), staying in step.
    expect(shares[1]!.stages[0]!.plan.maxRequests).toBeNull();
    expect(shares[1]!.stages[0]!.plan.durationMs).toBe(2000);
    // Count-bounded: an idle pod's stage has nothing to send, and the active pods' counts sum to the level's.
    const counted = [0, 1, 2, 3].map((index) => shareOf(load, { seed: 0, numRequests: 12, warmup: 0 }, { index, count: 4 }));
    expect(counted.map((s) => s.stages.map((st) => st.plan.maxRequests))).toEqual([[12, 4, 3], [0, 4, 3], [0, 4, 3], [0, 0, 3]]);
    // The runner warms up at the first stage's concurrency: an idle pod warms up nothing.
    expect(shares.map((s) => s.warmup)).toEqual([1, 0, 0, 0]);
  });

  it('a user ramp splits users, start users and spawns so the union spawns on the global times', () => {
    const load: LoadConfigInput = { type: 'users', users: 11, start_users: 3, spawn_rate: 4, duration: 5 };
    const gap = 1000 / 4;
    const global = Array.from({ length: 11 - 3 }, (_, j) => (j + 1) * gap);
    for (const count of [1, 2, 4]) {
      const spawns: number[] = [];
      let users = 0;
      let start = 0;
      for (let index = 0; index < count; index++) {
        const st = shareOf(load, { seed: 0, warmup: 0 }, { index, count }).stages[0]!;
        const s = st.plan.schedule;
        if (s.kind !== 'closed' || !s.spawn) throw new Error('closed loop with a spawn expected');
        users += s.concurrency;
        start += s.spawn.start;
        const g = 1000 / s.spawn.perSecond;
        for (let m = 1; m <= s.concurrency - s.spawn.start; m++) spawns.push(m * g + st.spawnPhaseMs);
        expect(st.plan.durationMs).toBe((8 / 4) * 1000 + 5000);
      }
      expect(users).toBe(11);
      expect(start).toBe(3);
      expect(spawns.sort((a, b) => a - b).map((t) => Math.round(t * 1e6) / 1e6)).toEqual(global);
    }
  });
});

describe('bad input', () => {
  const ctx: SplitContext = { seed: 0, numRequests: 10, warmup: 0 };
  const fails = (load: LoadConfigInput, count: number, c: SplitContext = ctx): string => {
    try {
      shareOf(load, c, { index: 0, count });
    } catch (err) {
      expect(err).toBeInstanceOf(SplitError);
      return (err as Error).message;
    }
    throw new Error('expected a SplitError');
  };

  it('refuses a search load', () => {
    expect(fails({ type: 'search', over: 'rate', low: 1, high: 10 }, 2)).toMatch(/search load cannot be split/);
  });

  it('refuses parallelism < 1 and a pod index outside it', () => {
    expect(fails({ type: 'constant', rate: 5 }, 0)).toBe('parallelism must be an integer >= 1, got 0');
    expect(fails({ type: 'constant', rate: 5 }, 1.5)).toMatch(/got 1.5/);
    expect(() => shareOf({ type: 'constant', rate: 5 }, ctx, { index: 4, count: 4 })).toThrow('pod index 4 is outside 0..3');
  });

  it('refuses more pods than the work', () => {
    expect(fails({ type: 'constant', rate: 5 }, 11)).toBe('stage rate 5/s sends 10 requests, fewer than the 11 pods: lower the parallelism to at most 10');
    expect(fails({ type: 'poisson', rate: 2, duration: 1, seed: 1 }, 8, { seed: 0, warmup: 0 })).toMatch(/sends \d requests, fewer than the 8 pods/);
    expect(fails({ type: 'concurrency', concurrency: 3 }, 4)).toBe('parallelism 4 is more than the concurrency 3: lower it to at most 3');
    expect(fails({ type: 'concurrency', concurrency: 30 }, 12)).toMatch(/sends 10 requests, fewer than the 12 pods/);
    expect(fails({ type: 'sweep', concurrency: [1, 2, 4], duration: 1 }, 5)).toMatch(/more than the sweep's highest concurrency 4/);
    expect(fails({ type: 'users', users: 2, spawn_rate: 1, duration: 1 }, 3)).toMatch(/more than the users 2/);
  });

  it('refuses an open stage with no bound', () => {
    const plan = planLoad({ type: 'constant', rate: 5 }, { seed: 0 }).stages![0]!;
    if (plan.schedule.kind !== 'open') throw new Error('open loop expected');
    expect(() => openStageRequests(plan.schedule as never, null, null, plan.label)).toThrow(/neither num_requests nor a duration/);
  });
});
