import type { Knee, SweepPoint } from '../report/load.ts';

export type { Knee, SweepPoint };

/**
 * The knee of a sweep: the lowest concurrency whose throughput is within `tolerance` of the
 * best any level reached. Past it, more requests in flight buy less than `tolerance` more
 * throughput (they queue, and latency grows instead). The plateau is only claimed when a higher
 * level was actually run; when the best is the last level, throughput was still growing and the
 * conclusion says to sweep higher.
 */
export function findKnee(points: readonly SweepPoint[], tolerance: number, unit: Knee['unit']): Knee {
  const measured = points.filter((p): p is SweepPoint & { throughput: number } => p.throughput !== null);
  const best = measured.reduce<(SweepPoint & { throughput: number }) | null>((b, p) => (b === null || p.throughput > b.throughput ? p : b), null);
  const rows = points.map((p, k) => {
    const prev = k > 0 ? points[k - 1]!.throughput : null;
    return {
      ...p,
      gain: p.throughput !== null && prev !== null && prev > 0 ? p.throughput / prev - 1 : null,
      ofBest: p.throughput !== null && best ? p.throughput / best.throughput : null,
    };
  });
  if (!best) {
    return { unit, concurrency: null, throughput: null, best: null, plateau: false, tolerance, points: rows, conclusion: 'no level had successful requests: no knee' };
  }
  const knee = measured.find((p) => p.throughput >= (1 - tolerance) * best.throughput)!;
  const above = measured.filter((p) => p.concurrency > knee.concurrency);
  const plateau = above.length > 0;
  const fmt = (x: number): string => x.toFixed(x >= 100 ? 0 : 1);
  const conclusion = plateau
    ? `throughput plateaus at concurrency ${knee.concurrency} (${fmt(knee.throughput)} ${unit}); higher levels add less than ${tolerance * 100}% (best ${fmt(best.throughput)} at ${best.concurrency})`
    : `throughput still growing at the highest level run (concurrency ${knee.concurrency}, ${fmt(knee.throughput)} ${unit}): no plateau seen, sweep higher`;
  return {
    unit,
    concurrency: knee.concurrency,
    throughput: knee.throughput,
    best: { concurrency: best.concurrency, throughput: best.throughput },
    plateau,
    tolerance,
    points: rows,
    conclusion,
  };
}
