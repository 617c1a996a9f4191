/**
 * Running a translated config: which target it runs against (the environment keeps its
 * precedence), the API key from `server.api_key` on the wire and nowhere else, and the `env`
 * entries and `BENCH_*` overrides applied to its scenarios.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { chooseConfigTarget, loadWellLitConfig, prepareWellLitRun } from '../../lib/config/well-lit/index.ts';
import type { ConfigTargetChoice } from '../../lib/config/well-lit/index.ts';
import { TargetError } from '../../lib/errors/target-error.ts';
import { openTarget } from '../../lib/scenario/open.ts';
import { configErrorOf } from './config-error-of.ts';
import { tempDir } from './temp-dir.ts';

const KEY = 'sk-target-DO-NOT-LEAK-5d21';

function load(yaml: string) {
  const dir = tempDir();
  dir.write('config.yaml', yaml);
  return loadWellLitConfig('config.yaml', { cwd: dir.path, env: {} });
}

const CONFIG = `
endpoint: { stack_name: qwen-stack, model: Qwen/Qwen3-0.6B, base_url: http://gw.llm-d.svc:80 }
harness: { name: inference-perf, wait_timeout: 90 }
env:
  - { name: RAYON_NUM_THREADS, value: "4" }
  - { name: WELL_LIT_TEST_VAR, value: from-file }
workload:
  w:
    load: { stages: [{ rate: 2, duration: 30 }, { rate: 4, duration: 30 }] }
    api: { type: chat, streaming: true, headers: { x-route: blue } }
    server: { base_url: http://gw.llm-d.svc:80, ignore_eos: false, api_key: ${KEY} }
    data: { type: random, input_distribution: { min: 8, max: 16, mean: 12, std_dev: 2 }, output_distribution: { min: 4, max: 8, mean: 6, std_dev: 1 } }
`;

function configChoice(choice: ConfigTargetChoice) {
  if (choice.kind !== 'config') throw new Error(`expected a selection from the file, got ${choice.kind}`);
  return choice;
}

describe('the target of a config', () => {
  test("BENCH_CONFIG set: the file's endpoint, model, ignore_eos, headers and key; never OPENAI_API_KEY", () => {
    const c = load(CONFIG);
    const { selection, apiKeySource } = configChoice(chooseConfigTarget(c, { OPENAI_API_KEY: 'sk-other' }, false));
    expect(selection.kind).toBe('endpoint');
    expect(selection.target).toMatchObject({
      name: 'qwen-stack',
      base_url: 'http://gw.llm-d.svc:80',
      model: 'Qwen/Qwen3-0.6B',
      backend: 'vllm',
      capabilities: { ignore_eos: false },
      headers: { 'x-route': 'blue' },
    });
    expect(selection.origin).toBe('config.yaml (endpoint.base_url)');
    expect(selection.apiKey).toBe(KEY);
    expect(selection.secrets).toContain(KEY);
    expect(apiKeySource).toBe('workload.w.server.api_key in config.yaml');
    expect(selection.overrides).toEqual([]);
  });

  test('BENCH_BASE_URL replaces only the URL (a port-forward to the gateway); BENCH_MODEL and BENCH_BACKEND apply and are recorded', () => {
    const c = load(CONFIG);
    const { selection } = configChoice(chooseConfigTarget(c, { BENCH_BASE_URL: 'http://127.0.0.1:8000', BENCH_MODEL: 'other', BENCH_BACKEND: 'llm-d' }, false));
    expect(selection.target).toMatchObject({ base_url: 'http://127.0.0.1:8000', model: 'other', backend: 'llm-d', headers: { 'x-route': 'blue' } });
    expect(selection.apiKey).toBe(KEY);
    expect(selection.origin).toBe('config.yaml (endpoint.base_url) + BENCH_BASE_URL, BENCH_MODEL, BENCH_BACKEND');
    expect(selection.overrides.map((o) => o.path)).toEqual(['endpoint.base_url', 'target.model', 'target.backend']);
    expect(selection.overrides[0]!.source).toBe('env BENCH_BASE_URL (instead of http://gw.llm-d.svc:80 in config.yaml)');
  });

  test('BENCH_TARGET and BENCH_PROVISION replace the whole endpoint through the usual resolution, and say so', () => {
    const c = load(CONFIG);
    expect(chooseConfigTarget(c, { BENCH_TARGET: 'fast-sim' }, false)).toEqual({
      kind: 'usual',
      overrides: [{ path: 'endpoint', value: 'target fast-sim', source: 'env BENCH_TARGET (instead of http://gw.llm-d.svc:80 in config.yaml)' }],
    });
    expect(chooseConfigTarget(c, { BENCH_PROVISION: 'stack.yaml' }, true)).toMatchObject({ kind: 'usual', overrides: [{ value: 'stack provisioned from stack.yaml' }] });
  });

  test('the bundled example (BENCH_CONFIG unset) runs on the embedded simulator serving its model, recorded as an override', () => {
    const c = load(CONFIG);
    const { selection } = configChoice(chooseConfigTarget(c, {}, true));
    expect(selection.kind).toBe('simulator');
    expect(selection.target.model).toBe('Qwen/Qwen3-0.6B');
    expect(selection.overrides).toEqual([
      {
        path: 'endpoint.base_url',
        value: 'embedded simulator',
        source: 'BENCH_CONFIG unset: the bundled example config.yaml runs on the embedded simulator (instead of http://gw.llm-d.svc:80)',
      },
    ]);
    expect(chooseConfigTarget(c, { BENCH_BASE_URL: 'http://127.0.0.1:8000' }, true)).toMatchObject({ kind: 'usual' });
  });

  test('a file that names no endpoint needs BENCH_BASE_URL or BENCH_TARGET', () => {
    const c = load('workload:\n  w:\n    load: { stages: [{ rate: 1, duration: 1 }] }\n    data: { type: shareGPT, path: d.jsonl }\n');
    expect(configErrorOf(() => chooseConfigTarget(c, {}, false))).toBe(
      'config.yaml: endpoint.base_url: required: the file names no endpoint (endpoint.base_url or a workload server.base_url); or set BENCH_BASE_URL or BENCH_TARGET',
    );
    expect(configChoice(chooseConfigTarget(c, { BENCH_BASE_URL: 'http://127.0.0.1:8000' }, false)).selection.target.base_url).toBe('http://127.0.0.1:8000');
  });
});

describe('server.api_key on the wire', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  /** A /v1/models endpoint that wants `Bearer <KEY>`; returns its URL and the Authorization headers it saw. */
  async function keyedServer(): Promise<{ url: string; seen: string[] }> {
    const seen: string[] = [];
    server = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      if (req.headers.authorization !== `Bearer ${KEY}`) {
        res.writeHead(401).end('{"error":"bad key"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"id":"Qwen/Qwen3-0.6B"}]}');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
  }

  test('is sent as the bearer key; a rejected key names where it was written, never its value', async () => {
    const { url, seen } = await keyedServer();
    const good = configChoice(chooseConfigTarget(load(CONFIG), { BENCH_BASE_URL: url }, false));
    const target = await openTarget(good.selection, { apiKeySource: good.apiKeySource! });
    await target.close();
    expect(target.info.model).toBe('Qwen/Qwen3-0.6B');
    // Every request (the model list, then the version) carries the key.
    expect(new Set(seen)).toEqual(new Set([`Bearer ${KEY}`]));

    const bad = configChoice(chooseConfigTarget(load(CONFIG.replace(KEY, 'sk-wrong-key-0000')), { BENCH_BASE_URL: url }, false));
    const err = await openTarget(bad.selection, { apiKeySource: bad.apiKeySource! }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TargetError);
    expect((err as Error).message).toContain('HTTP 401 (check the key in workload.w.server.api_key in config.yaml)');
    expect((err as Error).message).not.toContain('sk-wrong-key-0000');
  });
});

