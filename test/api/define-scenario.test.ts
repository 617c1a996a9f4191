/**
 * `defineScenario({ name, ...keys })` is a scenario of a YAML file written in TypeScript: the
 * same schema and formatter judge it, so each mistake is the same one line as in YAML with
 * `defineScenario "<name>"` in place of the file's name, and `BENCH_*` overrides apply to it.
 */
import { stringify } from 'yaml';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { defineScenario, type ScenarioDefinition } from 'vitest-llm-d';
import { loadScenarioFile } from '../../lib/config/resolve-scenarios.ts';
import { configErrorOf as thrown } from '../config/config-error-of.ts';
import { tempDir } from '../config/temp-dir.ts';

const GOOD = { num_requests: 4, load: { type: 'concurrency', concurrency: 2 }, data: { type: 'synthetic', prompt_tokens: [16], max_tokens: [8] } };

/** The message of the YAML file holding `keys` as scenario `name`, and that of `defineScenario` with the same keys. */
function bothErrors(name: string, keys: Record<string, unknown>): { yaml: string; defined: string } {
  const dir = tempDir();
  dir.write('s.yaml', stringify({ scenarios: { [name]: keys } }));
  const yaml = thrown(() => loadScenarioFile('s.yaml', { env: {}, cwd: dir.path }));
  const defined = thrown(() => defineScenario({ name, ...keys } as ScenarioDefinition));
  return { yaml, defined };
}

afterEach(() => vi.unstubAllEnvs());

describe('defineScenario errors', () => {
  test.each([
    ['a value of the wrong type', { ...GOOD, load: { type: 'constant', rate: 'fast' } }],
    ['a misspelt key', { ...GOOD, num_request: 4 }],
    ['a missing key', { num_requests: 4, data: GOOD.data }],
    ['an unknown SLO profile', { ...GOOD, slo: { profile: 'mlperf-standart' } }],
    ['several problems', { ...GOOD, load: { type: 'concurrency', concurrency: -1 }, warmup_requests: 'x' }],
  ])('%s: the YAML file\'s one line, with defineScenario "<name>" as its source', (_, keys) => {
    const { yaml, defined } = bothErrors('small', keys);
    expect(yaml).toMatch(/^s\.yaml: scenarios\.small[.:]/);
    expect(defined).toBe(yaml.replace(/^s\.yaml: /, 'defineScenario "small": '));
    expect(defined).not.toContain('\n');
  });

  test('a scenario name YAML would refuse is refused the same way', () => {
    const { yaml, defined } = bothErrors('no spaces', GOOD);
    expect(defined).toBe(yaml.replace(/^s\.yaml: /, 'defineScenario "no spaces": '));
  });

  test('without a name: one line saying so', () => {
    expect(thrown(() => defineScenario({ ...GOOD } as unknown as ScenarioDefinition))).toBe("defineScenario: name: expected the scenario's name (a non-empty string), got undefined");
  });
});

describe('a defined scenario', () => {
  test('is validated with defaults filled in, and keeps its name and source', () => {
    const ref = defineScenario({ name: 'small', ...GOOD } as ScenarioDefinition);
    expect(ref).toMatchObject({ kind: 'benchmark', name: 'small', source: 'defineScenario "small"' });
    expect(ref.config?.num_requests).toBe(4);
    expect(ref.config?.warmup_requests).toBeTypeOf('number');
  });

  test('takes the BENCH_* overrides as a scenario of a file does', () => {
    vi.stubEnv('BENCH_NUM_REQUESTS', '3');
    vi.stubEnv('BENCH_CONCURRENCY', '5');
    const ref = defineScenario({ name: 'small', ...GOOD } as ScenarioDefinition);
    expect(ref.config?.num_requests).toBe(3);
    expect(ref.config?.load).toMatchObject({ type: 'concurrency', concurrency: 5 });
  });

  test('an override that does not fit it fails as for a file', () => {
    vi.stubEnv('BENCH_RATE', '5');
    expect(thrown(() => defineScenario({ name: 'small', ...GOOD } as ScenarioDefinition))).toMatch(/^env: BENCH_RATE: applies to single-rate .* but scenario "small" uses a concurrency load/);
  });
});
