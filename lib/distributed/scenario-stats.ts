/**
 * A pod's statistics of one test in mergeable form: `stats.jsonl` beside `requests.jsonl`, one
 * line per test, written when the test's share is over. Every accumulator of the test (the
 * whole, each reported stage with its goodput and send bookkeeping, each cell and model) is
 * encoded as a histogram (`StatsAccumulator.encode({ exactCap: 0 })`), a few KB whatever the run's
 * size, so it arrives when the records may not.
 *
 * The merge uses a pod's line only when its records did not arrive intact (`merge-scenario.ts`):
 * the line is then absorbed into the merge's accumulators (the merge's driver), whose
 * percentiles are within the histogram's relative bound, 2^-(precisionBits + 1) (0.098% at the
 * default 9 bits), and whose counts, means, windows and throughputs stay exact.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EncodedStats, StatsAccumulator } from '../metrics/aggregate.ts';
import type { GoodputCounter } from '../slo/goodput.ts';
import { DEFAULT_PRECISION_BITS } from '../stats/log-histogram.ts';

/** The file beside `requests.jsonl`. */
export const STATS_FILE = 'stats.jsonl';

/** One reported stage's accumulators and send bookkeeping (times on the pod's clock, ms). */
export interface EncodedStage {
  stats: EncodedStats;
  goodput: ReturnType<GoodputCounter['encode']>;
  sent: number;
  cut: number;
  failed: number;
  firstSend: number | null;
  lastSend: number | null;
  firstIntended: number | null;
  lastIntended: number | null;
}

/** A line of `stats.jsonl`: one test of one pod. */
export interface ScenarioStatsLine {
  kind: 'stats';
  format: 'vitest-llm-d/scenario-stats@1';
  suite: string;
  scenario: string;
  index: number;
  /** Precision of every histogram, mantissa bits: percentiles within 2^-(bits + 1) relative. */
  precisionBits: number;
  /** Requests the pod's load sent (warm-up excluded), as `report.run.sent`. */
  sent: number;
  all: EncodedStats;
  stages: EncodedStage[];
  cells: Record<string, EncodedStats>;
  models: Record<string, EncodedStats>;
}

/** What the scenario run's accounting keeps per reported stage (`lib/scenario/accounting.ts`), as far as a stats line needs it. */
export interface StageAccounting {
  stats: StatsAccumulator;
  goodput: GoodputCounter;
  sent: number;
  cut: number;
  failed: number;
  firstSend: number;
  lastSend: number;
  firstIntended: number;
  lastIntended: number;
}

const HISTOGRAM = { exactCap: 0, precisionBits: DEFAULT_PRECISION_BITS } as const;
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The stats line of a test's accumulators. */
export function scenarioStatsLine(input: {
  suite: string;
  scenario: string;
  index: number;
  sent: number;
  all: StatsAccumulator;
  stages: readonly StageAccounting[];
  cells: ReadonlyMap<string, StatsAccumulator>;
  models: ReadonlyMap<string, StatsAccumulator>;
}): ScenarioStatsLine {
  return {
    kind: 'stats',
    format: 'vitest-llm-d/scenario-stats@1',
    suite: input.suite,
    scenario: input.scenario,
    index: input.index,
    precisionBits: HISTOGRAM.precisionBits,
    sent: input.sent,
    all: input.all.encode(HISTOGRAM),
    stages: input.stages.map((s) => ({
      stats: s.stats.encode(HISTOGRAM),
      goodput: s.goodput.encode(),
      sent: s.sent,
      cut: s.cut,
      failed: s.failed,
      firstSend: finite(s.firstSend),
      lastSend: finite(s.lastSend),
      firstIntended: finite(s.firstIntended),
      lastIntended: finite(s.lastIntended),
    })),
    cells: Object.fromEntries([...input.cells].map(([k, a]) => [k, a.encode(HISTOGRAM)])),
    models: Object.fromEntries([...input.models].map(([k, a]) => [k, a.encode(HISTOGRAM)])),
  };
}

/** Appends a test's line to the run folder's `stats.jsonl`. */
export function appendStatsLine(runDir: string, line: ScenarioStatsLine): void {
  appendFileSync(join(runDir, STATS_FILE), `${JSON.stringify(line)}\n`);
}

/** Adds a stats line's stage into a stage's accounting, its times moved by `shiftMs`. */
export function absorbStage(into: StageAccounting, s: EncodedStage, shiftMs: number): void {
  into.stats.absorb(s.stats, shiftMs);
  into.goodput.absorb(s.goodput);
  into.sent += s.sent;
  into.cut += s.cut;
  into.failed += s.failed;
  if (s.firstSend !== null) into.firstSend = Math.min(into.firstSend, s.firstSend + shiftMs);
  if (s.lastSend !== null) into.lastSend = Math.max(into.lastSend, s.lastSend + shiftMs);
  if (s.firstIntended !== null) into.firstIntended = Math.min(into.firstIntended, s.firstIntended + shiftMs);
  if (s.lastIntended !== null) into.lastIntended = Math.max(into.lastIntended, s.lastIntended + shiftMs);
}
