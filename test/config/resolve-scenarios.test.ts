import { describe, expect, test } from 'vitest';
import { validateConfig } from '../../lib/config/format-issues.ts';
import { applyScenarioOverrides, loadScenarioFile } from '../../lib/config/resolve-scenarios.ts';
import { ScenarioFileSchema } from '../../lib/config/schema/scenario.ts';
import type { ScenarioFile } from '../../lib/config/schema/scenario.ts';
import { configErrorOf } from './config-error-of.ts';
import { tempDir } from './temp-dir.ts';

const data = { type: 'synthetic', prompt_tokens: [128, 512], max_tokens: 64 };
const closed = { num_requests: 40, load: { type: 'concurrency', concurrency: 4 }, data };
const open = { num_requests: 100, warmup_requests: 5, load: { type: 'constant', rate: 2 }, data };

const parse = (scenarios: Record<string, unknown>): ScenarioFile =>
  validateConfig(ScenarioFileSchema, { scenarios }, { source: 's.yaml' });

describe('applyScenarioOverrides', () => {
  test('no BENCH_* variables: nothing changes, nothing recorded', () => {
    const file = parse({ quick: closed });
    expect(applyScenarioOverrides(file, { OTHER: '1' })).toEqual({ config: file, overrides: [] });
  });

  test('each variable replaces its field in every scenario and is recorded', () => {
    const file = parse({ quick: closed });
    const env = {
      BENCH_NUM_REQUESTS: '20',
      BENCH_WARMUP_REQUESTS: '0',
      BENCH_CONCURRENCY: '16',
      BENCH_MAX_TOKENS: '256',
    };
    const { config, overrides } = applyScenarioOverrides(file, env);
    expect(config.scenarios.quick).toMatchObject({
      num_requests: 20,
      warmup_requests: 0,
      load: { type: 'concurrency', concurrency: 16 },
      data: { prompt_tokens: [128, 512], max_tokens: [256] },
    });
    expect(overrides).toEqual([
      { path: 'scenarios.quick.num_requests', value: 20, source: 'env BENCH_NUM_REQUESTS' },
      { path: 'scenarios.quick.warmup_requests', value: 0, source: 'env BENCH_WARMUP_REQUESTS' },
      { path: 'scenarios.quick.load.concurrency', value: 16, source: 'env BENCH_CONCURRENCY' },
      { path: 'scenarios.quick.data.max_tokens', value: [256], source: 'env BENCH_MAX_TOKENS' },
    ]);
  });

  test('the input is not modified', () => {
    const file = parse({ quick: closed });
    const before = structuredClone(file);
    applyScenarioOverrides(file, { BENCH_CONCURRENCY: '2', BENCH_MAX_TOKENS: '8', BENCH_NUM_REQUESTS: '3' });
    expect(file).toEqual(before);
  });

  test('BENCH_MAX_TOKENS sets the output length of every data shape, in its own terms, and the input is kept', () => {
    const file = parse({
      rnd: { ...closed, data: { type: 'random', input_distribution: { min: 10, max: 100, mean: 50, std: 10 }, output_distribution: { min: 10, max: 200, mean: 100, std: 20 } } },
      shared: { ...closed, data: { type: 'shared_prefix', num_groups: 2, num_prompts_per_group: 3, system_prompt_len: 100, question_len: 20, output_len: 64 } },
    });
    const { config, overrides } = applyScenarioOverrides(file, { BENCH_MAX_TOKENS: '8' });
    expect(config.scenarios.rnd!.data).toMatchObject({ output_distribution: { min: 8, max: 8, mean: 8, std: 0 }, input_distribution: { min: 10, max: 100, mean: 50, std: 10 } });
    expect(config.scenarios.shared!.data).toMatchObject({ output_len: 8, system_prompt_len: 100 });
    expect(overrides.map((o) => o.path)).toEqual(['scenarios.rnd.data.output_distribution', 'scenarios.shared.data.output_len']);
    expect(file.scenarios.shared!.data).toMatchObject({ output_len: 64 });
  });

  test('BENCH_RATE sets the rate of constant loads', () => {
    const { config, overrides } = applyScenarioOverrides(parse({ steady: open }), { BENCH_RATE: '0.5' });
    expect(config.scenarios.steady?.load).toEqual({ type: 'constant', rate: 0.5, max_in_flight: 1000, drain_timeout: 30 });
    expect(overrides).toEqual([{ path: 'scenarios.steady.load.rate', value: 0.5, source: 'env BENCH_RATE' }]);
  });

  test('BENCH_CONCURRENCY on a constant-rate scenario names it and the variable to use', () => {
    expect(configErrorOf(() => applyScenarioOverrides(parse({ quick: closed, steady: open }), { BENCH_CONCURRENCY: '8' }))).toBe(
      'env: BENCH_CONCURRENCY: applies to concurrency, users and sweep loads, but scenario "steady" uses a constant load (set BENCH_RATE for constant loads)',
    );
    expect(configErrorOf(() => applyScenarioOverrides(parse({ quick: closed }), { BENCH_RATE: '3' }))).toBe(
      'env: BENCH_RATE: applies to single-rate (constant, poisson, gamma) loads, but scenario "quick" uses a concurrency load (set BENCH_CONCURRENCY for concurrency loads)',
    );
  });

  test('with both load variables set, a mixed file gets each where it fits', () => {
    const { config } = applyScenarioOverrides(parse({ quick: closed, steady: open }), {
      BENCH_CONCURRENCY: '8',
      BENCH_RATE: '3',
    });
    expect(config.scenarios.quick?.load).toMatchObject({ concurrency: 8 });
    expect(config.scenarios.steady?.load).toMatchObject({ rate: 3 });
  });

  test.each([
    ['BENCH_CONCURRENCY', 'abc', 'expected a positive integer or a comma-separated list of them, got "abc"'],
    ['BENCH_CONCURRENCY', '0', 'expected a positive integer or a comma-separated list of them, got "0"'],
    ['BENCH_NUM_REQUESTS', '1.5', 'expected a positive integer, got "1.5"'],
    ['BENCH_NUM_REQUESTS', '-3', 'expected a positive integer, got "-3"'],
    ['BENCH_WARMUP_REQUESTS', '-1', 'expected a non-negative integer, got "-1"'],
    ['BENCH_MAX_TOKENS', '1e3', 'expected a positive integer, got "1e3"'],
    ['BENCH_RATE', 'fast', 'expected a positive number, got "fast"'],
    ['BENCH_RATE', '0', 'expected a positive number, got "0"'],
    ['BENCH_RATE', 'Infinity', 'expected a positive number, got "Infinity"'],
    ['BENCH_MAX_STALLED_SHARE', '5%', 'expected a share from 0 to 1, got "5%"'],
    ['BENCH_MAX_STALLED_SHARE', '1.5', 'expected a share from 0 to 1, got "1.5"'],
    ['BENCH_MAX_STALLED_SHARE', '-0.1', 'expected a share from 0 to 1, got "-0.1"'],
  ])('%s=%s is rejected', (variable, value, reason) => {
    const file = parse({ quick: closed, steady: open });
    expect(configErrorOf(() => applyScenarioOverrides(file, { [variable]: value }))).toBe(`env: ${variable}: ${reason}`);
  });

  test('BENCH_MAX_STALLED_SHARE sets the stalled-request floor of every scenario, keeping its other SLO settings', () => {
    const withSlo = { ...closed, slo: { profile: 'mlperf-interactive', max_schedule_lag_p99_ms: 25 } };
    const { config, overrides } = applyScenarioOverrides(parse({ quick: closed, tuned: withSlo }), { BENCH_MAX_STALLED_SHARE: '0.05' });
    expect(config.scenarios.quick?.slo).toEqual({ min_success_rate: 0.95, max_schedule_lag_p99_ms: 10, max_stalled_share: 0.05 });
    expect(config.scenarios.tuned?.slo).toEqual({ profile: 'mlperf-interactive', min_success_rate: 0.95, max_schedule_lag_p99_ms: 25, max_stalled_share: 0.05 });
    expect(overrides).toContainEqual({ path: 'scenarios.quick.slo.max_stalled_share', value: 0.05, source: 'env BENCH_MAX_STALLED_SHARE' });
  });

  test('numbers may carry surrounding spaces and exponents where they make sense', () => {
    const { config } = applyScenarioOverrides(parse({ steady: open }), { BENCH_RATE: ' 2.5e1 ', BENCH_NUM_REQUESTS: ' 7 ' });
    expect(config.scenarios.steady).toMatchObject({ num_requests: 7, load: { rate: 25 } });
  });
});

