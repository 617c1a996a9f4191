/**
 * `vitest-llm-d launch` end to end on the embedded cluster simulator (its Job pods are local
 * child processes of this checkout): the real command in a child process, the real client-node
 * against the simulator's API server over loopback, no mocks.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { leftovers } from '../../lib/k8s/cleanup.ts';
import { connectCluster, type ClusterConnection } from '../../lib/k8s/connect.ts';
import { spawnClusterSim, type ClusterSimProcess } from '../../sim/cluster/spawn.ts';
import { spawnSimulator, type SimProcess } from '../../sim/vllm/spawn.ts';
import { launch, runIdOf } from './launch-cli.ts';

const DIST = 'test/distributed/suites/dist/dist.suite.ts';
const CONFIG = ['--', '--config', 'test/distributed/suites/vitest.config.ts'];

describe('launch on the embedded cluster started by the launcher', () => {
  let results: string;
  beforeAll(() => {
    results = mkdtempSync(join(tmpdir(), 'launch-e2e-'));
  });
  afterAll(() => rmSync(results, { recursive: true, force: true }));

  test('parallelism 2: two pods, their files collected, one merged run, everything deleted', async () => {
    const r = await launch([DIST, '--parallelism', '2', ...CONFIG], { BENCH_CLUSTER: 'simulator', BENCH_RESULTS_DIR: results, KUBECONFIG: '' });
    const run = runIdOf(r.err);
    expect(r.err, r.err).toContain('vitest-llm-d launch: no cluster configured: started the embedded cluster simulator');
    expect(run).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z-dist$/);
    expect(r.err).toMatch(/pod 0 \(llmd-dist-\d{14}-0-\w+\): Running on node sim-gpu-node-\d/);
    expect(r.err).toMatch(/pod 1 \(llmd-dist-\d{14}-1-\w+\): Succeeded/);
    expect(r.err).toContain(`cleanup: deleted`);
    expect(r.err).toContain(`of run ${run}; nothing left`);
    expect(r.err).toContain('stopped the embedded cluster simulator');
    expect(r.err).not.toMatch(/\n\s+at /);
    const runDir = join(results, run);
    for (const i of [0, 1]) {
      const dir = join(runDir, 'pods', String(i));
      const pod = JSON.parse(readFileSync(join(dir, 'pod.json'), 'utf8'));
      expect(pod).toMatchObject({ index: i, count: 2, exitCode: 0 });
      const seen = JSON.parse(readFileSync(join(dir, 'launch.json'), 'utf8'));
      expect(seen).toMatchObject({ format: 'vitest-llm-d/launch-pod@1', index: i, phase: 'Succeeded', exitCode: 0 });
      expect(seen.node).toMatch(/^sim-gpu-node-\d$/);
      expect(existsSync(join(dir, 'pod.log'))).toBe(true);
      // The pod's own run folder, rebuilt from its log frames.
      const own = readdirSync(dir).filter((n) => n.endsWith('-dist'));
      expect(own).toHaveLength(1);
      expect(readFileSync(join(dir, own[0]!, 'requests.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThan(10);
    }
    const record = JSON.parse(readFileSync(join(runDir, 'launch.json'), 'utf8'));
    expect(record).toMatchObject({ format: 'vitest-llm-d/launch@1', run, suite: 'dist', parallelism: 2, namespace: 'llm-d-sim', image: 'vitest-llm-d:0.1.0', testFiles: [DIST], cluster: { kind: 'simulator' }, outcome: 'done', missing: [] });
    expect(record.job).toMatch(/^llmd-dist-\d{14}$/);
    // The merge wrote the merged run folder.
    expect(existsSync(join(runDir, 'summary.json')), readdirSync(runDir).join(', ')).toBe(true);
    expect(r.code, r.err).toBe(0);
  }, 320_000);

  test('the wait timeout: one line saying so, the pods still running deleted, their shares named as missing, exit 1', async () => {
    let run = '';
    const r = await launch([DIST, '--parallelism', '2', '--wait-timeout', '4', ...CONFIG], { BENCH_CLUSTER: 'simulator', BENCH_RESULTS_DIR: results, KUBECONFIG: '' }, (line) => {
      if (!run) run = runIdOf(line);
    });
    // The Job's deadline is the wait timeout too: whichever the launcher sees first ends the wait.
    expect(r.err).toMatch(/wait timeout: stopped waiting after 4 s; what finished is kept|Job llmd-dist-\d{14} failed: DeadlineExceeded/);
    expect(r.err).not.toMatch(/\n\s+at /);
    const record = JSON.parse(readFileSync(join(results, run, 'launch.json'), 'utf8'));
    expect(['timeout', 'job-failed']).toContain(record.outcome);
    expect(record.missing).toEqual([0, 1]);
    for (const i of [0, 1]) {
      const seen = JSON.parse(readFileSync(join(results, run, 'pods', String(i), 'launch.json'), 'utf8'));
      expect(seen.phase, JSON.stringify(seen)).not.toBe('Succeeded');
      expect(['WaitTimeout', 'DeadlineExceeded']).toContain(seen.reason);
    }
    expect(r.err).toContain("no pod's results were collected");
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain(`of run ${run}; nothing left`);
  }, 120_000);
});

describe('launch on a cluster it did not start', () => {
  let sim: ClusterSimProcess;
  let vllm: SimProcess;
  let conn: ClusterConnection;
  let results: string;
  beforeAll(async () => {
    sim = await spawnClusterSim({ timeScale: 0.02 });
    // To the launcher this is a cluster it reaches by kubeconfig, so it starts no target: give it one.
    vllm = await spawnSimulator({ host: '127.0.0.1', port: 0 });
    conn = await connectCluster({ kubeconfig: sim.kubeconfigPath, namespace: sim.namespace });
    results = mkdtempSync(join(tmpdir(), 'launch-e2e-'));
  });
  afterAll(async () => {
    await sim?.stop();
    await vllm?.stop();
    rmSync(results, { recursive: true, force: true });
  });
  const env = () => ({ BENCH_CLUSTER: 'kubeconfig', BENCH_KUBECONFIG: sim.kubeconfigPath, BENCH_RESULTS_DIR: results, BENCH_SIMULATOR_URL: vllm.url });

  test('an image that cannot be pulled: the kubelet\'s error naming the image, exit 1, nothing left', async () => {
    const r = await launch([DIST, '--parallelism', '2', '--image', 'registry.example/nope:1', ...CONFIG], env());
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/vitest-llm-d launch: pod \d \(llmd-dist-\d{14}-\d-\w+\) cannot start image registry\.example\/nope:1: (ErrImagePull|ImagePullBackOff): \S/);
    expect(r.err).not.toMatch(/\n\s+at /);
    const run = runIdOf(r.err);
    expect(await leftovers(conn, run, ['Job', 'Service', 'ConfigMap', 'Secret', 'Pod'])).toEqual([]);
    const seen = JSON.parse(readFileSync(join(results, run, 'launch.json'), 'utf8'));
    expect(seen.outcome).toBe('start-failure');
  }, 120_000);

  test('a pod deleted midway is a missing share: the other runs on, the merge says which share is missing', async () => {
    let run = '';
    let deleted = false;
    const r = await launch([DIST, '--parallelism', '2', ...CONFIG], { ...env(), BENCH_BARRIER_TIMEOUT_S: '2' }, (line) => {
      if (!run) run = runIdOf(line);
      const m = /pod 1 \((\S+)\): Running on node/.exec(line);
      if (m && !deleted) {
        deleted = true;
        void conn.core.deleteNamespacedPod({ namespace: sim.namespace, name: m[1]!, gracePeriodSeconds: 0 });
      }
    });
    expect(deleted).toBe(true);
    expect(r.err).toMatch(/missing shares: pod 1 \(/);
    const runDir = join(results, run);
    expect(existsSync(join(runDir, 'pods', '0', 'pod.json'))).toBe(true);
    expect(existsSync(join(runDir, 'pods', '1', 'pod.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(runDir, 'launch.json'), 'utf8')).missing).toEqual([1]);
    expect(JSON.parse(readFileSync(join(runDir, 'pods', '1', 'launch.json'), 'utf8'))).toMatchObject({ index: 1, phase: expect.any(String) });
    expect(r.err).toContain('merging 1 of 2 shares');
    expect(await leftovers(conn, run, ['Job', 'Service', 'ConfigMap', 'Secret', 'Pod'])).toEqual([]);
  }, 150_000);

  test('--results-pvc: the pods write to the claim, N-collect reads it back for the merge; the claim keeps its files, nothing else is left', async () => {
    const claim = 'bench-results';
    await conn.core.createNamespacedPersistentVolumeClaim({ namespace: sim.namespace, body: { metadata: { name: claim }, spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } } } });
    const r = await launch([DIST, '--parallelism', '2', '--results-pvc', claim, ...CONFIG], env());
    const run = runIdOf(r.err);
    expect(r.err).toMatch(new RegExp(`reading the results back from PersistentVolumeClaim ${claim} \\(pod llmd-dist-\\d{14}-collect\\)`));
    expect(r.err).toMatch(new RegExp(`read \\d+ files of ${run}/ back from PersistentVolumeClaim ${claim}`));
    expect(r.err).not.toMatch(/\n\s+at /);
    const runDir = join(results, run);
    for (const i of [0, 1]) {
      const onClaim = join(sim.pvRoot, sim.namespace, claim, run, 'pods', String(i));
      expect(JSON.parse(readFileSync(join(onClaim, 'pod.json'), 'utf8'))).toMatchObject({ index: i, count: 2, exitCode: 0 });
      const dir = join(runDir, 'pods', String(i));
      // What came back is what the pod wrote to the claim, byte for byte.
      expect(readFileSync(join(dir, 'pod.json'), 'utf8')).toBe(readFileSync(join(onClaim, 'pod.json'), 'utf8'));
      const own = readdirSync(dir).filter((n) => n.endsWith('-dist'));
      expect(own).toHaveLength(1);
      expect(readFileSync(join(dir, own[0]!, 'requests.jsonl'), 'utf8')).toBe(readFileSync(join(onClaim, own[0]!, 'requests.jsonl'), 'utf8'));
      // The pods did not also send their files through their logs.
      const log = readFileSync(join(dir, 'pod.log'), 'utf8');
      expect(log).toContain('vitest run');
      expect(log).not.toContain('as frames');
    }
    expect(readFileSync(join(runDir, 'collect.log'), 'utf8')).toMatch(/pod-export: sent \d+ files/);
    expect(existsSync(join(runDir, 'summary.json')), readdirSync(runDir).join(', ')).toBe(true);
    expect(await leftovers(conn, run, ['Job', 'Service', 'ConfigMap', 'Secret', 'Pod'])).toEqual([]);
    // The user's claim is read, never deleted.
    expect((await conn.core.readNamespacedPersistentVolumeClaim({ namespace: sim.namespace, name: claim })).metadata?.name).toBe(claim);
    expect(r.code, r.err).toBe(0);
  }, 320_000);

  test('a ReadWriteOncePod claim is refused before anything is created', async () => {
    await conn.core.createNamespacedPersistentVolumeClaim({ namespace: sim.namespace, body: { metadata: { name: 'one-pod' }, spec: { accessModes: ['ReadWriteOncePod'], resources: { requests: { storage: '1Gi' } } } } });
    const r = await launch([DIST, '--parallelism', '2', '--results-pvc', 'one-pod', ...CONFIG], env());
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain('--results-pvc: PersistentVolumeClaim one-pod is ReadWriteOncePod: the run\'s 2 pods cannot all mount it for writing');
    expect(r.err).not.toContain('created Job');
  }, 60_000);

  test('Ctrl-C while the pods run: everything deleted, exit 130', async () => {
    let run = '';
    const r = await launch([DIST, '--parallelism', '2', ...CONFIG], env(), (line, kill) => {
      if (!run) run = runIdOf(line);
      if (/: Running on node/.test(line)) kill('SIGINT');
    });
    expect(run).not.toBe('');
    expect(r.code, r.err).toBe(130);
    expect(r.err).toContain('SIGINT: deleting what this run created in the cluster');
    expect(await leftovers(conn, run, ['Job', 'Service', 'ConfigMap', 'Secret', 'Pod'])).toEqual([]);
  }, 120_000);
});
