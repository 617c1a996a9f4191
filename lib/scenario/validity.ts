import type { RunStats } from '../metrics/aggregate.ts';
import type { LoadOutcome } from '../load/runner.ts';
import type { Validity } from '../report/model.ts';

/** Share of the scheduled rate an open-loop run must achieve to count as delivered. */
const MIN_ACHIEVED_SHARE = 0.95;

/**
 * Whether the load generator measured truthfully. A run is invalid when the client fell behind
 * its schedule (schedule lag p99 over the limit), when its own event loop stalled long enough to
 * delay chunk timestamps by as much, when an open loop sent at less than 95% of the rate its
 * schedule called for (`offeredRate`: for random arrivals, the rate of the intended times of the
 * requests sent, not the mean rate, which a short window of a Poisson process may miss by chance)
 * rate, or when it stopped before sending everything.
 */
export function assessValidity(
  stats: RunStats,
  outcome: Pick<LoadOutcome, 'eventLoopDelayMs' | 'achievedSendRate' | 'stopped'>,
  offeredRate: number | null,
  maxLagP99Ms: number,
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
  if (offeredRate !== null && outcome.achievedSendRate !== null && outcome.achievedSendRate < offeredRate * MIN_ACHIEVED_SHARE) {
    reasons.push(`achieved ${outcome.achievedSendRate.toFixed(1)} requests/s of ${Number(offeredRate.toPrecision(4))} offered`);
  }
  if (outcome.stopped) reasons.push(`stopped early: ${outcome.stopped}`);
  return { valid: reasons.length === 0, reasons };
}
