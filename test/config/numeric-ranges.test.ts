import { describe, expect, test } from 'vitest';
import { envFraction, envPositiveInt, envTimerSeconds } from '../../lib/config/env.ts';
import { validateConfig } from '../../lib/config/format-issues.ts';
import { applyScenarioOverrides } from '../../lib/config/resolve-scenarios.ts';
import { ScenarioFileSchema } from '../../lib/config/schema/scenario.ts';
import { TargetsFileSchema } from '../../lib/config/schema/targets-file.ts';
import { publishSettings } from '../../lib/publish/settings.ts';
import { configErrorOf } from './config-error-of.ts';

/** Every duration ends in a Node.js timer, which takes at most 2^31 - 1 ms. */
const TIMER = 'at most 2147483.647 s (24.8 days, the longest timer Node.js allows)';

const base = {
  num_requests: 10,
  load: { type: 'concurrency', concurrency: 2 },
  data: { type: 'synthetic', prompt_tokens: 100, max_tokens: 50 },
};
const scenarioError = (scenario: Record<string, unknown>) =>
  configErrorOf(() => validateConfig(ScenarioFileSchema, { scenarios: { q: { ...base, ...scenario } } }, { source: 's.yaml' }));

describe('durations in config files are bounded by the longest Node.js timer', () => {
  test('a timeout above 2^31 - 1 ms is one line naming the key and the bound; the bound itself is accepted', () => {
    expect(scenarioError({ timeouts: { total_s: 3_000_000 } })).toBe(`s.yaml: scenarios.q.timeouts.total_s: expected ${TIMER}, got 3000000`);
    expect(() => validateConfig(ScenarioFileSchema, { scenarios: { q: { ...base, timeouts: { total_s: 2147483.647 } } } }, { source: 's.yaml' })).not.toThrow();
    const targets = { targets: [{ name: 'a', base_url: 'http://127.0.0.1:1', timeouts: { first_token_s: 1e7 } }] };
    expect(configErrorOf(() => validateConfig(TargetsFileSchema, targets, { source: 't.yaml' }))).toBe(`t.yaml: targets[0].timeouts.first_token_s: expected ${TIMER}, got 10000000`);
  });

  test('load durations, pauses, drain bounds, think times and retry waits too', () => {
    expect(scenarioError({ load: { type: 'constant', rate: 1, duration: 1e9 } })).toBe(`s.yaml: scenarios.q.load.duration: expected ${TIMER}, got 1000000000`);
    expect(scenarioError({ load: { type: 'constant', rate: 1, drain_timeout: 1e9 } })).toBe(`s.yaml: scenarios.q.load.drain_timeout: expected ${TIMER}, got 1000000000`);
    expect(scenarioError({ load: { type: 'users', users: 2, spawn_rate: 1, duration: 1, think_time: 1e9 } })).toBe(`s.yaml: scenarios.q.load.think_time: expected ${TIMER}, got 1000000000`);
    expect(scenarioError({ retry: { on: ['http_503'], max_backoff_s: 1e9 } })).toBe(`s.yaml: scenarios.q.retry.max_backoff_s: expected ${TIMER}, got 1000000000`);
  });
});

describe('numeric environment variables are range-checked with one line each', () => {
  test.each([
    ['abc'],
    ['0'],
    ['-1'],
    ['3000000'],
    ['1e400'],
  ])('BENCH_TEST_TIMEOUT_S=%s', (value) => {
    expect(configErrorOf(() => envTimerSeconds({ BENCH_TEST_TIMEOUT_S: value }, 'BENCH_TEST_TIMEOUT_S'))).toBe(
      `env: BENCH_TEST_TIMEOUT_S: expected a positive number of seconds, ${TIMER}, got "${value}"`,
    );
  });

  test('a timer of seconds accepts its range: > 0 (>= 0 when zero is allowed) up to the bound', () => {
    expect(envTimerSeconds({ X: '0.5' }, 'X')).toBe(0.5);
    expect(envTimerSeconds({ X: '2147483.647' }, 'X')).toBe(2147483.647);
    expect(envTimerSeconds({ X: '0' }, 'X', { zero: true })).toBe(0);
    expect(envTimerSeconds({}, 'X')).toBeUndefined();
  });

  test('BENCH_DURATION and BENCH_PAUSE go through the same check', () => {
    const file = validateConfig(ScenarioFileSchema, { scenarios: { q: base } }, { source: 's.yaml' });
    expect(configErrorOf(() => applyScenarioOverrides(file, { BENCH_DURATION: '1e10' }))).toBe(`env: BENCH_DURATION: expected a positive number of seconds, ${TIMER}, got "1e10"`);
    expect(configErrorOf(() => applyScenarioOverrides(file, { BENCH_PAUSE: '-1' }))).toBe(`env: BENCH_PAUSE: expected a number of seconds >= 0, ${TIMER}, got "-1"`);
  });

  test('counts are positive safe integers; fractions are in (0, 1]', () => {
    expect(configErrorOf(() => envPositiveInt({ BENCH_NUM_REQUESTS: '1e3' }, 'BENCH_NUM_REQUESTS'))).toBe('env: BENCH_NUM_REQUESTS: expected a positive integer, got "1e3"');
    expect(configErrorOf(() => envPositiveInt({ BENCH_NUM_REQUESTS: '99999999999999999999' }, 'BENCH_NUM_REQUESTS'))).toBe(
      'env: BENCH_NUM_REQUESTS: expected a positive integer, got "99999999999999999999"',
    );
    expect(configErrorOf(() => envFraction({ BENCH_PREFIX_MIN_HIT_RATE: '1.5' }, 'BENCH_PREFIX_MIN_HIT_RATE'))).toBe(
      'env: BENCH_PREFIX_MIN_HIT_RATE: expected a number > 0 and <= 1, got "1.5"',
    );
  });

  test('BENCH_PUBLISH_TIMEOUT_S is bounded too', () => {
    expect(configErrorOf(() => publishSettings({ BENCH_PUBLISH: 's3://bucket/prefix', BENCH_PUBLISH_TIMEOUT_S: '1e9' }))).toBe(
      `env: BENCH_PUBLISH_TIMEOUT_S: expected a positive number of seconds, ${TIMER}, got "1e9"`,
    );
  });
});
