/**
 * `$VAR` / `${VAR}` in a well-lit-path config, as the guides' `envsubst` step reads it: every
 * unset variable reported with every schema problem in one error, a variable used only where it
 * cannot matter (a replaced URL, a key accepted without effect) not required and named in the
 * report's notes, and no secret value in any message.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { chooseConfigTarget, loadWellLitConfig, prepareWellLitRun } from '../../lib/config/well-lit/index.ts';
import type { Env } from '../../lib/config/substitute.ts';
import { configErrorOf } from './config-error-of.ts';
import { tempDir } from './temp-dir.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GUIDE = 'examples/well-lit/inference_scheduling_guide_template.yaml';
const DATA = '{ type: random, input_distribution: { min: 8, max: 16, mean: 12, std_dev: 2 }, output_distribution: { min: 4, max: 8, mean: 6, std_dev: 1 } }';

function load(yaml: string, env: Env) {
  const dir = tempDir();
  dir.write('config.yaml', yaml);
  return loadWellLitConfig('config.yaml', { cwd: dir.path, env });
}

describe('substitution in a well-lit-path config', () => {
  test('$VAR and ${VAR} both substitute; a $ before no name stays', () => {
    const c = load(
      `
endpoint: { model: $MODEL, base_url: "http://\${HOST}:8000" }
workload:
  w:
    load: { stages: [{ rate: $RATE, duration: 10 }] }
    api: { type: completion, streaming: true, headers: { x-cost: "$5 per $(unit)" } }
    data: ${DATA}
`,
      { MODEL: 'Qwen/Qwen3-0.6B', HOST: 'gw.llm-d.svc', RATE: '3' },
    );
    expect(c.endpoint).toMatchObject({ model: 'Qwen/Qwen3-0.6B', baseUrl: 'http://gw.llm-d.svc:8000', headers: { 'x-cost': '$5 per $(unit)' } });
    expect(c.file.scenarios.w!.load).toMatchObject({ stages: [{ rate: 3, duration: 10 }] });
  });

  test('three unset variables and a schema problem are listed together in one error, with no repeat for the unsubstituted value', () => {
    const message = configErrorOf(() =>
      load(
        `
endpoint: { model: "\${MODEL}", base_url: "http://$GW:80" }
workload:
  w:
    load: { type: $LOAD_TYPE, stages: [{ rate: 2, duration: 10 }] }
    api: { type: completion, streaming: true }
    data: ${DATA}
    sevrer: { type: vllm }
`,
        {},
      ),
    );
    expect(message).toBe(
      [
        'config.yaml: 4 problems (nothing was run):',
        '  endpoint.model: environment variable MODEL is not set',
        '  endpoint.base_url: environment variable GW is not set (or set BENCH_BASE_URL or BENCH_TARGET, which replace this URL)',
        '  workload.w.load.type: environment variable LOAD_TYPE is not set',
        '  workload.w.sevrer: unknown key (did you mean "server"?)',
      ].join('\n'),
    );
  });

  test("the guide's template loads with only BENCH_BASE_URL set: its URL variables and its keys without effect are not needed, and the notes say so", () => {
    const env = { BENCH_BASE_URL: 'http://127.0.0.1:8000' };
    const c = loadWellLitConfig(GUIDE, { cwd: ROOT, env });
    expect(c.endpoint.baseUrl).toBeUndefined();
    expect(c.file.scenarios.Shared_prefix!.load.type).toBe('poisson');
    const choice = chooseConfigTarget(c, env, false);
    expect(choice.kind === 'config' && choice.selection.target.base_url).toBe('http://127.0.0.1:8000');

    const notes = prepareWellLitRun(c, env).notesFor('Shared_prefix');
    const note = (path: string) => notes.find((n) => n.path === path);
    const replaced = `${GUIDE}: accepted, no effect (GATEWAY_SVC and NAMESPACE are not set, which does not matter: env BENCH_BASE_URL replaces this URL)`;
    expect(note('endpoint.base_url')).toEqual({ path: 'endpoint.base_url', value: 'http://${GATEWAY_SVC}.${NAMESPACE}.svc.cluster.local:80', source: replaced });
    expect(note('workload.Shared_prefix.server.base_url')?.source).toBe(replaced);
    expect(note('harness.results_pvc')).toMatchObject({ value: '${BENCHMARK_PVC}', source: expect.stringMatching(/; BENCHMARK_PVC is not set, which does not matter here\)$/) });
    expect(note('endpoint.namespace')?.source).toMatch(/; NAMESPACE is not set, which does not matter here\)$/);
    expect(note('harness.namespace')?.source).toMatch(/; NAMESPACE is not set, which does not matter here\)$/);
    expect(note('control.work_dir')).toMatchObject({ value: '$HOME/llm-d-bench-work', source: expect.stringMatching(/HOME is not set/) });
  });

  test('BENCH_TARGET and BENCH_PROVISION replace the URL too; a set variable is substituted where an unset one would not matter', () => {
    for (const env of [{ BENCH_TARGET: 'vllm' }, { BENCH_PROVISION: 'examples/standalone/vllm-standalone.yaml' }]) {
      const c = loadWellLitConfig(GUIDE, { cwd: ROOT, env: { ...env, NAMESPACE: 'llm-d', HOME: '/home/u' } });
      expect(c.ignored.find((i) => i.path === 'endpoint.base_url')?.value).toBe('http://${GATEWAY_SVC}.llm-d.svc.cluster.local:80');
      expect(c.ignored.find((i) => i.path === 'harness.namespace')).toMatchObject({ value: 'llm-d', reason: expect.not.stringMatching(/not set/) });
      expect(c.ignored.find((i) => i.path === 'control.work_dir')?.value).toBe('/home/u/llm-d-bench-work');
    }
  });

  test('a value anchored in a key without effect but used through an alias where it matters is required', () => {
    const yaml = `
endpoint: { namespace: &m "\${MODEL}", model: *m, base_url: http://gw:80 }
workload:
  w:
    load: { stages: [{ rate: 2, duration: 10 }] }
    api: { type: completion, streaming: true }
    data: ${DATA}
`;
    expect(configErrorOf(() => load(yaml, { BENCH_BASE_URL: 'http://127.0.0.1:1' }))).toBe(
      'config.yaml: endpoint.namespace: environment variable MODEL is not set (the value is used at endpoint.model)',
    );
  });

  test('an inference-perf file: its server.base_url is not needed when BENCH_BASE_URL replaces it', () => {
    const yaml = `
load: { stages: [{ rate: 2, duration: 10 }] }
api: { type: completion, streaming: true }
server: { type: vllm, model_name: m, base_url: "\${VLLM_URL}" }
data: ${DATA}
`;
    const c = load(yaml, { BENCH_BASE_URL: 'http://127.0.0.1:1' });
    expect(c.ignored.find((i) => i.path === 'server.base_url')).toMatchObject({ value: '${VLLM_URL}', reason: 'VLLM_URL is not set, which does not matter: env BENCH_BASE_URL replaces this URL' });
    expect(configErrorOf(() => load(yaml, {}))).toMatch(/server\.base_url: environment variable VLLM_URL is not set \(or set BENCH_BASE_URL/);
  });

  test("a secret-named variable's value appears in no error and no note", () => {
    const secret = 'sk-live-SUBST-DO-NOT-LEAK-4e1b';
    const yaml = (type: string) => `
endpoint: { model: m, base_url: "http://gw:80", namespace: "$MY_API_KEY-$UNSET_NS" }
workload:
  w:
    load: { type: ${type}, stages: [{ rate: 2, duration: 10 }] }
    api: { type: completion, streaming: true, headers: { Authorization: "Bearer \${MY_API_KEY} \${TRACE_ID}" } }
    data: ${DATA}
`;
    const message = configErrorOf(() => load(yaml('$MY_API_KEY'), { MY_API_KEY: secret }));
    expect(message).toContain('workload.w.api.headers.Authorization: environment variable TRACE_ID is not set');
    expect(message).toContain('workload.w.load.type: expected');
    expect(message).toContain('***');
    expect(message).not.toContain(secret);

    const c = load(yaml('constant'), { MY_API_KEY: secret, TRACE_ID: 't1' });
    expect(c.secrets).toContain(secret);
    expect(c.ignored.find((i) => i.path === 'endpoint.namespace')?.value).toBe('***-$UNSET_NS');
    expect(JSON.stringify(prepareWellLitRun(c, {}).notesFor('w'))).not.toContain(secret);
  });
});
