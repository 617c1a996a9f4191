import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openLaunchCluster, simulatorTimeScale } from '../../lib/distributed/launch/cluster.ts';
import { SIMULATED_KUBE_VERSION } from '../../lib/sim/cluster/api/discovery.ts';
import { spawnClusterSim, type ClusterSimProcess } from '../../lib/sim/cluster/spawn.ts';

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
