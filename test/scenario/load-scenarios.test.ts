/**
 * One loader for every suite (`lib/scenario/load-scenarios.ts`): where a test file's scenarios
 * are, which reader reads a file (its top-level keys say), and a config's `env` entries carried in the suite's
 * environment (never written to `process.env`; a variable already set keeps its value).
 */
import { describe, expect, test } from 'vitest';
import { resolveTarget } from '../../lib/config/resolve-target.ts';
import { BenchError } from '../../lib/errors/bench-error.ts';
import { loadScenarios, scenarioFileBeside, scenarioFileKind } from '../../lib/scenario/load-scenarios.ts';
import { openTarget } from '../../lib/scenario/open.ts';
import { tempDir } from '../config/temp-dir.ts';

const SCENARIOS = 'scenarios:\n  one: { num_requests: 2, load: { type: concurrency, concurrency: 1 }, data: { type: synthetic, prompt_tokens: [8], max_tokens: [4] } }\n';
const CONFIG = `
endpoint: { stack_name: s, model: Qwen/Qwen3-0.6B, base_url: http://gw.llm-d.svc:80 }
env:
  - { name: LOAD_SCENARIOS_TEST_SET, value: from-file }
  - { name: LOAD_SCENARIOS_TEST_KEPT, value: from-file }
workload:
  w:
    load: { stages: [{ rate: 2, duration: 30 }] }
    server: { base_url: http://gw.llm-d.svc:80 }
    data: { type: random, input_distribution: { min: 8, max: 16, mean: 12, std_dev: 2 }, output_distribution: { min: 4, max: 8, mean: 6, std_dev: 1 } }
`;

describe('the scenario file of a test file', () => {
  test('<test file>.yaml beside it, whether or not it exists (never <folder>.yaml), unless a file name is given', () => {
    const dir = tempDir();
    const test = dir.write('latency/latency.test.ts', '');
    expect(scenarioFileBeside(test)).toBe(`${dir.path}/latency/latency.yaml`);
    dir.write('latency/latency.yaml', SCENARIOS);
    const other = dir.write('latency/extra.spec.mts', '');
    expect(scenarioFileBeside(other)).toBe(`${dir.path}/latency/extra.yaml`);
    expect(scenarioFileBeside(other, 'named.yaml')).toBe(`${dir.path}/latency/named.yaml`);
    expect(scenarioFileBeside(other, '../shared/x.yaml')).toBe(`${dir.path}/shared/x.yaml`);
  });

  test('the reader follows the top-level keys', () => {
    const dir = tempDir();
    dir.write('s.yaml', SCENARIOS);
    dir.write('c.yaml', CONFIG);
    expect(scenarioFileKind('s.yaml', dir.path).kind).toBe('scenarios');
    expect(scenarioFileKind('c.yaml', dir.path).kind).toBe('llm-d-benchmark');
    const own = loadScenarios('s.yaml', { env: {}, cwd: dir.path });
    expect(own.kind === 'benchmark' && own.config).toBe(null);
    const config = loadScenarios('c.yaml', { env: {}, cwd: dir.path });
    expect(config.kind === 'benchmark' && config.config?.config.source).toBe('c.yaml');
    expect(config.kind === 'benchmark' && config.ownTarget).toBe("a config's endpoint");
  });
});

describe("a config's env entries", () => {
  test("join the suite's environment where it has none; process.env is left alone", () => {
    const dir = tempDir();
    dir.write('config.yaml', CONFIG);
    const env = { LOAD_SCENARIOS_TEST_KEPT: 'from-env', LOAD_SCENARIOS_TEST_EMPTY: '' };
    const suite = loadScenarios('config.yaml', { env, cwd: dir.path, bundled: false });
    if (suite.kind !== 'benchmark' || !suite.config) throw new Error('config.yaml was not read as a config');
    const { config } = suite;
    expect(suite.env.LOAD_SCENARIOS_TEST_SET).toBe('from-file');
    expect(suite.env.LOAD_SCENARIOS_TEST_KEPT).toBe('from-env');
    expect(config.run.envToSet).toEqual({ LOAD_SCENARIOS_TEST_SET: 'from-file' });
    expect(process.env.LOAD_SCENARIOS_TEST_SET).toBeUndefined();
    expect(env).toEqual({ LOAD_SCENARIOS_TEST_KEPT: 'from-env', LOAD_SCENARIOS_TEST_EMPTY: '' });
  });
});

describe('the embedded simulator is started by the caller', () => {
  test('openTarget without startSimulator on a simulator selection fails with one line, before anything starts', async () => {
    const dir = tempDir();
    const sel = resolveTarget({ cwd: dir.path, env: {} });
    expect(sel.kind).toBe('simulator');
    const err = await openTarget(sel).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BenchError);
    expect((err as BenchError).code).toBe('SIMULATOR_UNAVAILABLE');
  });
});
