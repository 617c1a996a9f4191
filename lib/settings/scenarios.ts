/** Settings that override every scenario's load, data and time limits, and the config suite's. */
import { ARRIVALS } from './setting.ts';
import {
  fraction, kind, nonNegativeInt, oneOf, positiveInt, positiveIntList, positiveNumber, text, timerSeconds, timerSecondsOrZero,
} from './kinds.ts';
import { setting } from './setting.ts';

/** A share from 0 to 1, e.g. `BENCH_MAX_STALLED_SHARE=0.05`. */
const share = kind('number from 0 to 1', (t) => {
  const v = /^\+?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
  return v >= 0 && v <= 1 ? v : undefined;
}, (t) => `expected a share from 0 to 1, got "${t}"`);

const LOAD_SUITES = 'every scenario of every suite (scenario files, `suites/config`)';

/** Scenario overrides. */
export const SCENARIO_SETTINGS = {
  BENCH_NUM_REQUESTS: setting({
    area: 'scenarios', kind: positiveInt, appliesTo: LOAD_SUITES,
    meaning: 'Measured requests of every scenario (`num_requests`).',
  }),
  BENCH_WARMUP_REQUESTS: setting({
    area: 'scenarios', kind: nonNegativeInt, appliesTo: LOAD_SUITES,
    meaning: 'Warm-up requests of every scenario, excluded from statistics (`warmup_requests`).',
  }),
  BENCH_CONCURRENCY: setting({
    area: 'scenarios', kind: positiveIntList, appliesTo: `${LOAD_SUITES}: concurrency, users and sweep loads`,
    meaning: "Closed-loop concurrency, a `users` load's users; a list `1,5,10` sets a sweep's levels.",
  }),
  BENCH_RATE: setting({
    area: 'scenarios', kind: positiveNumber, appliesTo: `${LOAD_SUITES}: constant, poisson and gamma loads`,
    meaning: 'Open-loop rate of single-rate loads, requests per second.',
  }),
  BENCH_DURATION: setting({
    area: 'scenarios', kind: timerSeconds, appliesTo: LOAD_SUITES,
    meaning: 'Time bound of every stage, seconds (`load.duration`, each `load.stages[].duration`).',
  }),
  BENCH_ARRIVALS: setting({
    area: 'scenarios', kind: oneOf(ARRIVALS), appliesTo: `${LOAD_SUITES}: constant and poisson loads`,
    meaning: 'How arrivals are spaced (`load.arrivals`): evenly/Poisson, or as inference-perf sends them.',
  }),
  BENCH_PAUSE: setting({
    area: 'scenarios', kind: timerSecondsOrZero, appliesTo: `${LOAD_SUITES}: staged loads and sweeps`,
    meaning: 'Idle pause between stages, seconds (`load.pause`; 0 for none).',
  }),
  BENCH_MAX_STALLED_SHARE: setting({
    area: 'scenarios', kind: share, appliesTo: LOAD_SUITES, defaultText: '`slo.max_stalled_share`, else 0.01',
    meaning: 'Share of requests that may overlap a stall of the client before a run is invalid.',
  }),
  BENCH_MAX_TOKENS: setting({
    area: 'scenarios', kind: positiveInt, appliesTo: LOAD_SUITES,
    meaning: 'max_tokens of every request (every output length of the data).',
  }),
  BENCH_TEST_TIMEOUT_S: setting({
    area: 'scenarios', kind: timerSeconds, appliesTo: 'every test (vitest.config.ts); wins over `harness.wait_timeout`', default: 1800,
    meaning: 'Per-test timeout, seconds.',
  }),
  BENCH_CONFIG: setting({
    area: 'scenarios', kind: text('path'), appliesTo: '`suites/config`, `vitest-llm-d check`', defaultText: 'the bundled example, on the embedded simulator',
    meaning: 'A well-lit-path `config.yaml`, harness matrix or inference-perf config to run.',
  }),
  BENCH_PRE_WORKLOAD: setting({
    area: 'scenarios', kind: text('shell command'), appliesTo: '`suites/config`', defaultText: 'the file\'s `hooks.pre_workload`',
    meaning: 'Shell command run before each workload, replacing the file\'s hook.',
  }),
  BENCH_POST_WORKLOAD: setting({
    area: 'scenarios', kind: text('shell command'), appliesTo: '`suites/config`', defaultText: 'the file\'s `hooks.post_workload`',
    meaning: 'Shell command run after each workload, replacing the file\'s hook.',
  }),
  BENCH_RERUN: setting({
    area: 'scenarios', kind: text('path'), appliesTo: 'every suite (set by `vitest-llm-d rerun` and in `launch` pods)', setByTool: true,
    meaning: 'A run folder whose `config.yaml` scenarios run instead of the scenario files\'.',
  }),
};

/** The prefix-cache suite's checks. */
export const PREFIX_CACHE_SETTINGS = {
  BENCH_METRICS_URL: setting({
    area: 'prefix cache', kind: text('http(s) URLs, comma-separated'), appliesTo: '`suites/prefix-cache`', defaultText: "the target's `/metrics`",
    meaning: "The model servers' `/metrics` read for the prefix-cache hit rate.",
  }),
  BENCH_PREFIX_TTFT_RATIO: setting({
    area: 'prefix cache', kind: positiveNumber, appliesTo: '`suites/prefix-cache`', defaultText: 'the suite\'s threshold',
    meaning: 'Largest allowed warm p95 TTFT / cold p50 TTFT.',
  }),
  BENCH_PREFIX_MIN_HIT_RATE: setting({
    area: 'prefix cache', kind: fraction, appliesTo: '`suites/prefix-cache`', defaultText: 'the suite\'s threshold',
    meaning: "Smallest allowed server-side prefix-cache hit rate.",
  }),
};
