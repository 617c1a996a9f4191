/**
 * `loadScenarios(from, file?)` as tests call it: the YAML beside the test (`<file>.yaml`, no
 * folder fallback), a path relative to the test's folder, a path or URL; the reader chosen by the
 * file's keys. And the one-line errors of a ref given to the wrong runner.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { defineScenario, loadScenarios, type ScenarioRef } from 'vitest-llm-d';
import { Actuation } from '../../fixtures/actuation.ts';
import { Bench } from '../../fixtures/bench.ts';
import type { ClusterConnection } from '../../lib/k8s/connect.ts';
import { packagePath } from '../../lib/package/paths.ts';
import { createRunInfo } from '../../lib/report/run-info.ts';
import type { OpenedTarget } from '../../lib/scenario/open.ts';
import { tempDir } from '../config/temp-dir.ts';

const SCENARIOS = 'scenarios:\n  one: { num_requests: 2, load: { type: concurrency, concurrency: 1 }, data: { type: synthetic, prompt_tokens: [8], max_tokens: [4] } }\n';

function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('nothing was thrown');
}

afterEach(() => vi.unstubAllEnvs());

describe('where loadScenarios reads', () => {
  test('import.meta.url: <file>.yaml beside the test file (.test/.spec and the extension stripped)', () => {
    const dir = tempDir();
    const yaml = dir.write('bench/my.yaml', SCENARIOS);
    dir.write('bench/bench.yaml', SCENARIOS.replace('one:', 'folder:'));
    const s = loadScenarios(pathToFileURL(join(dir.path, 'bench/my.test.ts')).href);
    expect(s.names).toEqual(['one']);
    expect(s.source).toBe(yaml);
    expect(s.scenario('one')).toMatchObject({ kind: 'benchmark', name: 'one', source: yaml });
  });

  test('a missing <file>.yaml is one error naming the path looked for; the folder file is not used instead', () => {
    const dir = tempDir();
    dir.write('bench/bench.yaml', SCENARIOS);
    const message = thrown(() => loadScenarios(pathToFileURL(join(dir.path, 'bench/other.spec.ts')).href));
    expect(message).toBe(`${join(dir.path, 'bench/other.yaml')}: file not found (loadScenarios(import.meta.url) reads <test file>.yaml beside the test; name another file as its second argument)`);
    // A file the test names is not found as itself, without the hint.
    expect(thrown(() => loadScenarios(pathToFileURL(join(dir.path, 'bench/other.spec.ts')).href, 'gone.yaml'))).toBe(`${join(dir.path, 'bench/gone.yaml')}: file not found`);
  });

  test('a file name is relative to the test file\'s folder; a path is relative to the working directory; a URL is that file', () => {
    const dir = tempDir();
    const shared = dir.write('shared/s.yaml', SCENARIOS);
    expect(loadScenarios(pathToFileURL(join(dir.path, 'bench/my.test.ts')).href, '../shared/s.yaml').source).toBe(shared);
    expect(loadScenarios('suites/smoke/smoke.yaml').source).toBe('suites/smoke/smoke.yaml');
    expect(loadScenarios(pathToFileURL(shared)).source).toBe(shared);
  });

  test('an unknown scenario name lists the known ones', () => {
    expect(thrown(() => loadScenarios('suites/smoke/smoke.yaml').scenario('nope'))).toBe('suites/smoke/smoke.yaml: scenarios: no scenario "nope" (scenarios: one_completion)');
  });
});

describe('which reader reads it, by its keys', () => {
  test('an actuation file gives actuation refs', () => {
    const a = loadScenarios('suites/actuation/actuation.yaml');
    expect(a.scenario('baseline')).toMatchObject({ kind: 'actuation', name: 'baseline', config: null });
  });

  test('a config users already have: its workloads, and the test timeout its waits ask for', () => {
    const c = loadScenarios(packagePath('examples/well-lit/config.yaml'));
    expect(c.source).toBe('examples/well-lit/config.yaml');
    expect(c.names.length).toBeGreaterThan(1);
    expect(c.scenario(c.names[0]!).kind).toBe('benchmark');
  });

  test('a missing file named by BENCH_CONFIG says so', () => {
    const missing = join(tempDir().path, 'config.yaml');
    vi.stubEnv('BENCH_CONFIG', missing);
    expect(thrown(() => loadScenarios(process.env.BENCH_CONFIG!))).toBe(`${missing}: file not found (named by BENCH_CONFIG)`);
  });
});

describe('a ref given to the wrong runner: one line saying what to do', () => {
  const task = { meta: {}, file: { filepath: '/x/bench/my.test.ts' } } as unknown as ConstructorParameters<typeof Bench>[1];
  const bench = new Bench({} as OpenedTarget, task, createRunInfo(), new AbortController().signal, [], () => {
    throw new Error('skipped');
  });
  const actuation = new Actuation({} as ClusterConnection, task, 'run-1', {});

  test('bench.run of an actuation scenario', () => {
    const ref = loadScenarios('suites/actuation/actuation.yaml').scenario('baseline');
    expect(thrown(() => bench.run(ref))).toBe('bench.run: scenario "baseline" of suites/actuation/actuation.yaml is an actuation scenario: run it with actuation.run(ref)');
  });

  test('actuation.run of a benchmark scenario', () => {
    const ref = defineScenario({ name: 'small', num_requests: 2, load: { type: 'concurrency', concurrency: 1 }, data: { type: 'synthetic', prompt_tokens: [8], max_tokens: [4] } });
    expect(thrown(() => actuation.run(ref))).toBe('actuation.run: scenario "small" of defineScenario "small" is a benchmark scenario: run it with bench.run(ref)');
  });

  test("bench.run, in vitest-llm-d's test, of a file that chooses its own target", () => {
    const ref = loadScenarios('suites/multi-model/multi-model.yaml').scenario('every_model');
    expect(thrown(() => bench.run(ref))).toBe(
      "bench.run: scenario \"every_model\" of suites/multi-model/multi-model.yaml chooses its own target (its simulator: section): run it in a test of that file's own `test` (const s = loadScenarios(...); s.test(...)), not of vitest-llm-d's test",
    );
    const config = loadScenarios(packagePath('examples/well-lit/config.yaml'));
    expect(thrown(() => bench.run(config.scenario(config.names[0]!)))).toMatch(/chooses its own target \(a config's endpoint\)/);
  });

  test('bench.run of something that is not a scenario ref', () => {
    const fake = { suite: { name: 'x' }, name: 'one' } as unknown as ScenarioRef;
    expect(thrown(() => bench.run(fake))).toBe('bench.run takes a scenario from loadScenarios(...).scenario(name) or defineScenario({...}), got an object with keys suite, name');
  });
});
