import { describe, expect, test } from 'vitest';
import { validateConfig } from '../../lib/config/format-issues.ts';
import { DATA_TYPES, DataSchema } from '../../lib/config/schema/data.ts';
import { LOAD_TYPES, LoadSchema } from '../../lib/config/schema/load.ts';
import { ScenarioFileSchema } from '../../lib/config/schema/scenario.ts';
import { parseLimitKey, SLO_PRESET_NAMES, SloSpecSchema } from '../../lib/config/schema/slo.ts';
import { configErrorOf } from './config-error-of.ts';

const base = {
  num_requests: 10,
  load: { type: 'concurrency', concurrency: 2 },
  data: { type: 'synthetic', prompt_tokens: 100, max_tokens: 50 },
};
const file = (scenario: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  validateConfig(ScenarioFileSchema, { ...extra, scenarios: { quick_validation: { ...base, ...scenario } } }, { source: 's.yaml' });
const errorFor = (scenario: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  configErrorOf(() => file(scenario, extra));

describe('load', () => {
  test('the type literals are the registry keys, in order', () => {
    expect(LOAD_TYPES).toEqual(['concurrency', 'constant', 'poisson', 'gamma', 'sweep', 'users', 'search', 'trace']);
  });

  test('constant load: rate > 0, max_in_flight defaults to 1000', () => {
    expect(LoadSchema.parse({ type: 'constant', rate: 2.5 })).toEqual({ type: 'constant', rate: 2.5, max_in_flight: 1000, drain_timeout: 30 });
    expect(errorFor({ load: { type: 'constant', rate: 0 } })).toBe(
      's.yaml: scenarios.quick_validation.load.rate: expected a positive number, got 0',
    );
  });

  test('concurrency must be an integer >= 1', () => {
    expect(errorFor({ load: { type: 'concurrency', concurrency: 0 } })).toBe(
      's.yaml: scenarios.quick_validation.load.concurrency: expected an integer >= 1, got 0',
    );
  });

  test('an unknown or missing type lists the types, suggesting the closest', () => {
    expect(errorFor({ load: { type: 'constnat', rate: 1 } })).toBe(
      's.yaml: scenarios.quick_validation.load.type: expected one of "concurrency", "constant", "poisson", "gamma", "sweep", "users", "search", "trace", got "constnat" (did you mean "constant"?)',
    );
    expect(errorFor({ load: { tpye: 'constant', rate: 1 } })).toBe(
      's.yaml: scenarios.quick_validation.load.type: required: one of "concurrency", "constant", "poisson", "gamma", "sweep", "users", "search", "trace" (found unknown key "tpye": did you mean "type"?)',
    );
  });

  test('keys of another load type are unknown keys', () => {
    expect(errorFor({ load: { type: 'concurrency', concurrency: 2, rate: 3 } })).toBe(
      's.yaml: scenarios.quick_validation.load: unknown key "rate"',
    );
  });
});

describe('data', () => {
  test('the type literals are the registry keys', () => {
    expect(DATA_TYPES).toEqual(['synthetic', 'isl_osl', 'mix', 'random', 'shared_prefix', 'sharegpt', 'conversations', 'trace']);
  });

  test('random: distributions are checked with the path of the bad value', () => {
    const dist = { min: 10, max: 100, mean: 50, std: 20 };
    const random = (over: Record<string, unknown>) => ({ type: 'random', input_distribution: dist, output_distribution: dist, ...over });
    expect(DataSchema.parse(random({ total_count: 5 }))).toEqual(random({ total_count: 5 }));
    expect(errorFor({ data: random({ input_distribution: { ...dist, min: 200 } }) })).toBe(
      's.yaml: scenarios.quick_validation.data.input_distribution.min: min 200 is above max 100',
    );
    expect(errorFor({ data: random({ output_distribution: { ...dist, mean: 101 } }) })).toBe(
      's.yaml: scenarios.quick_validation.data.output_distribution.mean: mean 101 is outside min..max (10..100)',
    );
    expect(errorFor({ data: random({ input_distribution: { ...dist, std: -1 } }) })).toMatch(
      /^s\.yaml: scenarios\.quick_validation\.data\.input_distribution\.std: /,
    );
    expect(errorFor({ data: random({ total_count: 0 }) })).toMatch(/^s\.yaml: scenarios\.quick_validation\.data\.total_count: /);
    expect(errorFor({ data: random({ input_distribution: { ...dist, median: 3 } }) })).toMatch(/median/);
  });

  test('shared_prefix: every count is a positive integer, named by path', () => {
    const sp = { type: 'shared_prefix', num_groups: 2, num_prompts_per_group: 3, system_prompt_len: 100, question_len: 20, output_len: 10 };
    expect(DataSchema.parse(sp)).toEqual(sp);
    expect(errorFor({ data: { ...sp, question_len: 0 } })).toBe(
      's.yaml: scenarios.quick_validation.data.question_len: expected a positive integer (tokens)',
    );
    expect(errorFor({ data: { ...sp, num_groups: 1.5 } })).toMatch(/data\.num_groups: /);
  });

  test('lengths are normalised to lists; seed is unset unless given (a fresh one per run)', () => {
    expect(DataSchema.parse({ type: 'synthetic', prompt_tokens: 512, max_tokens: [64, 128] })).toEqual({
      type: 'synthetic',
      prompt_tokens: [512],
      max_tokens: [64, 128],
    });
    expect(DataSchema.parse({ type: 'synthetic', prompt_tokens: 1, max_tokens: 1, seed: 7 })).toMatchObject({ seed: 7 });
  });

  test('lengths must be positive integers, lists non-empty', () => {
    const reason = 'expected a positive integer or a non-empty list of positive integers';
    expect(errorFor({ data: { type: 'synthetic', prompt_tokens: [100, 0], max_tokens: 5 } })).toBe(
      `s.yaml: scenarios.quick_validation.data.prompt_tokens[1]: ${reason} (prompt lengths)`,
    );
    expect(errorFor({ data: { type: 'synthetic', prompt_tokens: 10, max_tokens: [] } })).toBe(
      `s.yaml: scenarios.quick_validation.data.max_tokens: ${reason} (output lengths)`,
    );
    expect(errorFor({ data: { type: 'synthetic', prompt_tokens: 'long', max_tokens: 5 } })).toBe(
      `s.yaml: scenarios.quick_validation.data.prompt_tokens: ${reason} (prompt lengths)`,
    );
  });
});

describe('SLO limits', () => {
  test('parseLimitKey splits <metric>_<stat>_<unit>, underscores in metric and stat included', () => {
    expect(parseLimitKey('ttft_p95_ms')).toEqual({ metric: 'ttft', stat: 'p95', unit: 'ms' });
    expect(parseLimitKey('e2e_p90_s')).toEqual({ metric: 'e2e', stat: 'p90', unit: 's' });
    expect(parseLimitKey('ttft_from_intended_p99_9_ms')).toEqual({ metric: 'ttft_from_intended', stat: 'p99_9', unit: 'ms' });
    expect(parseLimitKey('schedule_lag_max_ms')).toEqual({ metric: 'schedule_lag', stat: 'max', unit: 'ms' });
  });

  test('parseLimitKey rejects anything else', () => {
    for (const key of ['ttft_p95', 'ttft_p97_ms', 'latency_p95_ms', 'ttft_p95_us', 'p95_ms', '_p95_ms', 'ttft__p95_ms', '']) {
      expect(parseLimitKey(key), key).toBeNull();
    }
  });

  test('a bad limit key lists the grammar and suggests the closest valid key', () => {
    expect(errorFor({ slo: { limits: { ttft_p95: 2000 } } })).toBe(
      's.yaml: scenarios.quick_validation.slo.limits.ttft_p95: unknown limit "ttft_p95" (did you mean "ttft_p95_s"?): ' +
        'limits are named <metric>_<stat>_<unit> with metric ttft|ttft_from_intended|tpot|itl|e2e|e2e_from_intended|ntpot|schedule_lag, ' +
        'stat mean|p50|p90|p95|p99|p99_9|max, unit ms|s, e.g. ttft_p95_ms',
    );
  });

  test('limits are positive numbers; rates and lag have defaults', () => {
    expect(errorFor({ slo: { limits: { tpot_p99_ms: -1 } } })).toBe(
      's.yaml: scenarios.quick_validation.slo.limits.tpot_p99_ms: expected a positive number, got -1',
    );
    expect(SloSpecSchema.parse({})).toEqual({ min_success_rate: 0.95, max_schedule_lag_p99_ms: 10 });
    expect(errorFor({ slo: { min_success_rate: 95 } })).toBe(
      's.yaml: scenarios.quick_validation.slo.min_success_rate: expected a number <= 1, got 95',
    );
  });
});

describe('scenario file', () => {
  test('defaults: stream on, no warm-up; api left to the target', () => {
    const scenario = file({}).scenarios.quick_validation;
    expect(scenario).toMatchObject({ stream: true, warmup_requests: 0, num_requests: 10 });
    expect(scenario?.api).toBeUndefined();
  });

  test('every preset name and any custom profile is a valid slo.profile', () => {
    for (const profile of SLO_PRESET_NAMES) expect(file({ slo: { profile } }).scenarios.quick_validation?.slo?.profile).toBe(profile);
    const custom = { slo_profiles: { snappy: { limits: { ttft_p99_ms: 300 } } } };
    expect(file({ slo: { profile: 'snappy' } }, custom).slo_profiles?.snappy?.limits).toEqual({ ttft_p99_ms: 300 });
  });

  test('an unknown slo.profile names the path and suggests the closest', () => {
    const custom = { slo_profiles: { snappy: { limits: { ttft_p99_ms: 300 } } } };
    expect(errorFor({ slo: { profile: 'snapy' } }, custom)).toBe(
      's.yaml: scenarios.quick_validation.slo.profile: unknown SLO profile "snapy" (did you mean "snappy"?); ' +
        `use a preset (${SLO_PRESET_NAMES.join(', ')}) or one of slo_profiles (snappy)`,
    );
    expect(errorFor({ slo: { profile: 'mlperf-standrd' } })).toMatch(
      /^s\.yaml: scenarios\.quick_validation\.slo\.profile: unknown SLO profile "mlperf-standrd" \(did you mean "mlperf-standard"\?\); use a preset \(.*\) or define it under slo_profiles$/,
    );
  });

  test('a custom profile cannot reuse a preset name', () => {
    expect(errorFor({}, { slo_profiles: { 'mlperf-standard': { limits: { ttft_p95_ms: 1 } } } })).toBe(
      's.yaml: slo_profiles.mlperf-standard: "mlperf-standard" is a preset name; give the custom profile another name',
    );
  });

  test('at least one scenario, with a valid name', () => {
    expect(configErrorOf(() => validateConfig(ScenarioFileSchema, { scenarios: {} }, { source: 's.yaml' }))).toBe(
      's.yaml: scenarios: expected at least one scenario',
    );
    expect(
      configErrorOf(() => validateConfig(ScenarioFileSchema, { scenarios: { 'quick check': base } }, { source: 's.yaml' })),
    ).toBe('s.yaml: scenarios["quick check"]: invalid key: scenario names must contain only letters, digits, ".", "_" and "-"');
  });

  test('warm-up may be 0 but not negative; num_requests is required', () => {
    expect(errorFor({ warmup_requests: -1 })).toBe(
      's.yaml: scenarios.quick_validation.warmup_requests: expected an integer >= 0, got -1',
    );
    expect(
      configErrorOf(() =>
        validateConfig(ScenarioFileSchema, { scenarios: { q: { load: base.load, data: base.data } } }, { source: 's.yaml' }),
      ),
    ).toBe('s.yaml: scenarios.q.num_requests: a concurrency load without a duration needs num_requests (requests per stage); set one or both');
  });
});
