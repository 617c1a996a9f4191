import { describe, expect, test } from 'vitest';
import { SLO_PRESET_NAMES, SloSpecSchema, type SloProfileDef } from '../../lib/config/schema/slo.ts';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { DEFAULT_FLOORS, SLO_PRESETS } from '../../lib/slo/profile.ts';
import { DEFAULT_PROFILE, limitsFromKeys, resolveAssertedSlo, resolveScenarioSlo } from '../../lib/slo/resolve.ts';

const WHERE = 'suites/latency/latency.yaml';
const FILE_PROFILES: Record<string, SloProfileDef> = {
  chatbot: { description: 'chat UX', limits: { ttft_p90_ms: 300, itl_p99_ms: 50 } },
  batch: { limits: { e2e_p99_s: 120 } },
};
const spec = (raw: object) => SloSpecSchema.parse(raw);

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('MLPerf presets', () => {
  test('match the MLPerf Inference server table (reference/peers.md section 6, loadgen/mlperf.conf) exactly', () => {
    // benchmark key, TTFT limit ms, TPOT limit ms, as the table lists them.
    const TABLE: Array<[string, number, number]> = [
      ['llama2-70b', 2000, 200],
      ['llama2-70b-interactive', 450, 40],
      ['mixtral-8x7b', 2000, 200],
      ['llama3_1-405b', 6000, 175],
      ['llama3_1-405b-interactive', 4500, 80],
      ['llama3_1-8b', 2000, 100],
      ['llama3_1-8b-interactive', 500, 30],
      ['deepseek-r1', 2000, 80],
      ['deepseek-r1-interactive', 1500, 15],
      ['gpt-oss-120b', 3000, 80],
      ['gpt-oss-120b-interactive', 2000, 15],
    ];
    const server = Object.keys(SLO_PRESETS).filter((k) => k !== 'mlperf-standard' && k !== 'mlperf-interactive');
    expect(server).toHaveLength(TABLE.length);
    for (const [key, ttft, tpot] of TABLE) {
      const name = `mlperf-${key.replace('llama3_1', 'llama3.1')}`;
      const p = SLO_PRESETS[name];
      expect(p, name).toBeDefined();
      // LoadGen: p99, and latency from the scheduled (intended) time.
      expect(p!.limits).toEqual([
        { metric: 'ttft_from_intended', stat: 'p99', max: ttft, unit: 'ms' },
        { metric: 'tpot', stat: 'p99', max: tpot, unit: 'ms' },
      ]);
      expect(p!.name).toBe(name);
    }
  });

  test('the p95 profiles of DESIGN.md', () => {
    expect(SLO_PRESETS['mlperf-standard']!.limits).toEqual([
      { metric: 'ttft', stat: 'p95', max: 2000, unit: 'ms' },
      { metric: 'tpot', stat: 'p95', max: 100, unit: 'ms' },
    ]);
    expect(SLO_PRESETS['mlperf-interactive']!.limits).toEqual([
      { metric: 'ttft', stat: 'p95', max: 500, unit: 'ms' },
      { metric: 'tpot', stat: 'p95', max: 30, unit: 'ms' },
    ]);
  });

  test('the config knows exactly the preset names lib/slo defines', () => {
    expect([...SLO_PRESET_NAMES].sort()).toEqual(Object.keys(SLO_PRESETS).sort());
  });
});

