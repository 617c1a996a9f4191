/**
 * inference-perf's own config file (what `inference-perf --config_file` runs: `load`, `api`,
 * `server`, `tokenizer`, `data`, `report`, `storage`, `metrics` at the top level) read as
 * inference-perf reads it: one workload named after the file, `null` as "not set", worker-pool
 * keys accepted without effect, and its Prometheus and S3 settings used for the run.
 */
import { describe, expect, test } from 'vitest';
import { loadWellLitConfig, prepareWellLitRun } from '../../lib/config/well-lit/index.ts';
import { configErrorOf } from './config-error-of.ts';
import { tempDir } from './temp-dir.ts';

function load(yaml: string, name = 'config-random.yml', env: Record<string, string> = {}) {
  const dir = tempDir();
  dir.write(name, yaml);
  return loadWellLitConfig(name, { cwd: dir.path, env });
}

/** inference-perf's examples/vllm/config-random.yml at 7de5ef2, verbatim. */
const CONFIG_RANDOM = `load:
  type: constant
  stages:
  - rate: 1
    duration: 30
api: 
  type: completion
server:
  type: vllm
  model_name: HuggingFaceTB/SmolLM2-135M-Instruct
  base_url: http://0.0.0.0:8000
  ignore_eos: true
tokenizer:
  pretrained_model_name_or_path: HuggingFaceTB/SmolLM2-135M-Instruct
data:
  type: random
  input_distribution:
    min: 10             # min length of the synthetic prompts
    max: 100            # max length of the synthetic prompts
    mean: 50            # mean length of the synthetic prompts
    std_dev: 10         # standard deviation of the length of the synthetic prompts
  output_distribution:
    min: 10             # min length of the output to be generated
    max: 100            # max length of the output to be generated
    mean: 50            # mean length of the output to be generated
    std_dev: 10         # standard deviation of the length of the output to be generated
metrics:
  type: prometheus
  prometheus:
    url: http://localhost:9090
    scrape_interval: 15
report:
  request_lifecycle:
    summary: true
    per_stage: true
    per_request: true
`;

const RANDOM = 'data: { type: random, input_distribution: { min: 10, max: 100, mean: 50, std_dev: 10 }, output_distribution: { min: 10, max: 100, mean: 50, std_dev: 10 } }\n';

describe("inference-perf's own config file", () => {
  test('is one workload at the top level, named after the file, against its server', () => {
    const c = load(CONFIG_RANDOM);
    expect(Object.keys(c.file.scenarios)).toEqual(['config-random']);
    expect(c.scenarios['config-random']).toMatchObject({ origin: '', workload: 'config-random' });
    expect(c.endpoint).toMatchObject({ name: 'config-random', baseUrl: 'http://0.0.0.0:8000', baseUrlPath: 'server.base_url', model: 'HuggingFaceTB/SmolLM2-135M-Instruct', backend: 'vllm', ignoreEos: true });
    expect(c.file.scenarios['config-random']).toMatchObject({
      api: 'completions',
      stream: false,
      data: { type: 'random', input_distribution: { min: 10, max: 100, mean: 50, std: 10 }, output_distribution: { min: 10, max: 100, mean: 50, std: 10 } },
    });
    expect(c.file.scenarios['config-random']!.load).toMatchObject({ stages: [{ rate: 1, duration: 30 }] });
  });

  test('its paths are its own (no workload prefix), in problems and in the report notes', () => {
    const c = load(CONFIG_RANDOM);
    const notes = prepareWellLitRun(c, {}).notesFor('config-random');
    expect(notes.map((n) => n.path)).toEqual(expect.arrayContaining(['report.request_lifecycle.summary', 'tokenizer.pretrained_model_name_or_path', 'env.BENCH_PROMETHEUS_URL']));
    expect(notes.find((n) => n.path === 'report.request_lifecycle.per_request')?.source).toMatch(/accepted, no effect/);
    expect(configErrorOf(() => load('load: { type: constant, stages: [{ rate: 1, duration: 1 }], sweep: { type: linear } }\n' + RANDOM))).toBe(
      "config-random.yml: load.sweep: not supported (inference-perf's automatic rate sweep is not supported: list the stages, or use a sweep or search load in a scenario file)",
    );
    expect(configErrorOf(() => load('load: { type: constant, stages: [{ rate: 1, duration: 1 }] }\nserver: { base_url: http://x:1, bas_url: y }\n' + RANDOM))).toBe(
      'config-random.yml: server.bas_url: unknown key (did you mean "base_url"?)',
    );
  });

  test('a file name that is no test name is made one; a top-level workload beside a workload section is an error', () => {
    const c = load('load: { stages: [{ rate: 1, duration: 1 }] }\nserver: { base_url: http://x:1 }\n' + RANDOM, 'my config (v2).yaml');
    expect(Object.keys(c.file.scenarios)).toEqual(['my-config-v2']);
    expect(configErrorOf(() => load(`load: { stages: [{ rate: 1, duration: 1 }] }\n${RANDOM}workload:\n  w:\n    load: { stages: [{ rate: 1, duration: 1 }] }\n    ${RANDOM}`))).toContain(
      'load: an inference-perf workload at the top level cannot sit beside a workload section: move it into workload.<name>',
    );
  });

  test('a missing load or data names what inference-perf would have done', () => {
    const msg = configErrorOf(() => load('server: { base_url: http://x:1 }\n'));
    expect(msg).toContain("load: required (inference-perf's default load has no stages: nothing would be sent)");
    expect(msg).toContain('data: required (inference-perf\'s default is its mock prompt, "1 2 3 <i>", which is not supported');
  });
});

