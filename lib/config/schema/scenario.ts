/**
 * Scenario files (`suites/<suite>/<suite>.yaml`): named scenarios, each a load shape, a data
 * source, a request count and the SLO it must meet, plus the file's own SLO profiles.
 */
import { z } from 'zod';
import { didYouMean } from '../closest-name.ts';
import { DataSchema } from './data.ts';
import { timerSeconds } from './timer-limit.ts';
import { LoadSchema, loadHasDuration } from './load.ts';
import { SimulatorSectionSchema } from './simulator.ts';
import { SLO_PRESET_NAMES, SloProfileDefSchema, SloSpecSchema } from './slo.ts';
import { ApiSchema, NAME_PATTERN } from './target.ts';
import { LimitOverridesSchema } from './limits.ts';
import { TimeoutOverridesSchema } from './timeouts.ts';

/**
 * When a stage (and with it a sweep, ramp or staged run) stops early: the share of failed
 * requests passes `error_rate`, or the 95th percentile of `latency_metric` passes `latency_p95_s`.
 * The p95 rule also counts requests still in flight that have already run longer than the limit,
 * so an overloaded server cannot hide behind requests that never finish.
 */
export const StopRulesSchema = z
  .union([
    z.literal(false).describe('No stop rules.'),
    z.strictObject({
      error_rate: z
        .number()
        .gt(0)
        .max(1)
        .default(0.05)
        .describe('Stop when failed / finished requests of the stage passes this (0..1, default 0.05).'),
      latency_p95_s: z
        .number()
        .positive()
        .default(10)
        .describe('Stop when the p95 of latency_metric passes this many seconds (default 10).'),
      latency_metric: z
        .enum(['e2e', 'ttft'])
        .default('e2e')
        .describe('Latency the p95 rule watches: e2e (end - sent, default) or ttft (first chunk - sent).'),
      min_requests: z
        .number()
        .int()
        .min(1)
        .default(20)
        .describe('Requests of a stage that must have finished before the rules are applied (default 20).'),
    }),
  ])
  .describe(
    'Stop rules: `false` for none, or limits (defaults: error_rate 0.05, latency_p95_s 10). On by default for sweeps, ramps, searches and staged loads; off for single-stage loads unless set.',
  );

/** Stop rules with defaults filled in, or false. */
export type StopRules = z.output<typeof StopRulesSchema>;

/** Failure keys a retry policy may name: an HTTP status as `http_<code>`, or a transport class. */
const RETRY_KEY = /^(http_[1-5]\d\d|connect_refused|connect_reset|connect_timeout|first_token_timeout|stream_cut|empty_completion)$/;

/**
 * Retries with exponential backoff for routing errors: the failures a gateway returns while it
 * cannot route a request yet (a pool scaling up: 503; a model not routed yet: 404; rate limited:
 * 429). The last attempt's times are the request's; `intended` stays the first, so TTFT and E2E
 * from intended include every retry. Reports count retries by failure, recovered and exhausted.
 */
export const RetrySchema = z
  .strictObject({
    on: z
      .array(z.string().regex(RETRY_KEY, 'expected http_<status> (e.g. http_503) or a transport class (connect_refused, connect_reset, connect_timeout, first_token_timeout, stream_cut, empty_completion)'))
      .min(1)
      .default(['http_404', 'http_429', 'http_502', 'http_503', 'http_504'])
      .describe('Failures that are retried, by key (default http_404, http_429, http_502, http_503, http_504).'),
    max_attempts: z.number().int().min(2).default(5).describe('Attempts in all, the first included (integer >= 2, default 5).'),
    backoff_s: timerSeconds(z.number().positive()).default(0.1).describe('Wait before the first retry, seconds (default 0.1); doubled (multiplier) each retry.'),
    max_backoff_s: timerSeconds(z.number().positive()).default(5).describe("Longest wait between attempts, seconds (default 5); a 429/503's Retry-After is waited instead of the backoff, up to this."),
    multiplier: z.number().min(1).default(2).describe('Growth of the wait per retry (>= 1, default 2).'),
    jitter: z.number().min(0).max(1).default(0.2).describe('Relative jitter of each wait, 0-1 (default 0.2): the wait is scaled by a factor in [1 - jitter, 1 + jitter].'),
  })
  .describe('Retry policy for routing errors (exponential backoff).');

