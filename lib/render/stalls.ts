import type { RunStats } from '../report/model.ts';
import type { TestReport } from '../report/model.ts';

/** Percentile the without-stalled comparison shows. */
const P = 'p99';

const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1));

/**
 * The client's stalls in one line: how many measured requests overlapped a stall of the measuring
 * thread longer than the limit, their share, and the longest stall; null when the report has no
 * stall watch (older reports, a merge without pods' summaries).
 */
export function stallText(r: Pick<TestReport, 'stats' | 'run'>): string | null {
  const w = r.run.stalls;
  if (!w) return null;
  const marked = r.stats.requests.stalled ?? 0;
  const total = r.stats.requests.total;
  const share = total > 0 ? ` (${Number(((marked / total) * 100).toPrecision(3))}%)` : '';
  const stalls = w.count === 0 ? `no stall of the measuring thread longer than ${w.limitMs} ms` : `${w.count} stall${w.count === 1 ? '' : 's'} of the measuring thread longer than ${w.limitMs} ms, longest ${fmt(w.longestMs)} ms`;
  return `${marked} of ${total} requests${share} overlapped a client stall; ${stalls}`;
}

/** The latency p99s without the stalled requests next to those of all: `TTFT p99 12.3 ms (all: 45.6)`; null when none was marked. */
export function withoutStalledText(r: Pick<TestReport, 'stats' | 'withoutStalled'>): string | null {
  const w = r.withoutStalled;
  if (!w) return null;
  const pair = (label: string, m: keyof RunStats['latency']): string =>
    `${label} ${P} ${fmt(w.latency[m].percentiles[P])} ms (all: ${fmt(r.stats.latency[m].percentiles[P])})`;
  const n = r.stats.requests.stalled ?? 0;
  return `without the ${n} stalled request${n === 1 ? '' : 's'}: ${[pair('TTFT', 'ttft'), pair('TPOT', 'tpot'), pair('ITL', 'itl'), pair('E2E', 'e2e')].join(', ')}`;
}
