/**
 * A harness matrix → one scenario per `[input, output]` pair, each a concurrency sweep over every
 * level (`<name>.isl<input>_osl<output>`). A sweep per pair reports each level and the knee of
 * that pair (the level past which more concurrency buys little throughput), which is the question
 * a matrix asks; every level of a pair sends the same number of requests.
 */
import type { ConfigOverride } from '../env.ts';
import { DEFAULT_TIMEOUTS } from '../schema/timeouts.ts';
import type { MatrixEntry } from './matrix-schema.ts';
import type { TranslatedScenario } from './translate-workload.ts';

/** Requests per unit of the largest concurrency level when the matrix gives no `num_requests` (InferenceMAX's 10 prompts per unit). */
export const PROMPTS_PER_CONCURRENCY = 10;

/**
 * Translates a matrix named `name`, found at `origin` (`workload.<name>`, or `''` for a matrix
 * written at the file's top level).
 */
export function translateMatrix(name: string, m: MatrixEntry, origin: string, source: string): TranslatedScenario[] {
  const numRequests = m.num_requests ?? PROMPTS_PER_CONCURRENCY * Math.max(...m.concurrency);
  const notes: ConfigOverride[] =
    m.num_requests === undefined
      ? [
          {
            path: origin ? `${origin}.num_requests` : 'num_requests',
            value: numRequests,
            source: `${source}: not given: ${PROMPTS_PER_CONCURRENCY} per unit of the largest concurrency level, at every level (BENCH_NUM_REQUESTS overrides)`,
          },
        ]
      : [];
  return m.isl_osl.map(([isl, osl]) => ({
    name: `${name}.isl${isl}_osl${osl}`,
    origin,
    scenario: {
      description: `harness matrix ${name} of ${source}: ${isl} input / ${osl} output tokens at concurrency ${m.concurrency.join(', ')}`,
      api: m.endpoint_type ?? 'completions',
      stream: m.streaming ?? true,
      num_requests: numRequests,
      // Every level runs, whatever its latency (a 1k-output pair takes over 10 s per request on most
      // hardware, which the default stop rules would take for an overload), and its requests are
      // awaited until they finish or time out.
      stop: false,
      load: { type: 'sweep', concurrency: m.concurrency, drain_timeout: DEFAULT_TIMEOUTS.total_s, ...(m.duration === undefined ? {} : { duration: m.duration }) },
      data: { type: 'isl_osl', pairs: [[isl, osl]] },
    },
    notes,
  }));
}
