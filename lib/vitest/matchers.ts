import { BenchResult, type SloSpec } from '../scenario/bench-result.ts';
import { formatEvaluation } from '../slo/evaluate.ts';

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * `expect(result).toMeetSLO(spec?)`: passes when every limit of the SLO holds, the success rate
 * is above its floor and the client kept up with its schedule. The failure message lists every
 * check with its value, limit and verdict, and says when the numbers came from the simulator.
 */
export function toMeetSLO(received: unknown, spec?: SloSpec): MatcherResult {
  if (!(received instanceof BenchResult)) {
    return { pass: false, message: () => 'toMeetSLO expects the result of `await bench.run(...)`' };
  }
  const evaluations = received.evaluate(spec);
  const r = received.report;
  const pass = evaluations.every((e) => e.pass);
  return {
    pass,
    message: () => {
      const head = `${r.suite}/${r.scenario} on ${r.target.kind === 'simulator' ? 'the SIMULATOR' : r.target.baseUrl} (${r.target.model})`;
      const lines = [`${head}: SLO ${pass ? 'met' : 'not met'}`, ...evaluations.map(formatEvaluation)];
      if (!r.validity.valid) lines.push(`run invalid: ${r.validity.reasons.join('; ')}`);
      const errors = Object.entries(r.stats.errors).map(([k, v]) => `${k} x${v.count} (${v.example})`);
      if (errors.length) lines.push(`failures: ${errors.join('; ')}`);
      return lines.join('\n');
    },
  };
}

/** The matchers this plugin adds to Vitest's `expect`. */
export const matchers = { toMeetSLO };
