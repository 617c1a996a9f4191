import { describe, expect, it } from 'vitest';
import { splitmix32 } from '../../lib/stats/prng.ts';
import { ARRIVALS } from '../../lib/load/arrival-processes.ts';
import { logGamma, poissonSample } from '../../lib/data/samplers.ts';
import { inferencePerfConstantOffsets, inferencePerfPoissonOffsets, stageRequests } from '../../lib/load/inference-perf-arrivals.ts';
import { shareOf } from '../../lib/distributed/split.ts';
import { planLoad } from '../../lib/load/registry.ts';

const all = (it: Iterable<number>): number[] => [...it];

function nonDecreasing(xs: readonly number[]): boolean {
  return xs.every((x, i) => i === 0 || x >= xs[i - 1]!);
}

describe("inference-perf's load timers", () => {
  it("a stage sends Python's int(rate × duration) requests, the same double product truncated", () => {
    expect(stageRequests(5, 30)).toBe(150);
    expect(stageRequests(2.5, 3)).toBe(7);
    expect(stageRequests(0.3, 10)).toBe(3); // 0.3 * 10 is 3.0000000000000004 in doubles: int() gives 3
    expect(stageRequests(0.7, 10)).toBe(7);
    expect(stageRequests(0.1, 3)).toBe(0); // 0.30000000000000004: no request, as inference-perf
  });

  it('constant timer: exactly the count, non-decreasing, first after one gap, last exactly at the duration', () => {
    for (const [rate, duration] of [[5, 30], [2.5, 3], [120, 7]] as const) {
      const offs = all(inferencePerfConstantOffsets(rate, duration, 11));
      expect(offs).toHaveLength(stageRequests(rate, duration));
      expect(nonDecreasing(offs)).toBe(true);
      expect(offs[0]!).toBeGreaterThan(0);
      expect(offs.at(-1)).toBe(duration * 1000);
    }
    expect(all(inferencePerfConstantOffsets(0.1, 3, 1))).toEqual([]);
  });

  it('constant timer: the gaps are exponential scaled to the duration, not evenly spaced (CV about 1)', () => {
    const offs = all(inferencePerfConstantOffsets(100, 200, 5));
    const gaps = offs.map((t, i) => t - (i === 0 ? 0 : offs[i - 1]!));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    // The gaps sum to the duration exactly, so their mean is duration / count.
    expect(mean).toBeCloseTo(10, 9);
    // 20,000 exponential gaps: the CV's standard error is about 0.007.
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.03);
    expect(Math.abs(gaps.filter((g) => g > mean).length / gaps.length - Math.exp(-1))).toBeLessThan(0.01);
  });

  it('Poisson timer: per-second counts, each second spread over itself and ending exactly on the second', () => {
    const rate = 4;
    const duration = 500;
    const offs = all(inferencePerfPoissonOffsets(rate, duration, 9));
    expect(offs).toHaveLength(stageRequests(rate, duration));
    expect(nonDecreasing(offs)).toBe(true);
    // Group by second: every second but the last (cut at the count) ends with a request due exactly at its end.
    const bySecond = new Map<number, number[]>();
    for (const t of offs) {
      const s = Math.ceil(t / 1000) - 1;
      bySecond.set(s, [...(bySecond.get(s) ?? []), t]);
    }
    const seconds = [...bySecond.keys()].sort((a, b) => a - b);
    for (const s of seconds.slice(0, -1)) expect(bySecond.get(s)!.at(-1)).toBe((s + 1) * 1000);
    // The counts of the complete seconds are Poisson(rate): mean and variance both about rate;
    // seconds that drew 0 are skipped (no request in them), about e^-4 = 1.8% of them.
    const last = seconds.at(-1)!;
    const counts = Array.from({ length: last }, (_, s) => bySecond.get(s)?.length ?? 0);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    const variance = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / counts.length;
    expect(Math.abs(mean - rate)).toBeLessThan(0.3);
    expect(Math.abs(variance - rate)).toBeLessThan(0.8);
    expect(counts.filter((c) => c === 0).length).toBeGreaterThan(0);
  });

  it('Poisson timer: the stage may end before or after its duration (the count is fixed, the time is not)', () => {
    const ends = Array.from({ length: 40 }, (_, seed) => all(inferencePerfPoissonOffsets(2, 10, seed)).at(-1)!);
    expect(ends.some((t) => t < 10_000)).toBe(true);
    expect(ends.some((t) => t > 10_000)).toBe(true);
    for (let seed = 0; seed < 40; seed++) expect(all(inferencePerfPoissonOffsets(2, 10, seed))).toHaveLength(20);
  });

  it('the same seed gives the same schedule; another seed another one', () => {
    expect(all(inferencePerfConstantOffsets(5, 10, 42))).toEqual(all(inferencePerfConstantOffsets(5, 10, 42)));
    expect(all(inferencePerfConstantOffsets(5, 10, 42))).not.toEqual(all(inferencePerfConstantOffsets(5, 10, 43)));
    expect(all(inferencePerfPoissonOffsets(5, 10, 42))).toEqual(all(inferencePerfPoissonOffsets(5, 10, 42)));
    expect(all(inferencePerfPoissonOffsets(5, 10, 42))).not.toEqual(all(inferencePerfPoissonOffsets(5, 10, 43)));
  });

  it("Poisson samples (numpy's algorithms) have mean and variance lambda, below and above 10", () => {
    const prng = splitmix32(17);
    for (const lambda of [0.5, 3, 10, 45, 800]) {
      const n = 40_000;
      const xs = Array.from({ length: n }, () => poissonSample(prng, lambda));
      const mean = xs.reduce((a, b) => a + b, 0) / n;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / n;
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
      // Standard error of the mean sqrt(lambda / n); of the variance about lambda * sqrt(2 / n).
      expect(Math.abs(mean - lambda), `lambda ${lambda} mean`).toBeLessThan(5 * Math.sqrt(lambda / n));
      expect(Math.abs(variance - lambda) / lambda, `lambda ${lambda} variance`).toBeLessThan(0.05);
    }
  });

  it('log Γ matches the factorials', () => {
    let f = 0;
    for (let k = 1; k <= 30; k++) {
      expect(logGamma(k)).toBeCloseTo(f, 9);
      f += Math.log(k);
    }
    expect(logGamma(0.5 + 10)).toBeCloseTo(13.940625219403763, 9);
  });
});

