import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openLaunchCluster, simulatorTimeScale } from '../../lib/distributed/launch/cluster.ts';
import { connectCluster } from '../../lib/k8s/connect.ts';
import { leftovers } from '../../lib/k8s/cleanup.ts';
import { SIMULATED_KUBE_VERSION } from '../../sim/cluster/api/discovery.ts';
import { spawnClusterSim, type ClusterSimProcess } from '../../sim/cluster/spawn.ts';
import { launch, runIdOf } from './launch-cli.ts';

/**
 * The time scale of a cluster the launcher reaches by kubeconfig: a real cluster's is 1 (nothing
 * asked of it beyond `/version`); the cluster simulator started on its own says its scale at
 * `/sim/clock`, so the Job's `activeDeadlineSeconds` is the wait timeout in the simulator's time.
 */
describe('the cluster simulator reached by kubeconfig', () => {
  let fast: ClusterSimProcess;
  beforeAll(async () => {
    fast = await spawnClusterSim({ timeScale: 0.02 });
  });
  afterAll(async () => {
    await fast?.stop();
  });

  test('its time scale is read from /sim/clock and said in one line', async () => {
    const lines: string[] = [];
    const cluster = await openLaunchCluster({ env: { BENCH_CLUSTER: 'kubeconfig', BENCH_KUBECONFIG: fast.kubeconfigPath }, cwd: process.cwd(), say: (l) => lines.push(l) });
    try {
      expect(cluster.kind).toBe('real');
      expect(cluster.sim).toBeNull();
      expect(cluster.timeScale).toBe(0.02);
      expect(lines).toEqual([`${fast.url} is the cluster simulator at time scale 0.02 (real ms per cluster ms): the Job's deadline is set in its time`]);
    } finally {
      await cluster.close();
    }
  });
});

describe('simulatorTimeScale', () => {
  test('a cluster whose /version is not the simulator is at scale 1, and nothing else is asked of it', async () => {
    const lines: string[] = [];
    // Port 1 refuses connections: any request would fail and say so.
    expect(await simulatorTimeScale({ server: 'http://127.0.0.1:1', serverVersion: 'v1.31.2' }, (l) => lines.push(l))).toBe(1);
    expect(lines).toEqual([]);
  });

  test('the simulator whose clock cannot be read: scale 1, and one line says the deadline is in real seconds', async () => {
    const lines: string[] = [];
    expect(await simulatorTimeScale({ server: 'http://127.0.0.1:1', serverVersion: SIMULATED_KUBE_VERSION.gitVersion }, (l) => lines.push(l))).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^http:\/\/127\.0\.0\.1:1 is the cluster simulator but its clock could not be read \(.+\): the Job's deadline is taken as real seconds$/);
  });
});

/**
 * Clusters too old for the launch's Job: 1.27 has neither the completion-index pod label the
 * coordinator Service selects by nor backoffLimitPerIndex (refused before anything is created,
 * exit 2); 1.28 drops backoffLimitPerIndex without an error while its feature gate is off, so
 * the created Job would retry a failed pod, which would send its share twice (stopped, cleaned
 * up, exit 1). The simulator stands for either version (`kubernetesVersion`).
 */
describe('a cluster too old for the launch', () => {
  const DIST = ['test/distributed/suites/dist/dist.suite.ts', '--parallelism', '2', '--', '--config', 'test/distributed/suites/vitest.config.ts'];
  let results: string;
  beforeAll(() => {
    results = mkdtempSync(join(tmpdir(), 'launch-version-'));
  });
  afterAll(() => {
    rmSync(results, { recursive: true, force: true });
  });
  const env = (sim: ClusterSimProcess) => ({ BENCH_CLUSTER: 'kubeconfig', BENCH_KUBECONFIG: sim.kubeconfigPath, BENCH_RESULTS_DIR: results, BENCH_BASE_URL: 'http://gateway.llm-d.svc:80' });

  test('1.27: one line naming the version and what it lacks, exit 2, nothing created', async () => {
    const sim = await spawnClusterSim({ timeScale: 0.02, kubernetesVersion: '1.27.3' });
    try {
      const r = await launch(DIST, env(sim));
      expect(r.err).toContain(`vitest-llm-d launch: Kubernetes v1.27.3-vitest-llm-d-sim on ${sim.url}: launch needs 1.29 or later (1.28 with the JobBackoffLimitPerIndex feature gate)`);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.err).not.toContain('created Job');
      expect(r.code, r.err).toBe(2);
      const conn = await connectCluster({ kubeconfig: sim.kubeconfigPath, namespace: sim.namespace });
      expect((await conn.core.listNamespacedConfigMap({ namespace: sim.namespace, labelSelector: 'vitest-llm-d/run' })).items).toEqual([]);
    } finally {
      await sim.stop();
    }
  }, 60_000);

  test('1.28 with the gate off: the Job came back without backoffLimitPerIndex, the launch stops, exit 1, nothing left', async () => {
    const sim = await spawnClusterSim({ timeScale: 0.02, kubernetesVersion: '1.28.4' });
    try {
      const r = await launch(DIST, env(sim));
      expect(r.err).toContain(`vitest-llm-d launch: Kubernetes v1.28.4-vitest-llm-d-sim on ${sim.url} dropped the Job's backoffLimitPerIndex (the JobBackoffLimitPerIndex feature gate is off; it is on by default from 1.29): a failed pod would be retried and send its share twice, so the launch stops`);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.code, r.err).toBe(1);
      const run = runIdOf(r.err);
      expect(r.err).toContain(`of run ${run}; nothing left`);
      const conn = await connectCluster({ kubeconfig: sim.kubeconfigPath, namespace: sim.namespace });
      expect(await leftovers(conn, run, ['Job', 'Service', 'ConfigMap', 'Secret', 'Pod'])).toEqual([]);
    } finally {
      await sim.stop();
    }
  }, 60_000);
});