describe('resolveScenarioSlo', () => {
  test('no slo: the default profile and floors', () => {
    expect(DEFAULT_PROFILE).toBe('mlperf-standard');
    expect(resolveScenarioSlo(undefined, {}, WHERE)).toEqual({ profiles: [SLO_PRESETS['mlperf-standard']], floors: DEFAULT_FLOORS });
    expect(DEFAULT_FLOORS).toEqual({ minSuccessRate: 0.95, maxScheduleLagP99Ms: 10 });
  });

  test('a preset with its floors', () => {
    const r = resolveScenarioSlo(spec({ profile: 'mlperf-interactive', min_success_rate: 0.99, max_schedule_lag_p99_ms: 25 }), FILE_PROFILES, WHERE);
    expect(r).toEqual({ profiles: [SLO_PRESETS['mlperf-interactive']], floors: { minSuccessRate: 0.99, maxScheduleLagP99Ms: 25 } });
    // Floors default in the schema even when only a profile is given.
    expect(resolveScenarioSlo(spec({ profile: 'mlperf-interactive' }), {}, WHERE).floors).toEqual(DEFAULT_FLOORS);
  });

  test('max_stalled_share, in the scenario or asserted, is a floor', () => {
    const r = resolveScenarioSlo(spec({ max_stalled_share: 0.05 }), FILE_PROFILES, WHERE);
    expect(r.floors).toEqual({ minSuccessRate: 0.95, maxScheduleLagP99Ms: 10, maxStalledShare: 0.05 });
    expect(resolveAssertedSlo({ maxStalledShare: 0.2, ttftP95Ms: 300 }, r, {}, WHERE).floors).toEqual({ minSuccessRate: 0.95, maxScheduleLagP99Ms: 10, maxStalledShare: 0.2 });
  });

  test("a profile of the file's slo_profiles", () => {
    const r = resolveScenarioSlo(spec({ profile: 'chatbot' }), FILE_PROFILES, WHERE);
    expect(r.profiles).toEqual([
      {
        name: 'chatbot',
        description: 'chat UX',
        source: `${WHERE} slo_profiles.chatbot`,
        limits: [
          { metric: 'ttft', stat: 'p90', max: 300, unit: 'ms' },
          { metric: 'itl', stat: 'p99', max: 50, unit: 'ms' },
        ],
      },
    ]);
    expect(resolveScenarioSlo(spec({ profile: 'batch' }), FILE_PROFILES, WHERE).profiles[0]!.description).toBe('custom profile batch');
  });

  test('a file profile shadows a preset of the same name', () => {
    const r = resolveScenarioSlo(spec({ profile: 'mlperf-standard' }), { 'mlperf-standard': { limits: { ttft_p50_ms: 1 } } }, WHERE);
    expect(r.profiles[0]!.limits).toEqual([{ metric: 'ttft', stat: 'p50', max: 1, unit: 'ms' }]);
  });

  test('inline limits merge over the profile: same metric and stat replaced, others added', () => {
    const r = resolveScenarioSlo(spec({ profile: 'mlperf-standard', limits: { ttft_p95_ms: 800, e2e_p99_s: 30 } }), {}, WHERE);
    expect(r.profiles).toHaveLength(1);
    const p = r.profiles[0]!;
    expect(p.name).toBe('mlperf-standard+limits');
    expect(p.limits).toEqual([
      { metric: 'tpot', stat: 'p95', max: 100, unit: 'ms' },
      { metric: 'ttft', stat: 'p95', max: 800, unit: 'ms' },
      { metric: 'e2e', stat: 'p99', max: 30, unit: 's' },
    ]);
    expect(p.description).toBe('MLPerf standard: TTFT p95 <= 2 s, TPOT p95 <= 100 ms; limits: ttft p95 <= 800 ms, e2e p99 <= 30 s');
    expect(p.source).toBe('vitest-llm-d DESIGN.md (MLPerf-derived standard profile); limits');
  });

  test('limits alone: only those limits, no default profile underneath', () => {
    const r = resolveScenarioSlo(spec({ limits: { tpot_p99_ms: 40 } }), {}, WHERE);
    expect(r.profiles[0]).toEqual({ name: 'limits', description: 'limits: tpot p99 <= 40 ms', source: 'limits', limits: [{ metric: 'tpot', stat: 'p99', max: 40, unit: 'ms' }] });
  });

  test('an unknown profile names the file and every known profile', () => {
    const err = configError(() => resolveScenarioSlo(spec({ profile: 'mlperf-standrad' }), FILE_PROFILES, WHERE));
    expect(err.message).toBe(`${WHERE}: slo.profile: unknown SLO profile "mlperf-standrad" (known: chatbot, batch, ${Object.keys(SLO_PRESETS).join(', ')})`);
  });
});

describe('resolveAssertedSlo (toMeetSLO argument)', () => {
  const configured = resolveScenarioSlo(spec({ profile: 'mlperf-interactive', min_success_rate: 0.9 }), FILE_PROFILES, WHERE);

  test('nothing: the configured SLO', () => {
    expect(resolveAssertedSlo(undefined, configured, FILE_PROFILES, WHERE)).toBe(configured);
  });

  test("a name: that profile with the scenario's floors", () => {
    expect(resolveAssertedSlo('chatbot', configured, FILE_PROFILES, WHERE)).toEqual({
      profiles: [resolveScenarioSlo(spec({ profile: 'chatbot' }), FILE_PROFILES, WHERE).profiles[0]],
      floors: { minSuccessRate: 0.9, maxScheduleLagP99Ms: 10 },
    });
    expect(() => resolveAssertedSlo('nope', configured, FILE_PROFILES, WHERE)).toThrow(/unknown SLO profile "nope"/);
  });

  test('an object: camelCase or snake_case limits, floors taken out of it', () => {
    const r = resolveAssertedSlo({ ttftP95Ms: 300, tpot_p99_ms: 25, e2eP99_9S: 4, minSuccessRate: 0.5, max_schedule_lag_p99_ms: 3 }, configured, {}, WHERE);
    expect(r.floors).toEqual({ minSuccessRate: 0.5, maxScheduleLagP99Ms: 3 });
    expect(r.profiles).toEqual([
      {
        name: 'asserted limits',
        description: 'asserted limits: ttft p95 <= 300 ms, tpot p99 <= 25 ms, e2e p99_9 <= 4 s',
        source: 'asserted limits',
        limits: [
          { metric: 'ttft', stat: 'p95', max: 300, unit: 'ms' },
          { metric: 'tpot', stat: 'p99', max: 25, unit: 'ms' },
          { metric: 'e2e', stat: 'p99_9', max: 4, unit: 's' },
        ],
      },
    ]);
    // The configured floors are not changed by an assertion.
    expect(configured.floors).toEqual({ minSuccessRate: 0.9, maxScheduleLagP99Ms: 10 });
  });

  test('an unknown limit key suggests the likely one', () => {
    const err = configError(() => resolveAssertedSlo({ ttftP59Ms: 300 }, configured, {}, WHERE));
    expect(err.message).toMatch(/^toMeetSLO: ttft_p59_ms: unknown limit "ttft_p59_ms" \(did you mean "ttft_p\d+_ms"\?\): limits are named <metric>_<stat>_<unit>/);
    expect(() => limitsFromKeys({ latency_ms: 1 }, 'x')).toThrow(/^x: latency_ms: unknown limit "latency_ms"/);
  });
});
