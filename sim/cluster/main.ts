/*
 * Body of a cluster simulator child process started by spawnClusterSim(). Reads its options
 * (JSON) from CLUSTER_SIM_OPTIONS_ENV, lowers its own priority back to 0 (a parent measuring at
 * nice -10 must not hand that to the cluster it measures), starts the cluster, prints exactly one
 * line on stdout ({"event":"listening",...}) and runs until SIGTERM / SIGINT or until its stdin
 * closes (the parent died), then closes the cluster: every simulated process, socket and timer.
 * Errors go to stderr, one line, exit code 1.
 */
import { getPriority, setPriority } from 'node:os';
import { CLUSTER_SIM_OPTIONS_ENV, CLUSTER_SIM_WATCH_STDIN_ENV } from './child-env.ts';
import { startClusterSim, type ClusterSim } from './cluster-sim.ts';

let sim: ClusterSim | undefined;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await sim?.close();
  } finally {
    process.exit(code);
  }
}

process.on('SIGTERM', () => void stop(0));
// Under a parent that watches it (stdin), the parent stops it: a terminal's Ctrl-C reaches the
// whole process group, and the parent still needs the server while it winds its run down.
process.on('SIGINT', () => {
  if (process.env[CLUSTER_SIM_WATCH_STDIN_ENV] !== '1') void stop(0);
});
if (process.env[CLUSTER_SIM_WATCH_STDIN_ENV] === '1') {
  process.stdin.on('end', () => void stop(0));
  process.stdin.on('close', () => void stop(0));
  process.stdin.on('error', () => void stop(0));
  process.stdin.resume();
}

try {
  if (getPriority() < 0) setPriority(0);
} catch {
  // Not permitted or not supported: the parent lowered it already when it could.
}

try {
  const options: unknown = JSON.parse(process.env[CLUSTER_SIM_OPTIONS_ENV] ?? '{}');
  sim = await startClusterSim(options as Parameters<typeof startClusterSim>[0]);
  const line = { event: 'listening', url: sim.url, kubeconfigPath: sim.kubeconfigPath, namespace: sim.namespace, clock: sim.clock.describe(), pid: process.pid, pvRoot: sim.pvRoot, harnessRoot: sim.harnessRoot };
  process.stdout.write(`${JSON.stringify(line)}\n`);
} catch (err) {
  process.stderr.write(`${(err as Error).message.split('\n')[0]}\n`);
  process.exit(1);
}
