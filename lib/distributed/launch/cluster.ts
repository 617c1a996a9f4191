/**
 * The cluster a launch runs on: the configured one (`KUBECONFIG`, `~/.kube/config`, in-cluster
 * service account, as `connectCluster` finds it; `BENCH_CLUSTER=kubeconfig` insists), else the
 * embedded cluster simulator started here with the project folder as its harness root (its Job
 * pods are local child processes running this checkout), stopped when the launch ends.
 */
import { envPositiveNumber, envString } from '../../config/env.ts';
import { connectCluster, findKubeconfig, type ClusterConnection } from '../../k8s/connect.ts';
import { SIMULATED_KUBE_VERSION } from '../../sim/cluster/api/discovery.ts';
import { spawnClusterSim, type ClusterSimProcess } from '../../sim/cluster/spawn.ts';
import { LaunchUsageError } from './errors.ts';

/**
 * Time scale of the embedded cluster (real ms per cluster ms): scheduling and container starts
 * take modelled seconds, the pods' own work runs in real time. `BENCH_CLUSTER_TIME_SCALE` sets it.
 */
export const LAUNCH_SIM_TIME_SCALE = 0.02;

/** An open cluster and how to let it go. */
export interface LaunchCluster {
  conn: ClusterConnection;
  kind: 'simulator' | 'real';
  /** Real ms per cluster ms (1 on a real cluster). */
  timeScale: number;
  /** The simulator process when this launch started it. */
  sim: ClusterSimProcess | null;
  close(): Promise<void>;
}

/** Connects (or starts the simulator); `say` gets the one line about a started simulator. */
export async function openLaunchCluster(input: { namespace?: string; env: NodeJS.ProcessEnv; cwd: string; say(line: string): void }): Promise<LaunchCluster> {
  const mode = envString(input.env, 'BENCH_CLUSTER') ?? (findKubeconfig(input.env) || input.env.BENCH_KUBECONFIG ? 'kubeconfig' : 'simulator');
  if (mode !== 'simulator' && mode !== 'kubeconfig') throw new LaunchUsageError(`env: BENCH_CLUSTER: expected "simulator" or "kubeconfig", got "${mode}"`);
  if (mode === 'kubeconfig') {
    const conn = await connectCluster({ kubeconfig: envString(input.env, 'BENCH_KUBECONFIG'), context: envString(input.env, 'BENCH_KUBE_CONTEXT'), namespace: input.namespace ?? envString(input.env, 'BENCH_NAMESPACE') });
    return { conn, kind: 'real', timeScale: await simulatorTimeScale(conn, input.say), sim: null, close: async () => {} };
  }
  const timeScale = envPositiveNumber(input.env, 'BENCH_CLUSTER_TIME_SCALE') ?? LAUNCH_SIM_TIME_SCALE;
  // harnessRoot: the folder the simulated harness pods run in (their /app).
  const sim = await spawnClusterSim({ timeScale, harnessRoot: input.cwd } as Parameters<typeof spawnClusterSim>[0]);
  input.say(`no cluster configured: started the embedded cluster simulator (${sim.url}, namespace ${sim.namespace}); it stops when the launch ends`);
  try {
    const conn = await connectCluster({ kubeconfig: sim.kubeconfigPath, namespace: input.namespace ?? sim.namespace, simulator: { clock: sim.clockInfo } });
    return { conn, kind: 'simulator', timeScale, sim, close: () => sim.stop() };
  } catch (err) {
    await sim.stop();
    throw err;
  }
}

/**
 * Real ms per cluster ms of a cluster reached by kubeconfig: 1, unless its `/version` says it is
 * this project's cluster simulator (started on its own, `vitest-llm-d sim cluster`), whose clock
 * may run faster; its `/sim/clock` gives the scale, so the Job's deadline is the wait timeout in
 * its time. When that cannot be read, one line says the deadline is taken as real seconds.
 */
export async function simulatorTimeScale(conn: Pick<ClusterConnection, 'server' | 'serverVersion'>, say: (line: string) => void): Promise<number> {
  if (conn.serverVersion !== SIMULATED_KUBE_VERSION.gitVersion) return 1;
  try {
    const res = await fetch(`${conn.server}/sim/clock`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { timeScale?: unknown };
    if (!res.ok || typeof body.timeScale !== 'number' || !(body.timeScale > 0)) throw new Error(`HTTP ${res.status}, timeScale ${JSON.stringify(body.timeScale)}`);
    if (body.timeScale !== 1) say(`${conn.server} is the cluster simulator at time scale ${body.timeScale} (real ms per cluster ms): the Job's deadline is set in its time`);
    return body.timeScale;
  } catch (err) {
    say(`${conn.server} is the cluster simulator but its clock could not be read (${(err as Error).message}): the Job's deadline is taken as real seconds`);
    return 1;
  }
}
