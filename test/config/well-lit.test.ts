/**
 * Well-lit-path configs read as is: the checked-in examples (llm-d-benchmark's config.yaml, the
 * inference-scheduling guide's template, a harness matrix) and each section's translation into
 * scenarios and an endpoint.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadWellLitConfig, PROMPTS_PER_CONCURRENCY } from '../../lib/config/well-lit/index.ts';
import { configErrorOf } from './config-error-of.ts';
import { tempDir } from './temp-dir.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GUIDE_ENV = { NAMESPACE: 'llm-d', GATEWAY_SVC: 'infra-inference-scheduling-inference-gateway', BENCHMARK_PVC: 'workload-pvc' };

/** Loads YAML text written to a temporary config.yaml. */
function load(yaml: string, env: Record<string, string> = {}) {
  const dir = tempDir();
  dir.write('config.yaml', yaml);
  return loadWellLitConfig('config.yaml', { cwd: dir.path, env });
}

/** A file with one inference-perf workload `w` (YAML lines indented under it) against one endpoint. */
function oneWorkload(body: string): string {
  return `endpoint:\n  model: Qwen/Qwen3-0.6B\n  base_url: http://gw.llm-d.svc:80\nworkload:\n  w:\n${body.replace(/^/gm, '    ')}\n`;
}

const RANDOM = 'data:\n  type: random\n  input_distribution: { min: 10, max: 100, mean: 50, std_dev: 10 }\n  output_distribution: { min: 10, max: 100, mean: 50, std_dev: 10 }';

