import { describe, expect, test } from 'vitest';
import { findKnee } from '../../lib/load/knee.ts';
import { planLoad } from '../../lib/load/registry.ts';
import { searchPlanner } from '../../lib/load/search.ts';
import { phaseAt, type StageOutcome, type StagePlan } from '../../lib/load/stage.ts';

const pts = (xs: Array<[number, number | null]>) => xs.map(([c, t]) => ({ label: `concurrency ${c}`, concurrency: c, throughput: t }));

describe('findKnee', () => {
  test('the lowest level within the tolerance of the best, with a plateau seen above it', () => {
    const k = findKnee(pts([[1, 100], [5, 450], [10, 800], [20, 950], [50, 1000]]), 0.1, 'output tokens/s');
    expect(k).toMatchObject({ concurrency: 20, throughput: 950, best: { concurrency: 50, throughput: 1000 }, plateau: true });
    expect(k.points.map((p) => p.gain === null ? null : Number(p.gain.toFixed(3)))).toEqual([null, 3.5, 0.778, 0.188, 0.053]);
    expect(k.points.map((p) => p.ofBest)).toEqual([0.1, 0.45, 0.8, 0.95, 1]);
  });

  test('still growing at the highest level: no plateau, and the conclusion says to sweep higher', () => {
    const k = findKnee(pts([[1, 100], [2, 190], [4, 380]]), 0.1, 'output tokens/s');
    expect(k).toMatchObject({ concurrency: 4, plateau: false });
    expect(k.conclusion).toContain('sweep higher');
  });

  test('a drop past the peak still finds the knee at or before the peak; levels without throughput are skipped', () => {
    const k = findKnee(pts([[1, 100], [8, 700], [16, 720], [32, null], [64, 400]]), 0.1, 'requests/s');
    expect(k).toMatchObject({ concurrency: 8, plateau: true, unit: 'requests/s' });
    expect(findKnee(pts([[1, null]]), 0.1, 'requests/s')).toMatchObject({ concurrency: null, plateau: false });
  });
});

/** A finished stage as the runner reports it, for a planner. */
function outcome(plan: StagePlan, index: number, over: Partial<StageOutcome> = {}): StageOutcome {
  return { index, plan, start: 0, sendEnd: 0, end: 0, sent: 1, cut: 0, achievedSendRate: null, eventLoopDelayMs: { p50: 0, p99: 0, max: 0 }, stopRule: null, stopped: null, ...over };
}

/** Drives a planner to its end with a judge that passes values up to `capacity`. */
async function drive(
  over: 'rate' | 'concurrency',
  capacity: number,
  cfg: { low: number; high: number; trials?: number; precision?: number; max_probes?: number },
  flaky?: (value: number, trial: number) => boolean,
  invalid?: (value: number, run: number) => boolean,
) {
  const done: StageOutcome[] = [];
  const runs = new Map<number, number>();
  const planner = searchPlanner(
    { over, trials: 1, precision: 0.1, max_probes: 10, ...cfg },
    {
      seed: 1,
      judge: (o) => {
        const v = o.plan.probe!.value;
        const run = runs.get(v) ?? 0;
        runs.set(v, run + 1);
        if (invalid?.(v, run)) return { passed: false, reasons: ['invalid: client fell behind'], invalid: true };
        const passed = v <= capacity && !(flaky?.(v, o.plan.probe!.trial) ?? false);
        return { passed, reasons: passed ? [] : [`${v} over capacity`] };
      },
      stageAt: (value, trial) => ({ label: String(value), description: '', schedule: { kind: 'closed', concurrency: 1, description: '' }, maxRequests: 1, durationMs: null, drainMs: 0, offered: { rate: null, concurrency: null }, probe: { value, trial } }),
    },
  );
  for (let plan = await planner.next(done); plan; plan = await planner.next(done)) done.push(outcome(plan, done.length));
  return { result: planner.result(), stages: done.map((d) => [d.plan.probe!.value, d.plan.probe!.trial]) };
}

