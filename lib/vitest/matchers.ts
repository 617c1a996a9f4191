import { ActuationResult, formatChecks, type ActuationSlo } from '../actuation/result.ts';
import { BenchResult, type SloSpec } from '../scenario/bench-result.ts';
import { rerunAdvice } from '../scenario/validity.ts';
import { formatEvaluation } from '../slo/evaluate.ts';
import { scrub } from '../config/secrets.ts';
import { escapeControl } from '../http/server-text.ts';

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * `expect(result).toMeetSLO(spec?)`: passes when every limit of the SLO that the run could measure
 * holds, the success rate is above its floor, and the test's numbers are valid: the client kept up
 * in every measured stage (one policy for single- and multi-stage runs, also when a stage is
 * judged alone). A limit the run could not measure (TTFT of a non-streaming run) is listed as not
 * judged and neither passes nor fails. The message lists every check with its value, limit and
 * verdict, says when the numbers came from the simulator, and for an invalid run gives the
 * reasons after `run invalid: ` and how to rerun.
 */
export function toMeetSLO(received: unknown, spec?: SloSpec | ActuationSlo): MatcherResult {
  if (received instanceof ActuationResult) return actuationSlo(received, spec);
  if (!(received instanceof BenchResult)) {
    return { pass: false, message: () => 'toMeetSLO expects the result of `await bench.run(...)` or `await actuation.run(...)`' };
  }
  if (spec !== undefined && typeof spec !== 'string' && !isLatencySlo(spec)) {
    return { pass: false, message: () => 'toMeetSLO: actuation limits (hotP95Seconds, hitRateMin, ...) apply to actuation results only' };
  }
  const evaluations = received.evaluate(spec);
  const r = received.report;
  const validity = received.validity;
  const limitsHold = evaluations.every((e) => e.pass);
  const pass = limitsHold && validity.valid;
  return {
    pass,
    message: () => {
      const head = `${r.suite}/${r.scenario} on ${r.target.kind === 'simulator' ? 'the SIMULATOR' : r.target.baseUrl} (${r.target.model})`;
      const verdict = pass ? 'SLO met' : limitsHold ? 'SLO not met: its limits hold but the measurement is invalid' : 'SLO not met';
      const lines = [`${head}: ${verdict}`, ...evaluations.map(formatEvaluation)];
      if (!validity.valid) {
        lines.push(`run invalid: ${validity.reasons.join('; ')}`);
        const advice = rerunAdvice(validity);
        if (advice) lines.push(`  ${advice}`);
      }
      const errors = Object.entries(r.stats.errors).map(([k, v]) => `${k} x${v.count} (${v.example})`);
      if (errors.length) lines.push(`failures: ${errors.join('; ')}`);
      return lines.join('\n');
    },
  };
}

const ACTUATION_KEYS = new Set(['hotP95Seconds', 'warmP95Seconds', 'coldP95Seconds', 'coldLauncherP95Seconds', 'totalP95Seconds', 'hitRateMin', 'readyRateMin']);

function isLatencySlo(spec: SloSpec | ActuationSlo): spec is SloSpec {
  return typeof spec === 'string' || !Object.keys(spec).some((k) => ACTUATION_KEYS.has(k));
}

/**
 * `expect(actuation).toMeetSLO({ hotP95Seconds: 2, hitRateMin: 0.9 })`: every given limit holds
 * and every requester became Ready in time (`readyRateMin`, default 1). Without a spec, the
 * scenario's configured `slo`.
 */
function actuationSlo(received: ActuationResult, spec: SloSpec | ActuationSlo | undefined): MatcherResult {
  if (typeof spec === 'string' || (spec && !Object.keys(spec).every((k) => ACTUATION_KEYS.has(k)))) {
    const bad = typeof spec === 'string' ? spec : Object.keys(spec!).filter((k) => !ACTUATION_KEYS.has(k)).join(', ');
    return { pass: false, message: () => `toMeetSLO on an actuation result takes ${[...ACTUATION_KEYS].join(', ')}; got ${bad}` };
  }
  const checks = received.evaluate((spec as ActuationSlo | undefined) ?? received.configuredSlo);
  const pass = checks.every((c) => c.pass);
  const where = received.clusterKind === 'simulator' ? 'the SIMULATOR' : 'the cluster';
  return { pass, message: () => `${received.suite}/${received.scenario} on ${where}: actuation SLO ${pass ? 'met' : 'not met'}\n${formatChecks(checks)}` };
}

/**
 * `expect(result).toNotRegress()`: with `BENCH_BASELINE` set, no metric of the test is a
 * regression against the baseline (worse beyond its tolerance, and the bootstrap confidence
 * interval of the change excludes zero), and the baseline was usable. Without a baseline it passes
 * (there is nothing to regress from). `bench.run` applies it to every test as a soft assertion.
 */
export function toNotRegress(received: unknown): MatcherResult {
  if (!(received instanceof BenchResult)) return { pass: false, message: () => 'toNotRegress expects the result of `await bench.run(...)`' };
  const r = received.report;
  const b = r.baseline;
  const where = `${r.suite}/${r.scenario}`;
  if (!b) return { pass: true, message: () => `${where}: no baseline (set BENCH_BASELINE to a run folder to compare with)` };
  if (b.error) return { pass: false, message: () => `${where}: baseline not usable: ${b.error}` };
  return {
    pass: b.message === null,
    message: () => (b.message ? `${where} regressed against ${b.source}:\n${b.message}` : `${where}: no regression against ${b.source}`),
  };
}

/**
 * A matcher whose message Vitest prints as it is: it names the model and quotes server errors, so
 * it is scrubbed of the run's secrets and has its control characters escaped.
 */
function shown<A extends unknown[]>(matcher: (received: unknown, ...args: A) => MatcherResult): (received: unknown, ...args: A) => MatcherResult {
  return (received, ...args) => {
    const r = matcher(received, ...args);
    return { pass: r.pass, message: () => escapeControl(scrub(r.message())) };
  };
}

/** The matchers this plugin adds to Vitest's `expect`. */
export const matchers = { toMeetSLO: shown(toMeetSLO), toNotRegress: shown(toNotRegress) };