/** A retry policy with defaults filled in. */
export type Retry = z.output<typeof RetrySchema>;


/** A metric key of the regression gate: `ttft.p95`, `e2e.mean`, `tpot` (all its statistics), `throughput`, `success_rate`. */
const REGRESSION_METRIC = /^(?:(?:ttft|tpot|itl|e2e)(?:\.(?:mean|p\d+(?:_\d+)?))?|throughput|success_rate)$/;

/** How `BENCH_BASELINE` judges this scenario against its baseline. `BENCH_BASELINE_TOLERANCE` overrides it. */
export const RegressionSchema = z
  .strictObject({
    tolerance: z
      .number()
      .positive()
      .max(10)
      .optional()
      .describe('Allowed relative worsening before a significant change is a regression (default 0.10 = 10%; success_rate: absolute points, default 0.01).'),
    metrics: z
      .record(z.string().regex(REGRESSION_METRIC, 'expected ttft|tpot|itl|e2e (optionally .p50/.p95/.p99/.mean), throughput or success_rate'), z.number().positive().max(10))
      .optional()
      .describe('Tolerance per metric, e.g. { ttft.p95: 0.2, e2e: 0.15 }; the most specific key wins.'),
    confidence: z.number().gt(0.5).lt(1).optional().describe('Confidence level of the bootstrap interval (default 0.95).'),
  })
  .describe('Regression gate against BENCH_BASELINE: a metric fails when it is worse by more than its tolerance and the bootstrap confidence interval of the change excludes zero.');

/** One scenario: what to send, how fast, how many, and what it must meet. */
export const ScenarioSchema = z
  .strictObject({
    description: z.string().optional().describe('What the scenario measures, shown in reports.'),
    api: ApiSchema.optional().describe("OpenAI API to use: completions or chat (default: the target's api)."),
    stream: z.boolean().default(true).describe('Stream responses (default true); TTFT, TPOT and ITL need streaming.'),
    num_requests: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Measured requests per stage (integer >= 1), sent after the warm-up: the whole run for single-stage loads, each level of a sweep, each trial of a search. May be left out when the load has a duration. Override with BENCH_NUM_REQUESTS.',
      ),
    warmup_requests: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'Requests sent first and excluded from statistics and the measurement window (integer >= 0, default 0). Override with BENCH_WARMUP_REQUESTS.',
      ),
    load: LoadSchema,
    stop: StopRulesSchema.optional(),
    models: z
      .union([z.literal('served'), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe(
        "Models to send to, in turn (request i asks for model i mod n): a list, or `served` for every model the target lists at /v1/models. Default: the target's model. Reports break statistics down by model.",
      ),
    retry: RetrySchema.optional(),
    data: DataSchema,
    slo: SloSpecSchema.optional(),
    regression: RegressionSchema.optional(),
    timeouts: TimeoutOverridesSchema.optional().describe(
      "Per-request time limits in seconds for this scenario; unset fields keep the target's or the defaults.",
    ),
    definitions: z
      .enum(['vitest-llm-d', 'vllm'], { error: 'expected vitest-llm-d or vllm' })
      .default('vitest-llm-d')
      .describe(
        "Where TTFT, TPOT, ITL and E2E start and stop (README \"Metric dictionary\"): vitest-llm-d (default) from the request's write to the first content chunk and the end of the response; vllm as `vllm bench serve` computes them (from the hand-off to the HTTP client, connection setup included, to the first and last chunk carrying a choice), so its numbers can be reproduced. Goodput and SLOs use the same definitions.",
      ),
    limits: LimitOverridesSchema.optional().describe(
      "Response size limits in MiB for this scenario; unset fields keep the target's or the defaults (BENCH_MAX_RESPONSE_MIB and BENCH_MAX_EVENT_MIB override both).",
    ),
  })
  .superRefine((scenario, ctx) => {
    if (scenario.load.type === 'trace' && scenario.data.type !== 'trace') {
      ctx.addIssue({ code: 'custom', path: ['load', 'type'], message: `a trace load needs data.type: trace (its requests' timestamps), got data.type: ${scenario.data.type}` });
    }
    if (scenario.num_requests === undefined && !loadHasDuration(scenario.load)) {
      ctx.addIssue({
        code: 'custom',
        path: ['num_requests'],
        message: `a ${scenario.load.type} load without a duration needs num_requests (requests per stage); set one or both`,
      });
    }
  })
  .describe('One benchmark scenario.');

