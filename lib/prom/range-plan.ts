/**
 * Fitting a range query under Prometheus' limit of 11,000 points per series
 * (`exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query
 * resolution (?step=XX)`): the range is split into requests of at most that many points each,
 * and when that would take more than `maxRequests` requests, the step grows instead.
 */

/** Prometheus' hard limit of points per series in one `query_range`. */
export const PROM_MAX_POINTS = 11_000;

/** One `query_range` request: start and end in unix ms (both evaluated), step in seconds. */
export interface RangePart {
  startMs: number;
  endMs: number;
  stepS: number;
}

/**
 * The requests covering `[startMs, endMs]` at `stepS` (or a larger step): consecutive, not
 * overlapping, each with at most `maxPoints` points; their points are exactly those of one query
 * at the returned step. Throws on a non-positive step or an end before the start.
 */
export function planRange(startMs: number, endMs: number, stepS: number, opts: { maxPoints?: number; maxRequests?: number } = {}): { stepS: number; parts: RangePart[] } {
  const maxPoints = opts.maxPoints ?? PROM_MAX_POINTS;
  const maxRequests = opts.maxRequests ?? 8;
  if (!(stepS > 0) || !Number.isFinite(stepS)) throw new RangeError(`step must be a positive number of seconds, got ${stepS}`);
  if (!(endMs >= startMs)) throw new RangeError('the range ends before it starts');
  let step = stepS;
  const points = (s: number): number => Math.floor((endMs - startMs) / (s * 1000)) + 1;
  if (points(step) > maxPoints * maxRequests) {
    // Smallest whole-second step (or the asked one, if larger) that fits in maxRequests requests.
    step = Math.max(step, Math.ceil((endMs - startMs) / 1000 / (maxPoints * maxRequests - 1)));
    while (points(step) > maxPoints * maxRequests) step++;
  }
  const total = points(step);
  const parts: RangePart[] = [];
  for (let first = 0; first < total; first += maxPoints) {
    const last = Math.min(total, first + maxPoints) - 1;
    parts.push({ startMs: startMs + first * step * 1000, endMs: startMs + last * step * 1000, stepS: step });
  }
  return { stepS: step, parts };
}