describe('loadScenarioFile', () => {
  test('loads, validates, substitutes and applies overrides', () => {
    const dir = tempDir();
    dir.write(
      'suites/latency/latency.yaml',
      [
        'scenarios:',
        '  quick_validation:',
        '    num_requests: ${N:-10}',
        '    load: { type: concurrency, concurrency: 2 }',
        '    data: { type: synthetic, prompt_tokens: 100, max_tokens: 20 }',
        '    slo: { profile: mlperf-standard }',
      ].join('\n'),
    );
    const loaded = loadScenarioFile('suites/latency/latency.yaml', { cwd: dir.path, env: { BENCH_CONCURRENCY: '3' } });
    expect(loaded.source).toBe('suites/latency/latency.yaml');
    expect(loaded.config.scenarios.quick_validation).toMatchObject({ num_requests: 10, load: { concurrency: 3 } });
    expect(loaded.overrides).toEqual([
      { path: 'scenarios.quick_validation.load.concurrency', value: 3, source: 'env BENCH_CONCURRENCY' },
    ]);
  });

  test('errors in the file name the file; errors in the environment name the variable', () => {
    const dir = tempDir();
    dir.write('s.yaml', 'scenarios:\n  quick:\n    num_requests: 5\n    load: { type: concurrency, concurency: 2 }\n    data: { type: synthetic, prompt_tokens: 1, max_tokens: 1 }\n');
    expect(configErrorOf(() => loadScenarioFile('s.yaml', { cwd: dir.path, env: {} }))).toBe(
      's.yaml: scenarios.quick.load: unknown key "concurency" (did you mean "concurrency"?)',
    );
    dir.write('t.yaml', 'scenarios:\n  quick:\n    num_requests: 5\n    load: { type: concurrency, concurrency: 2 }\n    data: { type: synthetic, prompt_tokens: 1, max_tokens: 1 }\n');
    expect(configErrorOf(() => loadScenarioFile('t.yaml', { cwd: dir.path, env: { BENCH_CONCURRENCY: 'abc' } }))).toBe(
      'env: BENCH_CONCURRENCY: expected a positive integer or a comma-separated list of them, got "abc"',
    );
  });
});