describe('null is "not set", as in pydantic', () => {
  test('explicit nulls on optional fields are the defaults', () => {
    const c = load(
      'load:\n  type: constant\n  request_timeout: null\n  base_seed: null\n  stages:\n  - { rate: 2, duration: 3, num_requests: null, concurrency_level: null }\napi: { type: chat, streaming: null, headers: null }\nserver: { base_url: http://x:1, model_name: null, api_key: null }\ntokenizer: null\nreport:\nstorage:\n' +
        RANDOM,
    );
    const s = c.file.scenarios['config-random']!;
    expect(s).toMatchObject({ api: 'chat', stream: false });
    expect(s.load).toMatchObject({ stages: [{ rate: 2, duration: 3 }] });
    expect(c.endpoint.model).toBeUndefined();
    expect(c.endpoint.apiKey).toBeUndefined();
  });

  test('a null where a value is required is "required", not a type error', () => {
    expect(configErrorOf(() => load('load: { type: concurrent, stages: [{ concurrency_level: 2, num_requests: null }] }\nserver: { base_url: http://x:1 }\n' + RANDOM))).toBe(
      'config-random.yml: load.stages[0].num_requests: required by a concurrent load',
    );
  });
});

describe('keys that cannot change what is measured are accepted and listed', () => {
  test("the worker pool (num_workers, worker_max_concurrency, worker_max_tcp_connections), as in llm-d-benchmark's profiles", () => {
    const c = load('load: { stages: [{ rate: 1, duration: 1 }], num_workers: 44, worker_max_concurrency: 100, worker_max_tcp_connections: 2500 }\nserver: { base_url: http://x:1 }\n' + RANDOM);
    expect(c.ignored.map((i) => [i.path, i.value, i.workload])).toEqual([
      ['load.num_workers', 44, 'config-random'],
      ['load.worker_max_concurrency', 100, 'config-random'],
      ['load.worker_max_tcp_connections', 2500, 'config-random'],
    ]);
    expect(c.ignored[0]!.reason).toMatch(/^inference-perf's worker processes .*one process sends every request at its scheduled time/);
  });

  test('storage targets and upstream fields this tool has no use for: accepted, each with its reason', () => {
    const c = load(
      'load: { stages: [{ rate: 1, duration: 1 }] }\nserver: { base_url: http://x:1 }\napi: { session_token_header_key: x-session-token }\nstorage: { local_storage: { path: "reports-{timestamp}" }, google_cloud_storage: { bucket_name: b } }\nreport: { request_lifecycle: { use_server_output_tokens: true, max_error_messages: 5 } }\n' +
        RANDOM.replace('type: random,', 'type: random, corpus_file_path: /data/corpus.txt,'),
    );
    expect(c.ignored.map((i) => i.path).sort()).toEqual(
      [
        'api.session_token_header_key',
        'data.corpus_file_path',
        'report.request_lifecycle.max_error_messages',
        'report.request_lifecycle.use_server_output_tokens',
        'storage.google_cloud_storage',
        'storage.local_storage',
      ].sort(),
    );
  });
});

describe("the file's Prometheus and S3 bucket serve the run", () => {
  test('metrics.prometheus becomes BENCH_PROMETHEUS_URL and its scrape interval; set only where the environment has none', () => {
    const c = load(CONFIG_RANDOM);
    expect(c.env).toEqual([
      { name: 'BENCH_PROMETHEUS_URL', value: 'http://localhost:9090', from: 'metrics.prometheus.url' },
      { name: 'BENCH_PROMETHEUS_SCRAPE_INTERVAL_S', value: '15', from: 'metrics.prometheus.scrape_interval' },
    ]);
    const run = prepareWellLitRun(c, { BENCH_PROMETHEUS_URL: 'http://prom:9090' });
    expect(run.envToSet).toEqual({ BENCH_PROMETHEUS_SCRAPE_INTERVAL_S: '15' });
    expect(run.notesFor('config-random').find((n) => n.path === 'env.BENCH_PROMETHEUS_URL')?.source).toBe(
      'config-random.yml metrics.prometheus.url: not applied: already set in the environment, which wins',
    );
    expect(load(CONFIG_RANDOM.replace('type: prometheus', 'type: default')).env).toEqual([]);
  });

  test('storage.simple_storage_service becomes the upload of the run folder', () => {
    const c = load(
      'load: { stages: [{ rate: 1, duration: 1 }] }\nserver: { base_url: http://x:1 }\nstorage:\n  simple_storage_service:\n    bucket_name: bench\n    path: llm-d/{timestamp}\n    endpoint_url: http://minio:9000\n    region_name: eu-west-1\n    addressing_style: path\n' +
        RANDOM,
    );
    expect(Object.fromEntries(c.env.map((e) => [e.name, e.value]))).toEqual({
      BENCH_PUBLISH: 's3://bench/llm-d',
      AWS_ENDPOINT_URL_S3: 'http://minio:9000',
      AWS_REGION: 'eu-west-1',
      BENCH_PUBLISH_PATH_STYLE: 'true',
    });
  });

  test('two workloads naming different Prometheus servers is a problem: the run has one', () => {
    const w = (url: string) => `    load: { stages: [{ rate: 1, duration: 1 }] }\n    metrics: { type: prometheus, prometheus: { url: ${url} } }\n    ${RANDOM}`;
    expect(configErrorOf(() => load(`endpoint: { base_url: http://x:1 }\nworkload:\n  a:\n${w('http://p1:9090')}  b:\n${w('http://p2:9090')}`, 'config.yaml'))).toBe(
      'config.yaml: workload.b.metrics.prometheus.url: sets BENCH_PROMETHEUS_URL to another value than workload.a.metrics.prometheus.url does: the run has one BENCH_PROMETHEUS_URL',
    );
  });
});

describe('features not run yet are refused with one line each', () => {
  test('multimodal prompts', () => {
    expect(configErrorOf(() => load('load: { stages: [{ rate: 1, duration: 1 }] }\nserver: { base_url: http://x:1 }\ndata: { type: shared_prefix, shared_prefix: { multimodal: { image: {} } } }\n'))).toBe(
      'config-random.yml: multimodal prompts (data.shared_prefix.multimodal) is not run yet: a later version of vitest-llm-d runs it; until then this workload cannot run here',
    );
  });

  test('no stages at all: nothing would be sent', () => {
    expect(configErrorOf(() => load('load: { type: constant }\nserver: { base_url: http://x:1 }\n' + RANDOM))).toBe(
      'config-random.yml: load.stages: expected at least one stage (inference-perf sends nothing without stages)',
    );
  });
});

describe("llm-d-benchmark's inference-perf profiles (.yaml.in, REPLACE_ENV_ tokens)", () => {
  /** llm-d-benchmark's workload/profiles/inference-perf/sanity_random.yaml.in at 8bc9f1d, its data section shortened. */
  const SANITY = `load:
  type: constant
  stages:
  - rate: 1
    duration: 30
  request_timeout: 30
  num_workers: 1
api:
  type: completion
  streaming: true
server:
  type: vllm
  model_name: REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL
  base_url: REPLACE_ENV_LLMDBENCH_HARNESS_STACK_ENDPOINT_URL
  ignore_eos: true
tokenizer:
  pretrained_model_name_or_path: REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL
${RANDOM}storage:
  local_storage:
    path: /workspace
`;

  test('a token reads the variable it names, as the profile renderer fills it', () => {
    const c = load(SANITY, 'sanity_random.yaml.in', { LLMDBENCH_DEPLOY_CURRENT_MODEL: 'Qwen/Qwen3-0.6B', LLMDBENCH_HARNESS_STACK_ENDPOINT_URL: 'http://gw.llm-d.svc:80' });
    expect(Object.keys(c.file.scenarios)).toEqual(['sanity_random']);
    expect(c.endpoint).toMatchObject({ model: 'Qwen/Qwen3-0.6B', baseUrl: 'http://gw.llm-d.svc:80' });
  });

  test('with the URL replaced, the deployed model and URL tokens are not needed: the target decides, and the report says so', () => {
    const c = load(SANITY, 'sanity_random.yaml.in', { BENCH_BASE_URL: 'http://127.0.0.1:8000' });
    expect(c.endpoint.model).toBeUndefined();
    expect(c.endpoint.baseUrl).toBeUndefined();
    const paths = c.ignored.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['server.model_name', 'server.base_url', 'tokenizer.pretrained_model_name_or_path']));
    expect(c.ignored.find((i) => i.path === 'server.model_name')!.reason).toMatch(/^LLMDBENCH_DEPLOY_CURRENT_MODEL is not set, which does not matter: llm-d-benchmark fills it with the model it deployed; here the model is the target's/);
  });

  test('without a URL, the one problem names the variable and the replacements', () => {
    expect(configErrorOf(() => load(SANITY, 'sanity_random.yaml.in'))).toBe(
      'sanity_random.yaml.in: server.base_url: environment variable LLMDBENCH_HARNESS_STACK_ENDPOINT_URL is not set (or set BENCH_BASE_URL or BENCH_TARGET, which replace this URL)',
    );
  });

  test('a token anywhere else is needed like any variable', () => {
    const sharegpt = SANITY.replace(RANDOM, 'data:\n  type: shareGPT\n  path: REPLACE_ENV_LLMDBENCH_RUN_DATASET_DIR/sharegpt.json\n');
    expect(configErrorOf(() => load(sharegpt, 'p.yaml.in', { BENCH_BASE_URL: 'http://127.0.0.1:8000' }))).toContain(
      'data.path: environment variable LLMDBENCH_RUN_DATASET_DIR is not set',
    );
  });
});