describe('preparing the run', () => {
  test('env entries are set unless already set (the environment wins, and the report says which)', () => {
    const run = prepareWellLitRun(load(CONFIG), { RAYON_NUM_THREADS: '16' });
    expect(run.envToSet).toEqual({ WELL_LIT_TEST_VAR: 'from-file' });
    expect(run.notesFor('w').filter((n) => n.path.startsWith('env.'))).toEqual([
      { path: 'env.RAYON_NUM_THREADS', value: '4', source: 'config.yaml env: not applied: already set in the environment, which wins' },
      { path: 'env.WELL_LIT_TEST_VAR', value: 'from-file', source: 'config.yaml env: set for the run' },
    ]);
  });

  test('BENCH_DURATION shortens every stage, BENCH_API sets the API; both are recorded', () => {
    const run = prepareWellLitRun(load(CONFIG), { BENCH_DURATION: '2', BENCH_API: 'completions' });
    expect(run.file.config.scenarios.w).toMatchObject({ api: 'completions', load: { stages: [{ rate: 2, duration: 2 }, { rate: 4, duration: 2 }] } });
    expect(run.file.overrides.map((o) => `${o.path} ${o.source}`)).toEqual(['scenarios.w.load.stages env BENCH_DURATION', 'scenarios.w.api env BENCH_API']);
  });

  test("harness.wait_timeout is each test's limit, unless BENCH_TEST_TIMEOUT_S is set", () => {
    expect(prepareWellLitRun(load(CONFIG), {}).testTimeoutMs).toBe(90_000);
    expect(prepareWellLitRun(load(CONFIG), { BENCH_TEST_TIMEOUT_S: '30' }).testTimeoutMs).toBeUndefined();
  });
});
