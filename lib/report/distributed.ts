/**
 * The report section of a distributed run (`vitest-llm-d launch`): one pod's share, or the
 * merge of every pod's records (`lib/distributed/merge-scenario.ts`).
 */
import type { Validity } from './slo.ts';

/** One pod of a distributed run as the merged report names it. */
export interface DistributedPod {
  /** Completion index in the Job (0-based). */
  index: number;
  pod: string | null;
  node: string | null;
  /** Its share of the load (`shareOf`'s description). */
  share: string;
  /** Measured requests it recorded (warm-up and cut ones excluded). */
  requests: number;
  /** Its wall clock minus pod 0's, ms, as measured against pod 0's coordinator; with the measurement's bound (half the best round trip). */
  clockOffsetMs: number | null;
  clockBoundMs: number | null;
  /** Its own validity: did it keep up with its schedule (schedule lag p99) and start every stage with the others. */
  validity: Validity & { scheduleLagP99Ms: number | null };
  /** Why it did not finish its share (failed, evicted, killed), when it did not. */
  incomplete: string | null;
  /**
   * Where its part of the statistics came from: `records` (its raw records, exact) or
   * `histograms` (its encoded histograms, `stats.jsonl`, because its records did not arrive intact).
   */
  source: 'records' | 'histograms';
  /** Why its records were not used (`source: histograms`), or were incomplete with nothing to replace them; null when they arrived intact. */
  lost: string | null;
}

/**
 * How a distributed test was made. `role: pod` is one pod's share (in that pod's own run folder);
 * `role: merged` is the report built from every pod's records: its statistics are those of one
 * process that had made the same requests (exact: every record is merged, none summarised), or,
 * for a pod whose records did not arrive intact, from its encoded histograms (bound stated).
 */
export interface DistributedReport {
  role: 'pod' | 'merged';
  /** Pods the load was split across (1 for a search load, which runs whole in pod 0). */
  parallelism: number;
  /** The Job's parallelism (pods launched), which a search load does not use. */
  launched: number;
  pods: DistributedPod[];
  /** Shares no pod reported records for, with why. */
  missing: Array<{ index: number; share: string; reason: string }>;
  /** Some share is missing or incomplete: the statistics cover what was reported. */
  partial: boolean;
  /**
   * `records`: every pod's raw records merged (exact). `records+histograms`: some pod's records
   * did not arrive intact and its encoded histograms were merged instead: percentiles within
   * `relativeError`, counts, means, windows and throughputs exact; per-request outputs (the
   * merged `requests.jsonl`, time series) cover the pods whose records arrived.
   */
  source: 'records' | 'records+histograms';
  /** With `records+histograms`: every percentile's relative error bound (2^-(precisionBits + 1)); else null. */
  relativeError: number | null;
  /** Stage starts per pod: how far apart the pods started each stage (max - min of their starts, ms). */
  stageStartSpreadMs: number[];
}
