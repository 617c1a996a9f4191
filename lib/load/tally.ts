import type { ErrorClass, RequestRecord } from '../metrics/record.ts';
import type { RunControl, StageState } from './run-control.ts';
import type { StopRulesConfig } from './run-options.ts';
import type { StopRuleHit } from './stage.ts';

/** Failures that mean the endpoint cannot be reached at all. */
const UNREACHABLE: ReadonlySet<ErrorClass> = new Set(['connect_refused', 'dns', 'tls', 'connect_timeout']);

/**
 * The run's counts as requests finish: measured sends and their span, the latest end, and the
 * failures in a row that say the target is gone; per stage (`StageState`) the sends, cuts and the
 * finished, failed and slow requests the stop rules judge. A rule that fires ends its stage, an
 * unreachable target the run.
 */
export class Tally {
  /** Measured requests sent, and the first and last of their (first) send times. */
  sent = 0;
  firstSend = Infinity;
  lastSend = -Infinity;
  /** When the last request finished. */
  end: number;
  /** Consecutive connection-level failures after which the run stops (the current stage's). */
  unreachableAfter: number;
  private unreachableRun = 0;

  constructor(
    private readonly control: RunControl,
    /** Stop rules applied to every stage, or null. */
    readonly rules: StopRulesConfig | null,
    start: number,
    unreachableAfter: number,
  ) {
    this.end = start;
    this.unreachableAfter = unreachableAfter;
  }

  /** Books a finished request (its last attempt) of stage `st` (null: warm-up). */
  book(r: RequestRecord, st: StageState | null): void {
    if (r.end > this.end) this.end = r.end;
    if (st && r.end > st.end) st.end = r.end;
    const firstSent = r.retries?.[0]?.sent ?? r.sent;
    if (st && firstSent !== null) {
      this.sent++;
      st.sent++;
      if (firstSent < this.firstSend) this.firstSend = firstSent;
      if (firstSent > this.lastSend) this.lastSend = firstSent;
      if (firstSent < st.firstSend) st.firstSend = firstSent;
      if (firstSent > st.lastSend) st.lastSend = firstSent;
    }
    if (st && r.error?.class === 'cut') st.cut++;
    else if (st && r.error?.class !== 'cancelled') {
      st.finished++;
      if (r.error) st.failed++;
      else if (this.rules && overLimit(r, this.rules, r.end)) st.slow++;
      this.checkRules(st, 0);
    }
    this.unreachableRun = r.error && UNREACHABLE.has(r.error.class) ? this.unreachableRun + 1 : 0;
    if (this.unreachableRun >= this.unreachableAfter) {
      this.control.halt(`target unreachable: ${this.unreachableRun} requests in a row failed (${r.error!.message})`);
    }
  }

  /**
   * Counts the requests of `st` still in flight that have run past the p95 rule's limit, and
   * applies the rules with them when there are any (the rule then need not wait for them to end).
   */
  scanInFlight(st: StageState): void {
    const rules = this.rules;
    if (!rules) return;
    let slow = 0;
    const now = performance.now();
    for (const [ex, s] of this.control.inFlight) if (s === st && ex.runningLongerThan(rules.latencyP95Ms, rules.latencyMetric, now)) slow++;
    if (slow > 0) this.checkRules(st, slow);
  }

  /** Applies the stop rules to `st`, counting `slowInFlight` requests still running past the limit; a hit ends the stage. */
  private checkRules(st: StageState, slowInFlight: number): void {
    const rules = this.rules;
    if (!rules || st.stopRule || st.finished + slowInFlight < rules.minRequests) return;
    let hit: StopRuleHit | null = null;
    if (st.finished >= rules.minRequests && st.failed / st.finished > rules.errorRate) {
      hit = {
        rule: 'error_rate',
        detail: `error rate ${pct(st.failed / st.finished)} of ${st.finished} finished requests > ${pct(rules.errorRate)}`,
      };
    } else if ((st.slow + slowInFlight) / (st.finished + slowInFlight) > 0.05) {
      const over = st.slow + slowInFlight;
      hit = {
        rule: 'latency_p95',
        detail: `${rules.latencyMetric} p95 > ${rules.latencyP95Ms / 1000} s: ${over} of ${st.finished + slowInFlight} requests over it` +
          (slowInFlight > 0 ? ` (${slowInFlight} still in flight)` : ''),
      };
    }
    if (!hit) return;
    st.stopRule = hit;
    this.control.endStage(st, `cut: stop rule ${hit.rule} ended the stage`);
  }
}

/** Whether a finished request's watched latency passed the p95 rule's limit. */
function overLimit(r: RequestRecord, rules: StopRulesConfig, endMs: number): boolean {
  if (r.sent === null) return false;
  const until = rules.latencyMetric === 'ttft' ? r.firstChunk : endMs;
  return until !== null && until - r.sent > rules.latencyP95Ms;
}

function pct(x: number): string {
  return `${Number((x * 100).toFixed(1))}%`;
}