describe('the checked-in examples', () => {
  test("llm-d-benchmark's config.yaml: both workloads, in file order, with the endpoint, env and harness", () => {
    const c = loadWellLitConfig('examples/well-lit/config.yaml', { cwd: ROOT, env: {} });
    expect(c.source).toBe('examples/well-lit/config.yaml');
    expect(c.harness).toBe('inference-perf');
    expect(c.endpoint).toMatchObject({
      name: 'inference-scheduling-Qwen3-0.6B',
      baseUrl: 'http://infra-inference-scheduling-inference-gateway.dean-ns.svc.cluster.local:80',
      model: 'Qwen/Qwen3-0.6B',
      backend: 'vllm',
      ignoreEos: true,
    });
    expect(c.env).toEqual([{ name: 'RAYON_NUM_THREADS', value: '4' }]);
    expect(c.waitTimeoutS).toBe(600);
    expect(Object.keys(c.file.scenarios)).toEqual(['sanity_random', 'shared_prefix_synthetic']);
    expect(c.file.scenarios.sanity_random).toMatchObject({
      api: 'completions',
      stream: true,
      warmup_requests: 0,
      // As inference-perf: every stage runs (no stop rules), and requests in flight are awaited, never cut.
      stop: false,
      load: { type: 'constant', stages: [{ rate: 1, duration: 30 }], drain_timeout: 300 },
      // No request_timeout: inference-perf's client keeps aiohttp's default, 300 s for the whole request.
      timeouts: { total_s: 300, first_token_s: 300, idle_s: 300, connect_s: 30 },
      data: {
        type: 'random',
        input_distribution: { min: 10, max: 100, mean: 50, std: 10 },
        output_distribution: { min: 10, max: 100, mean: 50, std: 10 },
        total_count: 100,
      },
    });
    const shared = c.file.scenarios.shared_prefix_synthetic!;
    expect(shared.load).toMatchObject({ type: 'constant', stages: [2, 5, 8, 10, 12, 15, 20].map((rate) => ({ rate, duration: 50 })) });
    expect(shared.data).toEqual({ type: 'shared_prefix', num_groups: 32, num_prompts_per_group: 32, system_prompt_len: 2048, question_len: 256, output_len: 256 });
  });

  test('its accepted-without-effect keys are listed with their values and reasons; std is noted as read as std_dev', () => {
    const c = loadWellLitConfig('examples/well-lit/config.yaml', { cwd: ROOT, env: {} });
    expect(c.ignored.filter((i) => i.workload === undefined).map((i) => i.path)).toEqual([
      'endpoint.namespace',
      'endpoint.hf_token_secret',
      'endpoint.model_pvc',
      'control.work_dir',
      'control.kubectl',
      'harness.results_pvc',
      'harness.namespace',
      'harness.image',
    ]);
    expect(c.ignored.find((i) => i.path === 'workload.sanity_random.report.request_lifecycle.per_request')?.reason).toMatch(/requests\.jsonl has every request; per_request: false does not suppress it/);
    expect(c.ignored.find((i) => i.path === 'workload.shared_prefix_synthetic.storage.local_storage')).toMatchObject({ value: { path: '/workspace' }, workload: 'shared_prefix_synthetic' });
    expect(c.scenarios.sanity_random!.notes.map((n) => n.path)).toEqual(
      expect.arrayContaining(['workload.sanity_random.data.input_distribution.std', 'workload.sanity_random.data.output_distribution.std']),
    );
  });

  test("the inference-scheduling guide's template runs as is once its ${VAR}s are set, as envsubst would", () => {
    const c = loadWellLitConfig('examples/well-lit/inference_scheduling_guide_template.yaml', { cwd: ROOT, env: GUIDE_ENV });
    expect(c.endpoint).toMatchObject({ name: 'inf-scheduling-Qwen3-32B', baseUrl: 'http://infra-inference-scheduling-inference-gateway.llm-d.svc.cluster.local:80', model: 'Qwen/Qwen3-32B' });
    expect(c.waitTimeoutS).toBe(6000);
    const s = c.file.scenarios.Shared_prefix!;
    expect(s.load.type).toBe('poisson');
    expect(s.load).toMatchObject({ stages: expect.arrayContaining([{ rate: 15, duration: 50 }, { rate: 60, duration: 25 }]) });
    expect((s.load as { stages: unknown[] }).stages).toHaveLength(17);
    expect(s.data).toEqual({ type: 'shared_prefix', num_groups: 150, num_prompts_per_group: 5, system_prompt_len: 6000, question_len: 1200, output_len: 1000 });
    // Only the URL needs its variables: NAMESPACE elsewhere and BENCHMARK_PVC sit in keys accepted without effect.
    expect(configErrorOf(() => loadWellLitConfig('examples/well-lit/inference_scheduling_guide_template.yaml', { cwd: ROOT, env: {} }))).toBe(
      [
        'examples/well-lit/inference_scheduling_guide_template.yaml: 2 problems (nothing was run):',
        '  endpoint.base_url: environment variable GATEWAY_SVC is not set (or set BENCH_BASE_URL or BENCH_TARGET, which replace this URL)',
        '  endpoint.base_url: environment variable NAMESPACE is not set (or set BENCH_BASE_URL or BENCH_TARGET, which replace this URL)',
      ].join('\n'),
    );
  });

  test('the harness matrix: one concurrency sweep per [input, output] pair over the chat API', () => {
    const c = loadWellLitConfig('examples/well-lit/matrix.yaml', { cwd: ROOT, env: {} });
    expect(c.harness).toBe('vllm-benchmark');
    expect(Object.keys(c.file.scenarios)).toEqual(['isl_osl_matrix.isl1024_osl1024', 'isl_osl_matrix.isl1024_osl8192', 'isl_osl_matrix.isl8192_osl1024']);
    expect(c.file.scenarios['isl_osl_matrix.isl8192_osl1024']).toMatchObject({
      api: 'chat',
      stream: true,
      num_requests: 128,
      stop: false,
      load: { type: 'sweep', concurrency: [1, 8, 32, 64] },
      data: { type: 'isl_osl', pairs: [[8192, 1024]] },
    });
  });
});

