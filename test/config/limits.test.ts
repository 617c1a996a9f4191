import { describe, expect, test } from 'vitest';
import { DEFAULT_RESPONSE_LIMITS, LimitOverridesSchema, responseLimits } from '../../lib/config/schema/limits.ts';
import { TargetSchema } from '../../lib/config/schema/target.ts';

const MiB = 2 ** 20;

describe('response size limits settings', () => {
  test('defaults: 256 MiB per body, 32 MiB per stream event', () => {
    expect(DEFAULT_RESPONSE_LIMITS).toEqual({ responseBytes: 256 * MiB, eventBytes: 32 * MiB });
  });

  test('the environment over the scenario over the target over the defaults', () => {
    expect(responseLimits({}, { max_event_mib: 4 }, { max_event_mib: 8, max_response_mib: 16 })).toEqual({ responseBytes: 16 * MiB, eventBytes: 4 * MiB });
    expect(responseLimits({ BENCH_MAX_EVENT_MIB: '0.5' }, { max_event_mib: 4 }, undefined)).toEqual({ responseBytes: 256 * MiB, eventBytes: 0.5 * MiB });
    expect(responseLimits({ BENCH_MAX_RESPONSE_MIB: '' }, undefined)).toEqual(DEFAULT_RESPONSE_LIMITS);
  });

  test('bad values are one-line errors', () => {
    expect(() => responseLimits({ BENCH_MAX_RESPONSE_MIB: 'abc' })).toThrow('env: BENCH_MAX_RESPONSE_MIB: expected a positive number, got "abc"');
    expect(() => responseLimits({ BENCH_MAX_EVENT_MIB: '0' })).toThrow(/BENCH_MAX_EVENT_MIB: expected a positive number/);
    expect(() => responseLimits({ BENCH_MAX_RESPONSE_MIB: '100000' })).toThrow('env: BENCH_MAX_RESPONSE_MIB: expected at most 512 (MiB), got 100000');
    expect(LimitOverridesSchema.safeParse({ max_response_mib: 1024 }).success).toBe(false);
    expect(LimitOverridesSchema.safeParse({ max_event_mb: 1 }).success).toBe(false);
    expect(TargetSchema.parse({ name: 'x', base_url: 'https://h', limits: { max_event_mib: 1 } }).limits).toEqual({ max_event_mib: 1 });
  });
});
