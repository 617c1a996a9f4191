import { DEFAULT_MAX_SCHEDULE_LAG_P99_MS, DEFAULT_MIN_SUCCESS_RATE } from '../config/schema/slo.ts';
import type { LatencyMetric } from '../metrics/aggregate.ts';

/** One latency limit: `stat` of `metric` must be at most `max` (in `unit`). */
export interface SloLimit {
  metric: LatencyMetric;
  /** `mean`, `max`, or a percentile key (`p95`, `p99_9`). */
  stat: string;
  max: number;
  unit: 'ms' | 's';
}

/** A named set of latency limits. */
export interface SloProfile {
  name: string;
  description: string;
  /** Where the numbers come from. */
  source: string;
  limits: SloLimit[];
}

/**
 * Metrics only a streamed response can measure: they need the first content chunk's time or the
 * gaps between chunks. A non-streamed response arrives whole, so a limit on one of them cannot be
 * judged on a non-streaming run (E2E, NTPOT, throughput and success rate can).
 */
export const STREAMED_ONLY: ReadonlySet<LatencyMetric> = new Set<LatencyMetric>(['ttft', 'ttft_from_intended', 'tpot', 'itl']);

/** What a limit on a streamed-only metric is reported as on a non-streaming run. */
export const NOT_MEASURABLE_NON_STREAMING = 'not measurable: non-streaming';

/** Run-level floors that apply with every profile. */
export interface SloFloors {
  /** Successful / total measured requests must be at least this. */
  minSuccessRate: number;
  /** The client must have kept up: schedule lag p99 at most this (ms), or the run is invalid. */
  maxScheduleLagP99Ms: number;
  /**
   * Largest share of measured requests (0 to 1) that may overlap a stall of the measuring thread
   * longer than `maxScheduleLagP99Ms`; above it the run is invalid. Default `DEFAULT_MAX_STALLED_SHARE`.
   */
  maxStalledShare?: number;
}

/** Share of stalled requests above which a run is invalid, when the scenario sets none: 1%. */
export const DEFAULT_MAX_STALLED_SHARE = 0.01;

/** Floors used when the scenario sets none: 95% success (a testing floor) and 10 ms lag p99. */
export const DEFAULT_FLOORS: SloFloors = { minSuccessRate: DEFAULT_MIN_SUCCESS_RATE, maxScheduleLagP99Ms: DEFAULT_MAX_SCHEDULE_LAG_P99_MS };

const ms = (metric: LatencyMetric, stat: string, max: number): SloLimit => ({ metric, stat, max, unit: 'ms' });

const MLPERF_SOURCE = 'MLPerf Inference loadgen/mlperf.conf, Server scenario (p99; latency from the scheduled time)';

/** MLPerf Inference server presets: TTFT and TPOT at p99, TTFT from the intended (scheduled) time as LoadGen measures it. */
const MLPERF_SERVER: ReadonlyArray<readonly [string, number, number]> = [
  ['llama2-70b', 2000, 200],
  ['llama2-70b-interactive', 450, 40],
  ['mixtral-8x7b', 2000, 200],
  ['llama3.1-405b', 6000, 175],
  ['llama3.1-405b-interactive', 4500, 80],
  ['llama3.1-8b', 2000, 100],
  ['llama3.1-8b-interactive', 500, 30],
  ['deepseek-r1', 2000, 80],
  ['deepseek-r1-interactive', 1500, 15],
  ['gpt-oss-120b', 3000, 80],
  ['gpt-oss-120b-interactive', 2000, 15],
];

/**
 * Built-in profiles. `mlperf-standard` and `mlperf-interactive` are the original benchmark
 * suite's p95 profiles (TTFT from the send time; in a closed loop that equals TTFT from the
 * intended time). The `mlperf-<model>` presets are MLPerf Inference's server constraints at p99.
 */
export const SLO_PRESETS: Record<string, SloProfile> = {
  'mlperf-standard': {
    name: 'mlperf-standard',
    description: 'MLPerf standard: TTFT p95 <= 2 s, TPOT p95 <= 100 ms',
    source: 'vitest-llm-d DESIGN.md (MLPerf-derived standard profile)',
    limits: [ms('ttft', 'p95', 2000), ms('tpot', 'p95', 100)],
  },
  'mlperf-interactive': {
    name: 'mlperf-interactive',
    description: 'MLPerf interactive: TTFT p95 <= 500 ms, TPOT p95 <= 30 ms',
    source: 'vitest-llm-d DESIGN.md (MLPerf-derived interactive profile)',
    limits: [ms('ttft', 'p95', 500), ms('tpot', 'p95', 30)],
  },
  ...Object.fromEntries(
    MLPERF_SERVER.map(([model, ttft, tpot]) => [
      `mlperf-${model}`,
      {
        name: `mlperf-${model}`,
        description: `MLPerf Inference ${model} server: TTFT p99 <= ${ttft} ms, TPOT p99 <= ${tpot} ms`,
        source: MLPERF_SOURCE,
        limits: [ms('ttft_from_intended', 'p99', ttft), ms('tpot', 'p99', tpot)],
      },
    ]),
  ),
};