describe('translation, section by section', () => {
  test('api.type completion → completions, chat → chat; streaming → stream, default false as inference-perf; `api: chat` shorthand', () => {
    const run = (api: string) => load(oneWorkload(`load: { stages: [{ rate: 1, duration: 5 }] }\n${api}\n${RANDOM}`)).file.scenarios.w!;
    expect(run('api: { type: completion, streaming: true }')).toMatchObject({ api: 'completions', stream: true });
    expect(run('api: { type: chat }')).toMatchObject({ api: 'chat', stream: false });
    expect(run('api: chat')).toMatchObject({ api: 'chat', stream: false });
    const noApi = load(oneWorkload(`load: { stages: [{ rate: 1, duration: 5 }] }\n${RANDOM}`));
    expect(noApi.file.scenarios.w).toMatchObject({ api: 'completions', stream: false });
    expect(noApi.scenarios.w!.notes[0]).toMatchObject({ path: 'workload.w.api', source: expect.stringContaining("inference-perf's default, completion without streaming") });
  });

  test('load: constant and poisson stages map directly (type constant by default); base_seed seeds arrivals and prompts; request_timeout bounds the whole request, as aiohttp does', () => {
    const c = load(oneWorkload(`load:\n  type: poisson\n  base_seed: 7\n  request_timeout: 90\n  stages: [{ rate: 2.5, duration: 10 }, { rate: 5, duration: 20 }]\n${RANDOM}`));
    expect(c.file.scenarios.w).toMatchObject({
      load: { type: 'poisson', seed: 7, stages: [{ rate: 2.5, duration: 10 }, { rate: 5, duration: 20 }], drain_timeout: 90 },
      data: { seed: 7 },
      // inference-perf gives aiohttp ClientTimeout(total=request_timeout): no separate first-token or idle limit.
      timeouts: { total_s: 90, first_token_s: 90, idle_s: 90, connect_s: 90 },
    });
    expect(load(oneWorkload(`load: { stages: [{ rate: 1, duration: 5 }] }\n${RANDOM}`)).file.scenarios.w!.load).toMatchObject({ type: 'constant' });
  });

  test('concurrent stages: one sweep when every stage sends the same count, one scenario per stage otherwise, a concurrency load for one stage', () => {
    const same = load(oneWorkload(`load:\n  type: concurrent\n  stages: [{ concurrency_level: 1, num_requests: 32 }, { concurrency_level: 4, num_requests: 32 }]\n${RANDOM}`));
    expect(same.file.scenarios.w).toMatchObject({ num_requests: 32, load: { type: 'sweep', concurrency: [1, 4] } });

    const differ = load(oneWorkload(`load:\n  type: concurrent\n  stages: [{ concurrency_level: 1, num_requests: 32 }, { concurrency_level: 8, num_requests: 256 }]\n${RANDOM}`));
    expect(Object.keys(differ.file.scenarios)).toEqual(['w.c1', 'w.c8']);
    expect(differ.file.scenarios['w.c8']).toMatchObject({ num_requests: 256, load: { type: 'concurrency', concurrency: 8 } });
    expect(differ.scenarios['w.c8']!.notes.at(-1)).toMatchObject({ path: 'workload.w.load.stages[1]', source: expect.stringContaining('run as its own scenario') });

    const one = load(oneWorkload(`load:\n  type: concurrent\n  stages: [{ concurrency_level: 16, num_requests: 100 }]\n${RANDOM}`));
    expect(one.file.scenarios.w).toMatchObject({ num_requests: 100, load: { type: 'concurrency', concurrency: 16 } });
  });

  test("a stage's fields must fit its load type, as inference-perf's stage models say", () => {
    const msg = configErrorOf(() => load(oneWorkload(`load:\n  type: concurrent\n  stages: [{ rate: 1, concurrency_level: 2 }]\n${RANDOM}`)));
    expect(msg).toBe('config.yaml: workload.w.load.stages[0].num_requests: required by a concurrent load');
    expect(configErrorOf(() => load(oneWorkload(`load:\n  type: poisson\n  stages: [{ rate: 1, duration: 2, num_requests: 5 }]\n${RANDOM}`)))).toBe(
      'config.yaml: workload.w.load.stages[0].num_requests: belongs to concurrent stages; a poisson stage has rate and duration',
    );
    // ConcurrentLoadStage accepts rate and duration, and inference-perf's main.py overwrites them.
    const c = load(oneWorkload(`load:\n  type: concurrent\n  stages: [{ rate: 1, duration: 30, concurrency_level: 2, num_requests: 8 }]\n${RANDOM}`));
    expect(c.file.scenarios.w).toMatchObject({ num_requests: 8, load: { type: 'concurrency', concurrency: 2 } });
    expect(c.scenarios.w!.notes.filter((n) => n.path.startsWith('workload.w.load.stages[0]')).map((n) => [n.path, n.value, n.source.includes('accepted, no effect')])).toEqual([
      ['workload.w.load.stages[0].rate', 1, true],
      ['workload.w.load.stages[0].duration', 30, true],
    ]);
  });

  test("random data: std read as std_dev (noted), variance as its square, the type kept, inference-perf's defaults otherwise; total_count from the input distribution", () => {
    const c = load(
      oneWorkload(
        'load: { stages: [{ rate: 1, duration: 5 }] }\ndata:\n  type: random\n  input_distribution: { min: 10, max: 100, mean: 50, variance: 100, total_count: 20 }\n  output_distribution: { type: fixed, min: 1, max: 64, mean: 32, total_count: 20 }',
      ),
    );
    expect(c.file.scenarios.w!.data).toEqual({
      type: 'random',
      input_distribution: { type: 'normal', min: 10, max: 100, mean: 50, std: 10 },
      output_distribution: { type: 'fixed', min: 1, max: 64, mean: 32, std: 200 },
      total_count: 20,
    });
    const defaults = load(oneWorkload('load: { stages: [{ rate: 1, duration: 5 }] }\ndata:\n  type: random\n  input_distribution: {}\n  output_distribution: { mean: 100 }'));
    expect(defaults.file.scenarios.w!.data).toMatchObject({ input_distribution: { type: 'normal', min: 10, max: 1024, mean: 512, std: 200 }, output_distribution: { mean: 100, std: 200 } });
    // What generate_distribution cannot draw is refused as inference-perf raises for it.
    expect(configErrorOf(() => load(oneWorkload('load: { stages: [{ rate: 1, duration: 5 }] }\ndata:\n  type: random\n  input_distribution: { type: skew_normal, skew: 2 }\n  output_distribution: { mean: 100 }')))).toBe(
      'config.yaml: workload.w.data.input_distribution.type: type skew_normal is not drawn here (inference-perf draws normal, lognormal, uniform, fixed for this data)',
    );
    expect(configErrorOf(() => load(oneWorkload('load: { stages: [{ rate: 1, duration: 5 }] }\ndata:\n  type: random\n  input_distribution: { total_count: 10 }\n  output_distribution: { total_count: 20 }')))).toContain(
      'workload.w.data.output_distribution.total_count: 20 differs from input_distribution.total_count (10)',
    );
  });

  test("shared_prefix data, with inference-perf's aliases and defaults; shareGPT data needs a path", () => {
    const c = load(oneWorkload('load: { stages: [{ rate: 1, duration: 5 }] }\ndata:\n  type: shared_prefix\n  shared_prefix: { num_unique_system_prompts: 4, num_users_per_system_prompt: 3, seed: 11 }'));
    expect(c.file.scenarios.w!.data).toEqual({ type: 'shared_prefix', num_groups: 4, num_prompts_per_group: 3, system_prompt_len: 100, question_len: 50, output_len: 50, seed: 11 });
    expect(configErrorOf(() => load(oneWorkload('load: { stages: [{ rate: 1, duration: 5 }] }\ndata: { type: shareGPT }')))).toContain(
      'workload.w.data.path: required: inference-perf downloads anon8231489123/ShareGPT_Vicuna_unfiltered (file ShareGPT_V3_unfiltered_cleaned_split.json) from Hugging Face; nothing is downloaded here',
    );
  });

  test('server and endpoint make one endpoint: model_name, type, ignore_eos, headers; a disagreement is an error', () => {
    const c = load(
      `endpoint: { stack_name: "my stack/1", base_url: http://gw:80 }\nworkload:\n  a:\n    load: { stages: [{ rate: 1, duration: 5 }] }\n    api: { type: chat, headers: { x-route: blue } }\n    server: { type: sglang, model_name: m, base_url: http://gw:80/, ignore_eos: false }\n    ${RANDOM.replace(/\n/g, '\n    ')}\n`,
    );
    expect(c.endpoint).toMatchObject({ name: 'my-stack-1', baseUrl: 'http://gw:80', model: 'm', backend: 'sglang', ignoreEos: false, headers: { 'x-route': 'blue' } });
    const msg = configErrorOf(() =>
      load(`endpoint: { base_url: http://gw:80, model: m1 }\nworkload:\n  a:\n    load: { stages: [{ rate: 1, duration: 5 }] }\n    server: { base_url: http://other:80, model_name: m2 }\n    ${RANDOM.replace(/\n/g, '\n    ')}\n`),
    );
    expect(msg).toContain('workload.a.server.base_url: "http://other:80" differs from endpoint.base_url ("http://gw:80"): one config runs against one endpoint');
    expect(msg).toContain('workload.a.server.model_name: "m2" differs from endpoint.model ("m1")');
  });

  test('a harness matrix at the top level is the one workload, named matrix; num_requests defaults to 10 per unit of the largest level', () => {
    const c = load('endpoint: { base_url: http://gw:80 }\nconcurrency: [2, 4]\nisl_osl: [[128, 16]]\n');
    expect(c.file.scenarios['matrix.isl128_osl16']).toMatchObject({
      api: 'completions',
      stream: true,
      num_requests: PROMPTS_PER_CONCURRENCY * 4,
      load: { type: 'sweep', concurrency: [2, 4] },
    });
    expect(c.scenarios['matrix.isl128_osl16']!.notes[0]).toMatchObject({ path: 'num_requests', value: 40 });
    expect(configErrorOf(() => load('concurrency: [1]\nisl_osl: [[1, 1]]\nworkload: {}\n'))).toContain('cannot sit beside a workload section');
  });

  test('harness: inference-perf workloads need the inference-perf harness; parallelism must be 1; wait_timeout is kept', () => {
    expect(configErrorOf(() => load(`harness: { name: guidellm }\n${oneWorkload(`load: { stages: [{ rate: 1, duration: 5 }] }\n${RANDOM}`)}`))).toBe(
      'config.yaml: harness.name: "guidellm": not supported (only inference-perf workloads and harness-matrix entries are run; w would be read as inference-perf workloads)',
    );
    expect(configErrorOf(() => load(`harness: { name: inference-perf, parallelism: 4 }\n${oneWorkload(`load: { stages: [{ rate: 1, duration: 5 }] }\n${RANDOM}`)}`))).toBe(
      'config.yaml: harness.parallelism: only 1 is supported (one process sends the whole load)',
    );
    expect(load(`harness: { name: inference-perf, wait_timeout: 0 }\n${oneWorkload(`load: { stages: [{ rate: 1, duration: 5 }] }\n${RANDOM}`)}`).waitTimeoutS).toBeNull();
  });

  test('env entries: values become strings; a missing value is an error', () => {
    const c = load(`env:\n  - { name: A, value: 4 }\n  - { name: B, value: true }\n${oneWorkload(`load: { stages: [{ rate: 1, duration: 5 }] }\n${RANDOM}`)}`);
    expect(c.env).toEqual([{ name: 'A', value: '4' }, { name: 'B', value: 'true' }]);
    expect(configErrorOf(() => load(`env:\n  - { name: A }\n${oneWorkload(`load: { stages: [{ rate: 1, duration: 5 }] }\n${RANDOM}`)}`))).toBe('config.yaml: env[0].value: required');
  });

  test('a file without workloads, and workload names that cannot be test names, are errors', () => {
    expect(configErrorOf(() => load('endpoint: { base_url: http://gw:80 }\n'))).toContain('no workloads');
    expect(configErrorOf(() => load(`workload:\n  "my workload":\n    load: { stages: [{ rate: 1, duration: 5 }] }\n    ${RANDOM.replace(/\n/g, '\n    ')}\n`))).toContain(
      'workload["my workload"]: workload names become test names',
    );
  });
});
