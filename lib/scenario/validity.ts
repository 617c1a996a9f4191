import type { RunStats } from '../metrics/aggregate.ts';
import type { LoadOutcome } from '../load/runner.ts';
import type { Validity } from '../report/model.ts';
import { DEFAULT_MAX_STALLED_SHARE } from '../slo/profile.ts';

/** Share of the scheduled rate an open-loop run must achieve to count as delivered. */
const MIN_ACHIEVED_SHARE = 0.95;

/**
 * Whether the load generator measured truthfully. A run is invalid when the client fell behind
 * its schedule (schedule lag p99 over the limit), when its own event loop stalled long enough to
 * delay chunk timestamps by as much, when an open loop sent at less than 95% of the rate its
 * schedule called for (`offeredRate`: for random arrivals, the rate of the intended times of the
 * requests sent, not the mean rate, which a short window of a Poisson process may miss by chance)
 * rate, when more than `maxStalledShare` of the measured requests overlapped a stall of the
 * measuring thread longer than the lag limit (`RequestRecord.stall`: their timestamps may be late
 * by as much, whatever the percentiles say), or when it stopped before sending everything.
 */
export function assessValidity(
  stats: RunStats,
  outcome: Pick<LoadOutcome, 'eventLoopDelayMs' | 'achievedSendRate' | 'stopped' | 'stalls'>,
  offeredRate: number | null,
  maxLagP99Ms: number,
  maxStalledShare = DEFAULT_MAX_STALLED_SHARE,
): Validity {
  const reasons: string[] = [];
  const lag = stats.latency.schedule_lag.percentiles.p99;
  if (lag !== null && lag !== undefined && lag > maxLagP99Ms) {
    reasons.push(`schedule lag p99 ${lag.toFixed(2)} ms > ${maxLagP99Ms} ms: the client could not keep up with its schedule`);
  }
  const eld = outcome.eventLoopDelayMs.p99;
  if (eld > maxLagP99Ms) {
    reasons.push(`client event loop delayed ${eld.toFixed(1)} ms at p99 (> ${maxLagP99Ms} ms): chunk timestamps may be late by as much`);
  }
  const stalled = stats.requests.stalled ?? 0;
  if (stalled > 0 && stalled > stats.requests.total * maxStalledShare) {
    const longest = outcome.stalls?.longestMs ? `; longest stall ${outcome.stalls.longestMs.toFixed(1)} ms` : '';
    reasons.push(
      `${stalled} of ${stats.requests.total} requests (${pct(stalled / stats.requests.total)} > ${pct(maxStalledShare)}) overlapped a stall of the ` +
        `client longer than ${maxLagP99Ms} ms${longest}: their timestamps may be late by as much`,
    );
  }
  if (offeredRate !== null && outcome.achievedSendRate !== null && outcome.achievedSendRate < offeredRate * MIN_ACHIEVED_SHARE) {
    reasons.push(`achieved ${outcome.achievedSendRate.toFixed(1)} requests/s of ${Number(offeredRate.toPrecision(4))} offered`);
  }
  if (outcome.stopped) reasons.push(`stopped early: ${outcome.stopped}`);
  return { valid: reasons.length === 0, reasons };
}

/**
 * The validity of a whole test from its stages': invalid when any measured stage is (each reason
 * prefixed with the stage's label when there is more than one), or when the run stopped early.
 * `discarded` are stages whose numbers nothing rests on: a capacity search's trials it ran again
 * because the client could not keep up. They stay marked INVALID in the stage table, but the
 * search's finding comes from their reruns, so they do not make the test invalid.
 */
export function testValidity(
  stages: ReadonlyArray<{ label: string; validity: Validity }>,
  stopped: string | null,
  discarded: ReadonlySet<number> = new Set(),
): Validity {
  const counted = stages.filter((_, k) => !discarded.has(k));
  const single = stages.length === 1;
  const reasons = counted.flatMap((s) => s.validity.reasons.map((reason) => (single ? reason : `${s.label}: ${reason}`)));
  if (stopped && !reasons.some((x) => x.includes(stopped))) reasons.push(`stopped early: ${stopped}`);
  return { valid: reasons.length === 0, reasons };
}

/**
 * How to get valid numbers from a test the tool marked invalid because the client fell short
 * (lag, a stalled event loop, an under-delivered rate); null when every reason is a run that
 * stopped early (cancelled, target gone), which no change of load fixes.
 */
export function rerunAdvice(v: Validity): string | null {
  if (v.valid || v.reasons.every((r) => /(^|: )stopped early: /.test(r))) return null;
  return (
    'to rerun validly: the client fell behind, not the server, so send less from this process: fewer requests or a lower ' +
    'rate or concurrency (BENCH_NUM_REQUESTS, BENCH_RATE, BENCH_CONCURRENCY, BENCH_DURATION), run on a quieter machine, ' +
    'or split the load over pods with `npx vitest-llm-d launch <suite> --parallelism N`'
  );
}

function pct(x: number): string {
  return `${Number((x * 100).toPrecision(3))}%`;
}
