/** Most of `intervals` open at one instant (one ending exactly when another starts does not overlap it). */
export function maxOverlap(intervals: Array<[number, number]>): number {
  const events = intervals.flatMap(([a, b]): Array<[number, number]> => [
    [a, 1],
    [b, -1],
  ]);
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (open += d));
  return most;
}