describe('arrival processes in stage plans', () => {
  it('inference-perf arrivals make count-bounded stages of int(rate × duration), with the generator named', () => {
    const plan = planLoad({ type: 'poisson', arrivals: 'inference-perf', stages: [{ rate: 2, duration: 3 }, { rate: 5, duration: 2 }], seed: 4 });
    expect(plan.stages!.map((s) => [s.maxRequests, s.durationMs])).toEqual([[6, null], [10, null]]);
    expect(plan.description).toContain("inference-perf's Poisson timer");
    expect(plan.stages![1]!.schedule.kind === 'open' && plan.stages![1]!.schedule.seed).toBe(5);
    const s = plan.stages![0]!.schedule;
    expect(s.kind === 'open' && all({ [Symbol.iterator]: () => s.offsets() })).toEqual(all(inferencePerfPoissonOffsets(2, 3, 4)));
  });

  it('exact arrivals stay duration-bounded: evenly spaced and Poisson process', () => {
    const even = planLoad({ type: 'constant', stages: [{ rate: 2, duration: 3 }] });
    expect(even.stages![0]!.durationMs).toBe(3000);
    expect(even.stages![0]!.maxRequests).toBeNull();
    expect(even.description).toContain('evenly spaced');
    expect(planLoad({ type: 'poisson', arrivals: 'exact', rate: 2, duration: 3 }, { seed: 1 }).stages![0]!.durationMs).toBe(3000);
    expect(ARRIVALS.constant.requests({ rate: 2, seed: 0, durationS: 3 })).toBeNull();
  });

  it("a split run's pods partition the stages: every (offset, request) once, each pod its residue, the pause kept", () => {
    const load = { type: 'poisson' as const, arrivals: 'inference-perf' as const, stages: [{ rate: 7, duration: 3 }, { rate: 3, duration: 2 }], seed: 2, pause: 1 };
    const global = planLoad(load, { seed: 0 });
    const shares = [0, 1, 2].map((index) => shareOf(load, { seed: 0, warmup: 1 }, { index, count: 3 }));
    global.stages!.forEach((g, k) => {
      const want = [...{ [Symbol.iterator]: () => (g.schedule.kind === 'open' ? g.schedule.offsets() : [][Symbol.iterator]()) }];
      expect(want).toHaveLength(g.maxRequests!);
      const got = shares.flatMap((sh) => {
        const st = sh.stages[k]!;
        const offs = st.plan.schedule.kind === 'open' ? [...{ [Symbol.iterator]: () => (st.plan.schedule as { offsets(): Iterator<number> }).offsets() }] : [];
        expect(offs).toHaveLength(st.plan.maxRequests!);
        expect(st.plan.pauseBeforeMs).toBe(k === 0 ? undefined : 1000);
        return offs;
      });
      expect(got.sort((a, b) => a - b)).toEqual([...want].sort((a, b) => a - b));
    });
  });

  it('a pause goes before every stage but the first, and the descriptions say so', () => {
    const plan = planLoad({ type: 'constant', arrivals: 'inference-perf', stages: [{ rate: 1, duration: 2 }, { rate: 2, duration: 2 }, { rate: 3, duration: 2 }], pause: 1.5 });
    expect(plan.stages!.map((s) => s.pauseBeforeMs)).toEqual([undefined, 1500, 1500]);
    expect(plan.description).toContain('1.5 s idle pause between stages');
    expect(plan.stages![1]!.description).toContain('after an idle pause of 1.5 s');
    const sweep = planLoad({ type: 'sweep', concurrency: [1, 2], pause: 2 }, { seed: 0, numRequests: 4 });
    expect(sweep.stages!.map((s) => s.pauseBeforeMs)).toEqual([undefined, 2000]);
  });
});
