import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { FAST_SIM_TARGETS, readJsonl, readTree, runSuitesOnceValid, workspace } from './run-suite.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET_ENV = 'sk-planted-env-secret-4711';
const SECRET_CONFIG = 'gateway-token-planted-0815';

/** A fast simulator target whose config sends a secret header taken from a secret-looking variable. */
const TARGETS = `
default: fast-sim
targets:
  - name: fast-sim
    tokenizer: words
    headers: { Authorization: "Bearer \${MY_GATEWAY_TOKEN}" }
    simulator: { tokenizer: words, time_scale: 0.05 }
`;

/** Runs the CLI like a user (`npx vitest-llm-d ...`) from the repository root. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1', ...env };
    for (const k of Object.keys(childEnv)) if (k.startsWith('VITEST') || k === 'TEST' || k === 'NODE_ENV') delete childEnv[k];
    const child = spawn(process.execPath, [join(ROOT, 'bin/vitest-llm-d.js'), ...args], { cwd: ROOT, env: childEnv });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => done({ code, output }));
  });
}

const prompts = (dir: string, scenario: string): unknown[] =>
  readJsonl(join(dir, 'requests.jsonl'))
    .filter((r) => r.scenario === scenario)
    .map((r) => [r.warmup, r.cell, r.prompt_tokens, r.max_tokens]);

/** s3rver 3.7.1 (CommonJS, no types): the part of its API used here. */
type S3rverCtor = new (opts: { address: string; port: number; directory: string; silent: boolean; configureBuckets: Array<{ name: string }> }) => {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
};

describe('run folders: everything to read, trust and repeat a run', () => {
  test('AWS_ENDPOINT_URL_S3=... BENCH_PUBLISH=s3://bench-results/ci npx vitest run suites/latency: the run folder lands in the bucket', async () => {
    const dir = workspace(FAST_SIM_TARGETS);
    const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
    // A loopback S3 standing in for the README's MinIO, with s3rver's built-in key pair.
    const server = new S3rver({ address: '127.0.0.1', port: 0, directory: join(dir, 's3'), silent: true, configureBuckets: [{ name: 'bench-results' }] });
    const endpoint = `http://127.0.0.1:${(await server.run()).port}`;
    try {
      const run = await runSuitesOnceValid(['suites/latency'], dir, {
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        BENCH_PUBLISH: 's3://bench-results/ci',
        BENCH_NUM_REQUESTS: '4',
        BENCH_WARMUP_REQUESTS: '1',
      });
      expect(run.code, run.output).toBe(0);
      const folder = basename(run.runDirs.latency!);
      expect(run.output).toContain(`published: s3://bench-results/ci/${folder}/`);
      const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'bench-results', Prefix: `ci/${folder}/` }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual(expect.arrayContaining([`ci/${folder}/summary.json`, `ci/${folder}/junit.xml`, `ci/${folder}/report.html`]));
    } finally {
      await server.close();
    }
  });

  test('a latency run writes the resolved config, the environment and every report; no planted secret reaches the folder; rerun repeats it with the same prompts', async () => {
    const dir = workspace(TARGETS);
    const env = { BENCH_NUM_REQUESTS: '4', BENCH_WARMUP_REQUESTS: '1', OPENAI_API_KEY: SECRET_ENV, MY_GATEWAY_TOKEN: SECRET_CONFIG };
    // This test is about the folder: a run the tool marks invalid (a stalled client on the CI machine) is run again once.
    const run = await runSuitesOnceValid(['suites/latency'], dir, env);
    expect(run.code, run.output).toBe(0);
    const folder = run.runDirs.latency!;
    expect(readdirSync(folder).sort()).toEqual(expect.arrayContaining(['benchmark-report', 'config.yaml', 'environment.json', 'junit.xml', 'requests.jsonl', 'summary.json']));

    // Secrets: by name (the variable is listed, its value is not) and by value (nowhere in any file, nor in the output).
    expect(readTree(folder)).not.toContain(SECRET_ENV);
    expect(readTree(folder)).not.toContain(SECRET_CONFIG);
    expect(run.output).not.toContain(SECRET_ENV);
    const environment = JSON.parse(readFileSync(join(folder, 'environment.json'), 'utf8'));
    expect(environment).toMatchObject({ schema: 'vitest-llm-d/environment@1', node: process.version, env: { OPENAI_API_KEY: '***', BENCH_NUM_REQUESTS: '4' } });
    expect(environment.git.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(environment.packages.vitest).toMatch(/^4\./);
    expect(environment.targets).toEqual([expect.objectContaining({ name: 'fast-sim', kind: 'simulator', model: 'Qwen/Qwen3-0.6B', serverVersion: expect.stringMatching(/^\d+\.\d+/) })]);

    // The resolved config: each scenario as it ran (overrides applied, seed fixed).
    const config = parse(readFileSync(join(folder, 'config.yaml'), 'utf8'));
    expect(config).toMatchObject({ schema: 'vitest-llm-d/resolved-config@1', suite: 'latency', test_files: ['suites/latency/latency.test.ts'] });
    const quick = config.files['suites/latency/latency.yaml'].scenarios.quick_validation;
    expect(quick).toMatchObject({ num_requests: 4, warmup_requests: 1, load: { type: 'concurrency', concurrency: 1 } });
    expect(quick.data.seed).toEqual(expect.any(Number));
    const summary = JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8'));
    expect(quick.data.seed).toBe(summary.tests[0].workload.data.seed);

    // Rerun from the folder, without the settings in the environment: same scenarios, same prompts.
    const again = join(dir, 'again');
    const rerun = await cli(['rerun', folder, '--', '-t', 'quick_validation'], { BENCH_RESULTS_DIR: again, BENCH_TARGETS_FILE: join(dir, 'targets.yaml'), MY_GATEWAY_TOKEN: SECRET_CONFIG });
    expect(rerun.code, rerun.output).toBe(0);
    expect(rerun.output).toContain('not repeated: OPENAI_API_KEY (a secret: set it in your environment)');
    const [second] = readdirSync(again);
    expect(second).toMatch(/Z-latency$/);
    const folder2 = join(again, second!);
    expect(prompts(folder2, 'quick_validation')).toEqual(prompts(folder, 'quick_validation'));
    const summary2 = JSON.parse(readFileSync(join(folder2, 'summary.json'), 'utf8'));
    expect(summary2.tests.map((t: { scenario: string }) => t.scenario)).toEqual(['quick_validation']);
    expect(summary2.tests[0].workload.data.seed).toBe(summary.tests[0].workload.data.seed);
    expect(summary2.tests[0].workload.overrides[0]).toMatchObject({ path: 'scenarios.quick_validation.*', source: 'BENCH_RERUN' });
  }, 180_000);

  test('rerun of something that is not a run folder: one clear error, exit code 2', async () => {
    const dir = workspace();
    const r = await cli(['rerun', dir], {});
    expect(r.code).toBe(2);
    expect(r.output).toContain(`${join(dir, 'config.yaml')}: not found`);
    expect(r.output).not.toMatch(/\n\s+at /);
    const usage = await cli(['rerun'], {});
    expect(usage.code).toBe(2);
    expect(usage.output).toContain('a run folder is required');
    expect(existsSync(join(dir, 'results'))).toBe(false);
  }, 60_000);
});
