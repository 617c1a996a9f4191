import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main, type CliIo } from '../../cli/main.ts';
import { DEFAULT_WAIT_TIMEOUT_S, parseLaunchArgs } from '../../lib/distributed/launch/args.ts';
import { launchNames } from '../../lib/distributed/launch/names.ts';
import { runLaunch } from '../../lib/distributed/launch/run-launch.ts';
import { connectCluster } from '../../lib/k8s/connect.ts';
import { spawnClusterSim, type ClusterSimProcess } from '../../sim/cluster/spawn.ts';

const cwd = process.cwd();
const opts = { cwd, packageRoot: cwd };
const DIST = 'test/distributed/suites/dist/dist.suite.ts';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await main(['launch', ...argv], io);
  return { code, out, err };
}

describe('launch arguments', () => {
  test('a suite name, its folder and its test file name the same files; defaults', () => {
    const byName = parseLaunchArgs(['throughput', '--parallelism', '4'], opts);
    expect(byName).toMatchObject({ suite: 'throughput', testFiles: ['suites/throughput/throughput.test.ts'], parallelism: 4, image: 'vitest-llm-d:0.1.0', waitTimeoutS: DEFAULT_WAIT_TIMEOUT_S, vitestArgs: [] });
    expect(byName.namespace).toBeUndefined();
    expect(parseLaunchArgs(['suites/throughput', '-p', '4'], opts).testFiles).toEqual(byName.testFiles);
    expect(parseLaunchArgs(['suites/throughput/throughput.test.ts', '--parallelism=4'], opts).testFiles).toEqual(byName.testFiles);
  });

  test('options and vitest options after --', () => {
    const a = parseLaunchArgs(['smoke', '--parallelism', '1', '--namespace', 'bench', '--results-pvc', 'results', '--image', 'reg.example/vitest-llm-d:dev', '--wait-timeout', '90', '--', '-t', 'one completion'], opts);
    expect(a).toMatchObject({ suite: 'smoke', namespace: 'bench', resultsPvc: 'results', image: 'reg.example/vitest-llm-d:dev', waitTimeoutS: 90, vitestArgs: ['-t', 'one completion'] });
  });

  test.each([
    [['throughput'], '--parallelism: required'],
    [['throughput', '--parallelism', '0'], '--parallelism: expected a whole number >= 1, got "0"'],
    [['throughput', '--parallelism', '1.5'], '--parallelism: expected a whole number >= 1, got "1.5"'],
    [['throughput', '--parallelism', 'four'], '--parallelism: expected a whole number >= 1, got "four"'],
    [['throughput', '--parallelism'], '--parallelism: a value is required'],
    [['throughput', '-p', '2', '--wait-timeout', '-5'], '--wait-timeout: expected a whole number >= 1, got "-5"'],
    [['throughput', '-p', '2', '--namespace', 'Not_A_Name'], '--namespace: "Not_A_Name" is not a namespace name'],
    [['throughput', '-p', '2', '--bogus'], '--bogus: unknown option (vitest options go after --)'],
    [['no-such-suite', '-p', '2'], 'no-such-suite: no such suite, folder or file (suites: '],
    [['-p', '2'], 'what to run is required'],
    [['README.md', '-p', '2'], 'README.md: not a test file'],
    [['suites/smoke', 'suites/latency', '-p', '1'], 'test files of one suite only, got latency, smoke'],
  ])('%j: one line, exit 2, nothing started', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`vitest-llm-d launch: ${message}`);
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(2);
    expect(r.err).toContain('Run `vitest-llm-d launch --help` for the usage.');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test('--help lists every option and says where results come from', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const o of ['--parallelism', '--namespace', '--image', '--results-pvc', '--wait-timeout', '-- <vitest options>']) expect(r.out).toContain(o);
    expect(r.out).toContain('a reader pod (<name>-collect) sends them back here through its log');
    expect(r.out).toContain('Without it, each pod sends its own');
    const list = await main(['help'], { out: (t) => void (r.out = t), err: () => {} });
    expect(list).toBe(0);
    expect(r.out).toMatch(/\n {2}launch +run a suite inside a Kubernetes cluster/);
  });

  test('names: run id <stamp>-<suite>, object base llmd-<suite>-<digits> within 40 characters', () => {
    const n = launchNames('throughput', new Date('2026-12-06T19:00:00.123Z'));
    expect(n).toMatchObject({ run: '2026-12-06T19-00-00Z-throughput', stamp: '2026-12-06T19-00-00Z', base: 'llmd-throughput-20261206190000', job: 'llmd-throughput-20261206190000', envConfigMap: 'llmd-throughput-20261206190000-env', filesConfigMap: 'llmd-throughput-20261206190000-files', secret: 'llmd-throughput-20261206190000-secrets', service: 'llmd-throughput-20261206190000-coord' });
    const long = launchNames('A_Very_Long_Suite_Name_Beyond_Twenty', new Date('2026-12-06T19:00:00Z'));
    expect(long.base.length).toBeLessThanOrEqual(40);
    expect(long.base).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});

describe('a split that cannot work fails before anything is created', () => {
  let sim: ClusterSimProcess;
  let results: string;
  beforeAll(async () => {
    sim = await spawnClusterSim({ timeScale: 0.02 });
    results = mkdtempSync(join(tmpdir(), 'launch-args-'));
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(results, { recursive: true, force: true });
  });

  test.each([
    [['smoke', '-p', '2'], {}, 'suites/smoke/smoke.yaml: scenario "one_completion": cannot split across 2 pods: parallelism 2 is more than the concurrency 1: lower it to at most 1'],
    [[DIST, '-p', '4'], { BENCH_NUM_REQUESTS: '3' }, 'test/distributed/suites/dist/dist.suite.yaml: scenario "poisson": cannot split across 4 pods: stage rate 40/s sends 3 requests, fewer than the 4 pods: lower the parallelism to at most 3'],
    [[DIST, '-p', '5'], {}, 'test/distributed/suites/dist/dist.suite.yaml: scenario "sweep": cannot split across 5 pods: parallelism 5 is more than the sweep\'s highest concurrency 4'],
  ])('%j %j', async (argv, extra, message) => {
    const lines: string[] = [];
    const env = { ...process.env, ...extra, BENCH_CLUSTER: 'kubeconfig', BENCH_KUBECONFIG: sim.kubeconfigPath, BENCH_RESULTS_DIR: results };
    const args = parseLaunchArgs(argv, opts);
    await expect(runLaunch({ args, cwd, env, say: (l) => lines.push(l) })).rejects.toThrow(message);
    expect(lines).toEqual([]);
    const conn = await connectCluster({ kubeconfig: sim.kubeconfigPath, namespace: sim.namespace });
    const cms = await conn.core.listNamespacedConfigMap({ namespace: sim.namespace });
    expect(cms.items.map((c) => c.metadata?.name)).toEqual(['gpu-map']);
    expect((await conn.core.listNamespacedService({ namespace: sim.namespace })).items).toEqual([]);
    expect(readdirSync(results)).toEqual([]);
  });
});
