/**
 * The `description` and `hooks` sections of an llm-d-benchmark existing_stack config
 * (llm-d/llm-d-benchmark existing_stack/config_template.yaml, where both are commented out;
 * run_only.sh reads them): accepted as written there, in the other shapes its readers tolerate,
 * with one clear error naming the path otherwise. Hook commands reach the shell unsubstituted.
 */
import { describe, expect, test } from 'vitest';
import { loadWellLitConfig, prepareWellLitRun } from '../../lib/config/well-lit/index.ts';
import { configErrorOf } from './config-error-of.ts';
import { tempDir } from './temp-dir.ts';

/** config_template.yaml (llm-d-benchmark 8bc9f1d), its description and hooks lines uncommented as they are. */
const TEMPLATE_SECTIONS = `description:                          # optional: user-defined metadata to help identify and organize results
  text: "My first benchmark test"     # free-text description of the experiment
  keywords:                           # tags / keywords for filtering results
    - benchmark
    - test_env
hooks:                            # optional: scripts to run on the harness pod between workloads
  pre_workload: "echo 'preparing for workload'"       # runs before each workload
  post_workload: "echo 'cleaning up after workload'"  # runs after each workload
`;

const WORKLOAD = `endpoint:
  base_url: http://127.0.0.1:8000
  model: Qwen/Qwen3-0.6B
workload:
  sanity_random:
    load: { type: constant, stages: [{ rate: 1, duration: 30 }] }
    api: { type: completion, streaming: true }
    data: { type: random, input_distribution: { mean: 10, min: 5, max: 20 }, output_distribution: { mean: 10, min: 5, max: 20 } }
`;

function load(text: string, env: Record<string, string> = {}) {
  const dir = tempDir();
  dir.write('config.yaml', text);
  return loadWellLitConfig('config.yaml', { cwd: dir.path, env });
}

describe('description and hooks sections', () => {
  test("llm-d-benchmark's template sections, uncommented, are read as written", () => {
    const c = load(TEMPLATE_SECTIONS + WORKLOAD);
    expect(c.description).toEqual({ text: 'My first benchmark test', keywords: ['benchmark', 'test_env'] });
    expect(c.hooks).toEqual({ pre_workload: "echo 'preparing for workload'", post_workload: "echo 'cleaning up after workload'" });
    const run = prepareWellLitRun(c, {});
    expect(run.hooks.pre_workload).toEqual({ hook: 'pre_workload', command: "echo 'preparing for workload'", source: 'config.yaml hooks.pre_workload' });
    expect(run.workloadOf('sanity_random')).toBe('sanity_random');
  });

  test('without them: no description, no hooks', () => {
    const c = load(WORKLOAD);
    expect(c.description).toBeNull();
    expect(prepareWellLitRun(c, {}).hooks).toEqual({});
  });

  test('other shapes: a plain string is the text; keywords as one comma-separated string; numbers as text; null is not set', () => {
    expect(load(`description: "  a run  "\n${WORKLOAD}`).description).toEqual({ text: 'a run', keywords: [] });
    expect(load(`description: { text: 2026, keywords: "kv-cache, p-d,,x" }\n${WORKLOAD}`).description).toEqual({ text: '2026', keywords: ['kv-cache', 'p-d', 'x'] });
    // Joined with commas and split again, as llm-d-benchmark passes them to its report.
    expect(load(`description: { keywords: [a, 'b,c', 1, true] }\n${WORKLOAD}`).description).toEqual({ text: null, keywords: ['a', 'b', 'c', '1', 'true'] });
    expect(load(`description: { text: null, keywords: null }\nhooks: { pre_workload: null, post_workload: "  " }\n${WORKLOAD}`)).toMatchObject({
      description: null,
      hooks: { pre_workload: null, post_workload: null },
    });
  });

  test('a wrong shape or an unknown key is one problem naming its path, with every other problem', () => {
    const message = configErrorOf(() => load(`description: { text: [x], tags: [a] }\nhooks: { pre_workload: [echo], after: x }\n${WORKLOAD}`));
    expect(message).toContain('  description.text: expected text\n');
    expect(message).toContain('  description.tags: unknown key\n');
    expect(message).toContain('  hooks.pre_workload: expected a shell command (a string)\n');
    expect(message.split('\n')).toContain('  hooks.after: unknown key');
  });

  test('hook commands are shell text: their variables are left to the shell, even unset ones', () => {
    const c = load(`hooks:\n  pre_workload: 'echo "\${UNSET_FOR_HOOK_TEST}" $HOME; for f in *.log; do echo $f; done'\n${WORKLOAD}`);
    expect(c.hooks.pre_workload).toBe('echo "${UNSET_FOR_HOOK_TEST}" $HOME; for f in *.log; do echo $f; done');
  });

  test('BENCH_PRE_WORKLOAD and BENCH_POST_WORKLOAD replace the file\'s hooks, as run_only.sh\'s --pre-workload and --post-workload do; empty is unset', () => {
    const c = load(TEMPLATE_SECTIONS + WORKLOAD);
    const run = prepareWellLitRun(c, { BENCH_PRE_WORKLOAD: 'date', BENCH_POST_WORKLOAD: '' });
    expect(run.hooks.pre_workload).toEqual({ hook: 'pre_workload', command: 'date', source: 'env BENCH_PRE_WORKLOAD' });
    expect(run.hooks.post_workload?.source).toBe('config.yaml hooks.post_workload');
    expect(prepareWellLitRun(load(WORKLOAD), { BENCH_POST_WORKLOAD: 'true' }).hooks).toEqual({ post_workload: { hook: 'post_workload', command: 'true', source: 'env BENCH_POST_WORKLOAD' } });
  });

  test('a harness matrix: every pair runs around its own test, named by its workload', () => {
    const dir = tempDir();
    dir.write('m.yaml', `hooks: { pre_workload: "true" }\nworkload:\n  grid:\n    concurrency: [1]\n    isl_osl: [[128, 128], [256, 128]]\n`);
    const c = loadWellLitConfig('m.yaml', { cwd: dir.path, env: { BENCH_BASE_URL: 'http://127.0.0.1:1' } });
    const run = prepareWellLitRun(c, {});
    const names = Object.keys(c.file.scenarios);
    expect(names.length).toBe(2);
    for (const n of names) expect(run.workloadOf(n)).toBe('grid');
  });
});
