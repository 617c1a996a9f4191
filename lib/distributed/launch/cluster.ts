/**
 * The cluster a launch runs on: the configured one (`KUBECONFIG`, `~/.kube/config`, in-cluster
 * service account, as `connectCluster` finds it; `BENCH_CLUSTER=kubeconfig` insists), else the
 * embedded cluster simulator started here with the project folder as its harness root (its Job
 * pods are local child processes running this checkout), stopped when the launch ends.
 */
import { ConfigError } from '../../errors/config-error.ts';
import { chooseCluster, type ClusterChoice, connectCluster, type ClusterConnection } from '../../k8s/connect.ts';
import { atLeast, parseKubeVersion, SIM_VERSION_SUFFIX } from '../../k8s/kube-version.ts';
import { LaunchUsageError } from './errors.ts';
import type { LaunchSimulators, StartedClusterSimulator } from './simulators.ts';

/** An open cluster and how to let it go. */
export interface LaunchCluster {
  conn: ClusterConnection;
  kind: 'simulator' | 'real';
  /** Real ms per cluster ms (1 on a real cluster). */
  timeScale: number;
  /** The simulator process when this launch started it. */
  sim: StartedClusterSimulator | null;
  close(): Promise<void>;
}

/** Connects (or starts the simulator); `say` gets the one line about a started simulator. */
export async function openLaunchCluster(input: {
  namespace?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  say(line: string): void;
  /** Starts the cluster simulator when no cluster is configured. */
  startClusterSimulator?: LaunchSimulators['startClusterSimulator'];
}): Promise<LaunchCluster> {
  let choice: ClusterChoice;
  try {
    choice = chooseCluster(input.env);
  } catch (err) {
    // A usage error of the command: the same one line, without a stack.
    if (err instanceof ConfigError) throw new LaunchUsageError(err.message);
    throw err;
  }
  if (choice.kind === 'kubeconfig') {
    const conn = await connectCluster({ kubeconfig: choice.kubeconfig, context: choice.context, namespace: input.namespace ?? choice.namespace });
    return { conn, kind: 'real', timeScale: await simulatorTimeScale(conn, input.say), sim: null, close: async () => {} };
  }
  if (!input.startClusterSimulator) throw new LaunchUsageError('no cluster configured and no cluster simulator to start: set KUBECONFIG (or BENCH_CLUSTER=kubeconfig)');
  const { timeScale } = choice;
  // harnessRoot: the folder the simulated harness pods run in (their /app).
  const sim = await input.startClusterSimulator({ timeScale, harnessRoot: input.cwd });
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
 * this project's cluster simulator (started on its own, `vitest-llm-d cluster-sim`), whose clock
 * may run faster; its `/sim/clock` gives the scale, so the Job's deadline is the wait timeout in
 * its time. When that cannot be read, one line says the deadline is taken as real seconds.
 */
export async function simulatorTimeScale(conn: Pick<ClusterConnection, 'server' | 'serverVersion'>, say: (line: string) => void): Promise<number> {
  if (!conn.serverVersion.endsWith(SIM_VERSION_SUFFIX)) return 1;
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

/**
 * Refuses, before anything is created, a cluster older than 1.28: its Indexed Job pods carry their
 * completion index only as an annotation (the coordinator Service selects pod 0 by the label,
 * PodIndexLabel), and it has no `backoffLimitPerIndex`. A version string without a number passes.
 */
export function requireIndexedJobSupport(conn: Pick<ClusterConnection, 'server' | 'serverVersion'>): void {
  const v = parseKubeVersion(conn.serverVersion);
  if (v && !atLeast(v, 1, 28)) {
    throw new LaunchUsageError(
      `Kubernetes ${conn.serverVersion} on ${conn.server}: launch needs 1.29 or later (1.28 with the JobBackoffLimitPerIndex feature gate): an Indexed Job whose pods carry their completion index as a label, and backoffLimitPerIndex`,
    );
  }
}

/**
 * Whether the created Job kept `backoffLimitPerIndex: 0`; an API server with the
 * JobBackoffLimitPerIndex gate off (the default in 1.28) drops it without an error, and a failed
 * pod would then be retried and send its share a second time. Returns the reason when it did not.
 */
export function droppedPerIndexLimit(job: { spec?: unknown }, conn: Pick<ClusterConnection, 'server' | 'serverVersion'>): string | null {
  const kept = (job.spec as { backoffLimitPerIndex?: unknown } | undefined)?.backoffLimitPerIndex;
  if (kept === 0) return null;
  return `Kubernetes ${conn.serverVersion} on ${conn.server} dropped the Job's backoffLimitPerIndex (the JobBackoffLimitPerIndex feature gate is off; it is on by default from 1.29): a failed pod would be retried and send its share twice, so the launch stops`;
}