describe('searchPlanner', () => {
  test('concurrency: bisection to adjacent integers', async () => {
    const { result } = await drive('concurrency', 11, { low: 1, high: 64 });
    expect(result.value).toBe(11);
    expect(result.bracket).toEqual({ passing: 11, failing: 12 });
    expect(result.probes.map((p) => p.value)).toEqual([1, 64, 32, 16, 8, 12, 10, 11]);
  });

  test('rate: stops within the precision, rates rounded to 3 significant figures', async () => {
    const { result } = await drive('rate', 7.3, { low: 1, high: 100, precision: 0.1 });
    expect(result.value).toBeLessThanOrEqual(7.3);
    expect((result.bracket.failing! - result.bracket.passing!) / result.bracket.failing!).toBeLessThanOrEqual(0.1);
    expect(result.probes.every((p) => Number(p.value.toPrecision(3)) === p.value)).toBe(true);
    expect(result.conclusion).toMatch(/^capacity [\d.]+ requests\/s: passes, and [\d.]+ requests\/s fails \(within 10%\)$/);
  });

  test('trials: a probe passes only when every trial does, and its first failure ends it', async () => {
    const { result, stages } = await drive('concurrency', 8, { low: 2, high: 16, trials: 3 }, (v, trial) => v === 8 && trial === 1);
    expect(result.probes.find((p) => p.value === 8)).toMatchObject({ passed: false, trials: [{ passed: true }, { passed: false }] });
    expect(stages.slice(0, 3)).toEqual([[2, 0], [2, 1], [2, 2]]);
    expect(result.value).toBe(7);
  });

  test('an invalid trial (the client fell behind) is run again, not counted; after two reruns it counts', async () => {
    const once = await drive('concurrency', 11, { low: 1, high: 64 }, undefined, (v, run) => v === 8 && run === 0);
    expect(once.result.value).toBe(11);
    expect(once.result.probes.find((p) => p.value === 8)).toMatchObject({ passed: true, rerun: [{ reasons: ['invalid: client fell behind'] }] });
    expect(once.stages.filter(([v]) => v === 8)).toEqual([[8, 0], [8, 0]]);
    const always = await drive('concurrency', 11, { low: 1, high: 64 }, undefined, (v) => v === 8);
    expect(always.result.probes.find((p) => p.value === 8)).toMatchObject({ passed: false, trials: [{ passed: false }] });
    expect(always.result.probes.find((p) => p.value === 8)!.rerun).toHaveLength(2);
    expect(always.result.value).toBe(7);
  });

  test('low failing or high passing ends the search at once and says which bound to move', async () => {
    const below = await drive('rate', 0.5, { low: 1, high: 10 });
    expect(below.result).toMatchObject({ value: null, bracket: { passing: null, failing: 1 } });
    expect(below.result.conclusion).toContain('lower `low`');
    const above = await drive('rate', 50, { low: 1, high: 10 });
    expect(above.result).toMatchObject({ value: 10, bracket: { passing: 10, failing: null } });
    expect(above.result.conclusion).toContain('raise `high`');
  });

  test('max_probes bounds the search', async () => {
    const { result } = await drive('rate', 3.3, { low: 1, high: 1000, precision: 0.01, max_probes: 4 });
    expect(result.probes).toHaveLength(4);
    expect(result.conclusion).toContain('after 4 probes (max_probes)');
  });
});

describe('planLoad', () => {
  const plans = (p: ReturnType<typeof planLoad>) => p.stages!;
  test('staged Poisson: one stage per entry, each seeded seed + k, bounded by its duration', () => {
    const p = planLoad({ type: 'poisson', stages: [{ rate: 2, duration: 10 }, { rate: 4, duration: 5 }], seed: 7 }, { seed: 0, numRequests: 100 });
    expect(plans(p).map((s) => [s.label, s.durationMs, s.maxRequests, s.schedule.kind === 'open' && s.schedule.seed])).toEqual([
      ['rate 2/s', 10_000, 100, 7],
      ['rate 4/s', 5_000, 100, 8],
    ]);
    expect(p.description).toBe('2 stages: 2/s × 10 s, 4/s × 5 s; Poisson arrivals, seed 7 (open loop)');
  });

  test('users: one closed-loop stage with a spawn ramp, reported as ramp and sustained phases', () => {
    const p = planLoad({ type: 'users', users: 100, start_users: 10, spawn_rate: 10, duration: 30 }, { seed: 0 });
    const [s] = plans(p);
    expect(s!.durationMs).toBe(39_000);
    expect(s!.schedule).toMatchObject({ kind: 'closed', concurrency: 100, spawn: { start: 10, perSecond: 10 } });
    expect(s!.phases!.map((ph) => [ph.label, ph.untilMs])).toEqual([['ramp 10→100 users', 9000], ['100 users', Infinity]]);
  });

  test('a spawn due exactly at the ramp\'s end is in the sustained phase, whatever the stage start (phaseAt)', () => {
    const p = planLoad({ type: 'users', users: 4, start_users: 1, spawn_rate: 10, duration: 0.5 }, { seed: 0 });
    const [s] = plans(p);
    // A start where the offset of the 4th user's due time is a ulp short of the ramp's 300 ms (CI
    // put that user in the ramp): the runner's due time is start + 3 * gap.
    const start = 7968.351916804827;
    const due = start + 3 * (1000 / 10);
    expect(due - start).toBeLessThan(300);
    expect(phaseAt(s!, start, due)).toBe(1);
    expect(phaseAt(s!, start, start + 299.999)).toBe(0);
    expect(phaseAt(s!, start, start)).toBe(0);
    expect(phaseAt(s!, start, start + 1e9)).toBe(1);
    // Nor does any of 2,000 other starts.
    for (let i = 0; i < 2000; i++) {
      const t0 = 1000 + i * 37.123456789;
      expect(phaseAt(s!, t0, t0 + 3 * 100)).toBe(1);
    }
    const [plain] = plans(planLoad({ type: 'concurrency', concurrency: 2 }, { seed: 0 }));
    expect(phaseAt(plain!, start, start + 5)).toBe(0);
  });

  test('a search without a judge is a programming error', () => {
    expect(() => planLoad({ type: 'search', over: 'rate', low: 1, high: 2 }, { seed: 0 })).toThrow(/trial judge/);
  });

  test('invalid loads are rejected: rate and stages together, high <= low, start_users > users', () => {
    expect(() => planLoad({ type: 'constant', rate: 1, stages: [{ rate: 1, duration: 1 }] })).toThrow(/either `rate`/);
    expect(() => planLoad({ type: 'constant', stages: [{ rate: 0, duration: 1 }] })).toThrow();
    expect(() => planLoad({ type: 'search', over: 'concurrency', low: 4, high: 4 })).toThrow(/high \(4\) must be more than low \(4\)/);
    expect(() => planLoad({ type: 'users', users: 5, start_users: 6, spawn_rate: 1, duration: 1 })).toThrow(/start_users \(6\) is more than users \(5\)/);
  });
});