/** A scenario's regression gate settings. */
export type Regression = z.output<typeof RegressionSchema>;

/** One scenario, defaults filled in. */
export type Scenario = z.output<typeof ScenarioSchema>;

/**
 * Server-side metrics read over each test's window (`lib/prom/run-metrics.ts`): which default
 * sets, and extra PromQL metrics. With no Prometheus configured, the target's `/metrics` is
 * scraped instead and extra metrics are reported missing.
 */
export const MetricsSectionSchema = z
  .strictObject({
    sets: z
      .array(z.enum(['gpu', 'vllm', 'controller'], { error: 'expected gpu, vllm or controller' }))
      .optional()
      .describe('Default metric sets to read, from gpu (DCGM), vllm and controller (dual-pods actuation); default all three. [] reads only `extra`.'),
    extra: z
      .array(
        z.strictObject({
          name: z
            .string()
            .regex(/^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z0-9_]+)*$/, 'expected a dotted name like gpu.temperatureC or app.queueDepth')
            .describe('Name in reports and for `result.serverMetrics.metric(name)`, dotted (e.g. gpu.temperatureC).'),
          unit: z.string().min(1).describe('Unit of its values, e.g. %, MiB, W, requests, ratio, 1/s, s.'),
          query: z
            .string()
            .min(1)
            .describe('PromQL; may use $filters (the run\'s label matchers, inside {...}), $exported_filters, $rate and $window.'),
        }),
      )
      .optional()
      .describe('Extra PromQL metrics, read from Prometheus after the default sets.'),
  })
  .describe('Server metrics (GPU, vLLM, controller) read over each test\'s window from Prometheus, or scraped from the target without one.');

/** The `metrics:` section of a scenario file. */
export type MetricsSection = z.output<typeof MetricsSectionSchema>;

/** A scenario file: at least one named scenario, and optional custom SLO profiles. */
export const ScenarioFileSchema = z
  .strictObject({
    scenarios: z
      .record(z.string().regex(NAME_PATTERN, 'scenario names must contain only letters, digits, ".", "_" and "-"'), ScenarioSchema)
      .describe('Scenarios by name (letters, digits, ".", "_", "-"); suites run them by name.'),
    slo_profiles: z
      .record(z.string().regex(NAME_PATTERN, 'profile names must contain only letters, digits, ".", "_" and "-"'), SloProfileDefSchema)
      .optional()
      .describe("Custom SLO profiles by name, usable as a scenario's slo.profile. Preset names cannot be reused."),
    metrics: MetricsSectionSchema.optional(),
    simulator: SimulatorSectionSchema.optional().describe(
      "Settings of the embedded simulator for this suite (e.g. the models a multi-model gateway serves), used only when nothing else chooses the target: a targets file's target or BENCH_BASE_URL replaces the simulator, and a targets file's own simulator settings win.",
    ),
  })
  .superRefine((file, ctx) => {
    if (Object.keys(file.scenarios).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['scenarios'], message: 'expected at least one scenario' });
    }
    const custom = Object.keys(file.slo_profiles ?? {});
    const presets: readonly string[] = SLO_PRESET_NAMES;
    for (const name of custom) {
      if (presets.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['slo_profiles', name],
          message: `"${name}" is a preset name; give the custom profile another name`,
        });
      }
    }
    for (const [name, scenario] of Object.entries(file.scenarios)) {
      const profile = scenario.slo?.profile;
      if (profile === undefined || presets.includes(profile) || custom.includes(profile)) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['scenarios', name, 'slo', 'profile'],
        message:
          `unknown SLO profile "${profile}"${didYouMean(profile, [...custom, ...presets])}; ` +
          `use a preset (${presets.join(', ')})${custom.length > 0 ? ` or one of slo_profiles (${custom.join(', ')})` : ' or define it under slo_profiles'}`,
      });
    }
  })
  .describe('A scenario file: scenarios by name and optional custom SLO profiles.');

/** A validated scenario file. */
export type ScenarioFile = z.output<typeof ScenarioFileSchema>;
