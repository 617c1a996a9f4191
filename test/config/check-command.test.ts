/**
 * `vitest-llm-d check`, run as a user runs it (`node bin/vitest-llm-d.js check ...`), on the
 * bundled examples, on inference-perf's own example configs (test/fixtures/inference-perf,
 * verbatim), and on broken files; every endpoint is a local server that counts what reaches it,
 * which must be nothing.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../cli/main.ts';
import type { CheckedFile } from '../../lib/scenario/check-config.ts';
import { checkCli as cli, checkedFiles as files } from './check-cli.ts';
import { tempDir } from './temp-dir.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UPSTREAM = 'test/fixtures/inference-perf';

/**
 * A server that answers every request with 200 and counts those under its endpoint's path (a
 * token of this run): check must never reach it. Other processes on the machine may probe the
 * port (a test's "closed" port can be this one); their requests do not carry the token.
 */
let server: Server;
let hits = 0;
let url = '';
const token = `check-${randomUUID()}`;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith(`/${token}/`)) hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[{"id":"m"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${token}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('vitest-llm-d check', () => {
  test('plans the bundled examples from the code a run uses, and sends nothing', async () => {
    const { code, stdout, stderr } = await cli(
      ['--json', '--sample', '50', 'examples/well-lit/config.yaml', 'examples/well-lit/matrix.yaml', 'examples/well-lit/inference_scheduling_guide_template.yaml', 'examples/scenarios.yaml'],
      // The guide's template names its gateway with $NAMESPACE and $GATEWAY_SVC; BENCH_BASE_URL replaces that URL.
      { BENCH_BASE_URL: url },
    );
    expect(stderr).toBe('4 files checked, no request sent: 4 valid, 0 invalid\n');
    expect(code).toBe(0);
    const f = files(stdout);
    const config = f['examples/well-lit/config.yaml']!;
    expect(config.kind).toBe('llm-d-benchmark');
    expect(config.endpoint).toMatchObject({ kind: 'endpoint', url, model: 'Qwen/Qwen3-0.6B', apiKey: null });
    const random = config.workloads.find((w) => w.name === 'sanity_random')!;
    expect(random.load.stages!.map((s) => [s.label, s.rate, s.durationS, s.requests, s.exact])).toEqual([['rate 1/s', 1, 30, 30, true]]);
    const ladder7 = config.workloads.find((w) => w.name === 'shared_prefix_synthetic')!.load;
    expect(ladder7.stages!.map((s) => [s.rate, s.requests, s.pauseBeforeS])).toEqual([[2, 100, 0], [5, 250, 1], [8, 400, 1], [10, 500, 1], [12, 600, 1], [15, 750, 1], [20, 1000, 1]]);
    expect([ladder7.totalRequests, ladder7.totalExact]).toEqual([3600, true]);
    expect(random.data.sample!.prompts).toBe(30);
    expect(random.data.sample!.inputTokens.min).toBeGreaterThanOrEqual(10);
    expect(random.data.sample!.inputTokens.max).toBeLessThanOrEqual(100);
    expect(random.slo.profile).toBe('mlperf-standard');
    expect(random.noEffect.map((k) => k.path)).toContain('workload.sanity_random.storage.local_storage');
    expect(config.noEffect.map((k) => k.path)).toContain('endpoint.namespace');
    expect(config.env).toEqual([{ path: 'env.RAYON_NUM_THREADS', value: '4', source: 'examples/well-lit/config.yaml env: set for the run' }]);

    const guide = f['examples/well-lit/inference_scheduling_guide_template.yaml']!;
    const ladder = guide.workloads[0]!;
    expect(ladder.load.stages).toHaveLength(17);
    expect(ladder.load.stages![0]).toMatchObject({ rate: 15 });
    expect(ladder.data.sample!.inputTokens).toMatchObject({ min: 7200, max: 7200 });
    expect(guide.endpoint!.overrides.map((o) => o.source)).toEqual([expect.stringMatching(/^env BENCH_BASE_URL/)]);

    const matrix = f['examples/well-lit/matrix.yaml']!.workloads;
    expect(matrix.map((w) => w.load.totalRequests)).toEqual([512, 512, 512]);
    // Chat prompts leave room for the chat template: the server counts the configured 1024, template included.
    expect(matrix[0]!.api).toBe('chat');
    expect(matrix[0]!.data.sample!.inputTokens).toMatchObject({ min: 1024, max: 1024 });
    const scenarios = f['examples/scenarios.yaml']!;
    expect(scenarios.kind).toBe('scenarios');
    const quick = scenarios.workloads.find((w) => w.name === 'quick_validation')!;
    expect([quick.load.totalRequests, quick.load.warmupRequests]).toEqual([40, 4]);
    expect(scenarios.workloads.find((w) => w.name === 'max_rate')!.load.stages).toBeNull();
    expect(hits).toBe(0);
  });

  test("every suite's own scenario file is valid, the actuation suite's read by its own loader", async () => {
    const suites = readdirSync(join(ROOT, 'suites'), { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(ROOT, 'suites', d.name, `${d.name}.yaml`)));
    const names = suites.map((d) => `suites/${d.name}/${d.name}.yaml`);
    expect(names).toContain('suites/actuation/actuation.yaml');
    const { code, stdout, stderr } = await cli(['--json', '--sample', '0', ...names]);
    expect(stderr).toBe(`${names.length} files checked, no request sent: ${names.length} valid, 0 invalid\n`);
    expect(code).toBe(0);
    const f = files(stdout);
    for (const n of names) expect(f[n]!.kind).toBe(n === 'suites/actuation/actuation.yaml' ? 'actuation' : 'scenarios');
    expect(f['suites/latency/latency.yaml']!.workloads.length).toBeGreaterThan(0);
  });

  test('prints the plan as text: stage table, sample statistics, SLO', async () => {
    const { code, stdout, stderr } = await cli(['--sample', '20', 'examples/well-lit/config.yaml'], { BENCH_BASE_URL: url, BENCH_DURATION: '2' });
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("examples/well-lit/config.yaml: valid: an llm-d-benchmark config (a `workload` section), read as BENCH_CONFIG is; 2 workloads\n");
    expect(stdout).toMatch(/^ {6}stage +pause before +rate +concurrency +duration +requests$/m);
    // BENCH_DURATION=2 makes each stage 2 s: inference-perf's timer sends int(2/s × 2 s) = 4, int(20/s × 2 s) = 40,
    // after inference-perf's default interval of 1 s between stages.
    expect(stdout).toMatch(/^ {6}rate 2\/s +- +2\/s +- +2 s +4 +fixed by the arrival process; the stage waits for every one$/m);
    expect(stdout).toMatch(/^ {6}rate 20\/s +1 s +20\/s +- +2 s +40 +fixed by the arrival process; the stage waits for every one$/m);
    expect(stdout).toContain("    arrivals: inference-perf's constant timer (int(rate × duration) requests, exponential gaps scaled to the duration), a fresh seed each run (generator inference-perf-constant, open loop); at most 1000 in flight\n");
    expect(stdout).toMatch(/^ {8}input tokens +2304 +2304 +2304 +2304 +2304$/m);
    expect(stdout).toContain('    SLO asserted: mlperf-standard: TTFT p95 <= 2000 ms, TPOT p95 <= 100 ms; success rate >= 95%; schedule lag p99 <= 10 ms and requests overlapping a client stall <= 1% (else the numbers are invalid and the test fails)\n');
    expect(stdout).toContain('      scenarios.shared_prefix_synthetic.load.stages = ');
    expect(hits).toBe(0);
  });

  test("the file's own endpoint: named, never connected to; its key, header values and secret env values never printed", async () => {
    const dir = tempDir();
    const dist = '{ min: 10, max: 20, mean: 15, std_dev: 2 }';
    dir.write(
      'keyed.yaml',
      `endpoint: { base_url: ${url}, model: m }
description: { text: nightly, keywords: [a, b] }
hooks: { pre_workload: touch hook-ran }
env:
  - { name: HF_TOKEN, value: hf_secret_value_123 }
workload:
  w:
    load: { type: concurrent, stages: [{ concurrency_level: 2, num_requests: 10 }] }
    api: { type: chat, streaming: true, headers: { X-Team-Token: header-secret-456 } }
    server:
      api_key: \${MY_KEY}
    data: { type: random, input_distribution: ${dist}, output_distribution: ${dist} }
`,
    );
    for (const json of [[], ['--json']]) {
      const { code, stdout, stderr } = await cli([...json, 'keyed.yaml'], { MY_KEY: 'sk-key-secret-789' }, dir.path);
      expect(code, stderr).toBe(0);
      for (const secret of ['sk-key-secret-789', 'header-secret-456', 'hf_secret_value_123']) expect(stdout + stderr).not.toContain(secret);
      if (json.length === 0) {
        expect(stdout).toContain(`  endpoint: ${url}; model m; vllm; API key from workload.w.server.api_key in keyed.yaml; headers X-Team-Token; ignore_eos sent (outputs are max_tokens long); from keyed.yaml (endpoint.base_url)\n`);
        expect(stdout).toContain('  env.HF_TOKEN = "***": keyed.yaml env: set for the run\n');
        expect(stdout).toContain('  workload w (workload.w): chat, streaming\n');
        expect(stdout).toContain('  description: "nightly", keywords a, b\n');
        expect(stdout).toContain('  hook pre_workload (run around each workload, not by check): "touch hook-ran" (keyed.yaml hooks.pre_workload)\n');
      } else {
        const w = files(stdout)['keyed.yaml']!.workloads[0]!;
        expect(w.load.stages!.map((s) => [s.concurrency, s.requests, s.exact])).toEqual([[2, 10, true]]);
      }
    }
    expect(existsSync(join(dir.path, 'hook-ran'))).toBe(false);
    expect(hits).toBe(0);
  });

  test('two broken files: exit 1 with every problem of both, one block each', async () => {
    const dir = tempDir();
    dir.write('a.yaml', 'endpoint:\n  base_url: http://x:1\n  modle: m\nworkload:\n  w:\n    load: { type: constant, stages: [{ rate: -1, duration: 10 }] }\n    data: { type: random }\n');
    dir.write('b.yml', 'load: { type: poisson, stages: [{ rate: 1 }] }\napi: { type: chat, streaming: maybe }\nserver: { base_url: http://x:1 }\ndata: { type: mock }\n');
    const { code, stdout, stderr } = await cli(['a.yaml', 'b.yml'], {}, dir.path);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const [a, b, summary] = stderr.split('\n\n');
    expect(summary).toBe('2 files checked, no request sent: 0 valid, 2 invalid (a.yaml, b.yml)\n');
    expect(a).toBe(
      [
        'a.yaml: 4 problems (nothing was run):',
        '  endpoint.modle: unknown key (did you mean "model"?)',
        '  workload.w.load.stages[0].rate: expected a number > 0, got -1',
        '  workload.w.data.input_distribution: required for random data',
        '  workload.w.data.output_distribution: required for random data',
      ].join('\n'),
    );
    expect(b).toMatch(/^b\.yml: \d+ problems \(nothing was run\):\n/);
    expect(b).toContain('  load.stages[0].duration: required by a poisson load');
    expect(b).toContain('  api.streaming: expected true or false, got "maybe"');
    expect(b).toContain('  data.type: "mock": not supported');
  });
});

describe('problems found planning, after the loader accepted the file', () => {
  test('a missing dataset in each of two scenarios: both listed in one block; a bad BENCH_* named in the block of each file', async () => {
    const dir = tempDir();
    const missing = (f: string) => `{ load: { type: concurrency, concurrency: 2 }, num_requests: 5, data: { type: sharegpt, path: ${f} } }`;
    dir.write('two.yaml', `scenarios:\n  a: ${missing('gone-a.jsonl')}\n  b: ${missing('gone-b.jsonl')}\n`);
    dir.write('ip.yml', 'load: { type: constant, stages: [{ rate: 1, duration: 3 }] }\nserver: { base_url: http://127.0.0.1:9 }\ndata: { type: shareGPT, path: gone.json }\n');
    const planned = await cli(['two.yaml', 'ip.yml'], {}, dir.path);
    expect(planned.code).toBe(1);
    expect(planned.stderr).toBe(
      [
        'two.yaml: 2 problems (nothing was run):',
        `  scenarios.a.data.path: gone-a.jsonl: file not found (looked for ${join(dir.path, 'gone-a.jsonl')})`,
        `  scenarios.b.data.path: gone-b.jsonl: file not found (looked for ${join(dir.path, 'gone-b.jsonl')})`,
        '',
        `ip.yml: data.path: gone.json: file not found (looked for ${join(dir.path, 'gone.json')})`,
        '',
        '2 files checked, no request sent: 0 valid, 2 invalid (two.yaml, ip.yml)',
        '',
      ].join('\n'),
    );
    const env = await cli(['two.yaml', 'ip.yml'], { BENCH_RATE: 'fast' }, dir.path);
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('two.yaml: env: BENCH_RATE: expected a positive number, got "fast"\n');
    expect(env.stderr).toContain('ip.yml: env: BENCH_RATE: expected a positive number, got "fast"\n');
  });
});

describe("inference-perf's own example configs, verbatim", () => {
  test('what check says of each of them today', async () => {
    const names = ['config.yml', 'config-random.yml', 'config-shared-prefix.yml', 'config-synthetic.yml', 'config-sweep.yml', 'config-shared-prefix-distributions.yml'];
    const { code, stdout } = await cli(['--json', '--sample', '30', ...names.map((n) => `${UPSTREAM}/${n}`)], { BENCH_BASE_URL: url });
    expect(code).toBe(1);
    const f = files(stdout);
    const at = (n: string): CheckedFile => f[`${UPSTREAM}/${n}`]!;
    for (const n of names) expect(at(n).kind).toBe('inference-perf');

    const random = at('config-random.yml');
    expect(random.problems).toBeNull();
    const w = random.workloads[0]!;
    expect([w.name, w.api, w.stream]).toEqual(['config-random', 'completions', false]);
    expect(w.load.stages!.map((s) => [s.rate, s.requests, s.exact])).toEqual([[1, 30, true]]);
    expect(w.slo.limits.map((l) => [l.name, l.judged])).toEqual([['TTFT p95', false], ['TPOT p95', false]]);
    expect(random.endpoint).toMatchObject({ url, model: 'HuggingFaceTB/SmolLM2-135M-Instruct' });
    expect(w.noEffect.map((k) => k.path)).toEqual(['report.request_lifecycle.summary', 'report.request_lifecycle.per_stage', 'report.request_lifecycle.per_request']);

    // Length distributions in shared_prefix, with the file's seed 42: the sample is the run's own prompts.
    const dist = at('config-shared-prefix-distributions.yml');
    expect(dist.problems).toBeNull();
    const sample = dist.workloads[0]!.data.sample!;
    expect(sample.seedPinned).toBe(true);
    // A 100-token system prompt and a question of 10..2000 tokens; outputs of 1..4096.
    expect(sample.inputTokens.min).toBeGreaterThanOrEqual(110);
    expect(sample.inputTokens.max).toBeLessThanOrEqual(2100);
    expect(sample.inputTokens.max).toBeGreaterThan(sample.inputTokens.min);
    expect(sample.maxTokens.min).toBeGreaterThanOrEqual(1);
    expect(sample.maxTokens.max).toBeLessThanOrEqual(4096);

    // Refused today, each for its reason (a dataset only on a model hub: nothing is downloaded; no automatic sweep; no synthetic text).
    expect(at('config.yml').problems).toMatch(/data\.path: required: inference-perf downloads .*ShareGPT/);
    expect(at('config-sweep.yml').problems).toContain('load.sweep: not supported');
    expect(at('config-synthetic.yml').problems).toContain('data.type: "synthetic": not supported');
    expect(hits).toBe(0);
  });
});

describe('check usage', () => {
  const io = () => {
    const c = { out: '', err: '', io: { out: (t: string) => void (c.out += t), err: (t: string) => void (c.err += t) } };
    return c;
  };

  test('no file, or a bad option, is a usage error (exit 2)', async () => {
    const none = io();
    expect(await main(['check'], none.io)).toBe(2);
    expect(none.err).toBe('vitest-llm-d check: name one or more config files\nRun `vitest-llm-d check --help` for the usage.\n');
    const bad = io();
    expect(await main(['check', '--sample', 'x', 'a.yaml'], bad.io)).toBe(2);
    expect(bad.err.split('\n')[0]).toBe('vitest-llm-d check: --sample: expects a number of prompts (0 or more), got "x"');
    const help = io();
    expect(await main(['check', '--help'], help.io)).toBe(0);
    expect(help.out).toContain('--json');
  });
});
