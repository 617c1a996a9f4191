/**
 * The settings registry and its reference page: the page is what the registry renders, and a
 * declared setting reads as its kind says (value, default, one-line error).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { REFERENCE_PAGE, renderSettingsReference } from '../../lib/settings/reference.ts';
import { SETTINGS, settings } from '../../lib/settings/registry.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('settings reference page', () => {
  test(`${REFERENCE_PAGE} is current (regenerate with npm run docs:settings)`, () => {
    expect(readFileSync(resolve(ROOT, REFERENCE_PAGE), 'utf8')).toBe(renderSettingsReference());
  });

  test('lists every declared setting once, with its meaning and where it applies', () => {
    const page = renderSettingsReference();
    for (const [name, s] of Object.entries(SETTINGS)) {
      expect(page.split('\n').filter((line) => line.startsWith(`| \`${name}\` |`)), name).toHaveLength(1);
      expect(s.meaning, name).toMatch(/\S/);
      expect(s.appliesTo, name).toMatch(/\S/);
    }
  });
});

describe('settings(env)', () => {
  test('unset or blank: the declared default, or undefined; given() never applies the default', () => {
    expect(settings({}).get('BENCH_PROMETHEUS_TIMEOUT_S')).toBe(10);
    expect(settings({ BENCH_PROMETHEUS_TIMEOUT_S: '  ' }).get('BENCH_PROMETHEUS_TIMEOUT_S')).toBe(10);
    expect(settings({}).given('BENCH_PROMETHEUS_TIMEOUT_S')).toBeUndefined();
    expect(settings({ BENCH_MODEL: '' }).get('BENCH_MODEL')).toBeUndefined();
    expect(settings({ BENCH_MODEL: ' m ' }).has('BENCH_MODEL')).toBe(true);
  });

  test('a set value is parsed by its kind', () => {
    const s = settings({ BENCH_CONCURRENCY: '1, 5,10', BENCH_API: 'chat', BENCH_SHARE: '1/4', BENCH_PROVISION_DRY_RUN: 'YES', BENCH_MODEL: ' m ' });
    expect(s.get('BENCH_CONCURRENCY')).toEqual([1, 5, 10]);
    expect(s.get('BENCH_API')).toBe('chat');
    expect(s.get('BENCH_SHARE')).toEqual({ index: 1, count: 4 });
    expect(s.get('BENCH_PROVISION_DRY_RUN')).toBe(true);
    expect(s.get('BENCH_MODEL')).toBe('m');
  });

  test.each([
    [{ BENCH_CONCURRENCY: 'abc' }, 'BENCH_CONCURRENCY', 'env: BENCH_CONCURRENCY: expected a positive integer or a comma-separated list of them, got "abc"'],
    [{ BENCH_API: 'chta' }, 'BENCH_API', 'env: BENCH_API: expected one of "completions", "chat", got "chta" (did you mean "chat"?)'],
    [{ BENCH_SHARE: '4/4' }, 'BENCH_SHARE', 'env BENCH_SHARE: expected <index>/<count> with 0 <= index < count (e.g. 1/4), got "4/4"'],
    [{ BENCH_METRICS_SCRAPE: ' maybe' }, 'BENCH_METRICS_SCRAPE', 'env: BENCH_METRICS_SCRAPE: expected on or off, got " maybe"'],
  ] as const)('%o: one line naming the variable', (env, name, message) => {
    let err: unknown;
    try {
      settings(env).get(name);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(message);
  });
});