describe('shared_prefix lengths as distributions', () => {
  test("inference-perf's examples/vllm/config-shared-prefix-distributions.yml: inline distributions, drawn as its sample_from_distribution", () => {
    const c = loadWellLitConfig('test/fixtures/inference-perf/config-shared-prefix-distributions.yml', { cwd: new URL('../..', import.meta.url).pathname, env: {} });
    expect(c.file.scenarios['config-shared-prefix-distributions']!.data).toEqual({
      type: 'shared_prefix',
      num_groups: 10,
      num_prompts_per_group: 10,
      system_prompt_len: 100,
      question_len: { type: 'skew_normal', min: 10, max: 2000, mean: 200, std: 80, skew: 2.5 },
      output_len: { type: 'lognormal', min: 1, max: 4096, mean: 150, std: 60 },
      seed: 42,
    });
  });

  test('the legacy question_distribution applies to a numeric question_len; with an inline one it is refused, as inference-perf refuses it', () => {
    const sp = (body: string) => load(`load: { stages: [{ rate: 1, duration: 1 }] }\nserver: { base_url: http://x:1 }\ndata:\n  type: shared_prefix\n  shared_prefix: { ${body} }\n`);
    expect(sp('question_len: 50, question_distribution: { type: uniform, min: 20, max: 40 }').file.scenarios['config-random']!.data).toMatchObject({
      question_len: { type: 'uniform', min: 20, max: 40 },
    });
    expect(configErrorOf(() => sp('question_len: { min: 20, max: 40, mean: 30 }, question_distribution: { min: 20, max: 40, mean: 30 }'))).toBe(
      'config-random.yml: data.shared_prefix.question_distribution: cannot be given with an inline distribution on question_len: use one or the other (as inference-perf says)',
    );
  });
});
