/*
 * Cleanup on Ctrl-C: `npx vitest run suites/actuation -t baseline` against a cluster simulator
 * started here (as a user's kubeconfig cluster), interrupted with SIGINT to its whole process
 * group (what a terminal's Ctrl-C does) while the requesters are bound and their providers
 * load; afterwards nothing carrying the run label may remain, pods included.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RUN_LABEL } from '../../lib/k8s/template.ts';
import { startClusterSim, type ClusterSim } from '../../sim/cluster/index.ts';
import type { KObject } from '../../sim/cluster/store-types.ts';
import { ROOT, scratch, until } from './helpers.ts';

const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const RESOURCES = ['replicasets', 'deployments', 'pods', 'services', 'configmaps', 'inferenceserverconfigs', 'launcherconfigs', 'launcherpopulationpolicies'] as const;

/** `resource/name` of every object in the namespace carrying the run label. */
function labelledObjects(sim: ClusterSim): string[] {
  const out: string[] = [];
  for (const r of RESOURCES) for (const o of sim.store.list(r, sim.namespace).items) if (o.metadata.labels?.[RUN_LABEL]) out.push(`${r}/${o.metadata.name}`);
  return out;
}

const isRequester = (p: KObject) => Boolean(p.metadata.annotations?.['dual-pods.llm-d.ai/server-patch'] !== undefined && p.metadata.labels?.[RUN_LABEL]);

describe('Ctrl-C during an actuation suite', () => {
  let sim: ClusterSim;
  beforeAll(async () => {
    // Cold starts of 10 cluster minutes (6 real seconds): the interrupt lands mid-step.
    sim = await startClusterSim({ timeScale: 0.01, seed: 5, timing: { vllmLoadMs: 600_000 } });
  });
  afterAll(async () => {
    await sim?.close();
  });

  test('deletes everything the run created, providers included, and says so', async () => {
    const dir = scratch();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CI: 'true',
      NO_COLOR: '1',
      BENCH_RESULTS_DIR: join(dir, 'results'),
      BENCH_CLUSTER: 'kubeconfig',
      BENCH_KUBECONFIG: sim.kubeconfigPath,
      BENCH_NAMESPACE: sim.namespace,
      BENCH_REPLICAS: '2',
    };
    for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'TEST' || k === 'NODE_ENV') delete env[k];
    // Its own process group, so the signal reaches the vitest process and its workers, as from a terminal.
    const child = spawn(process.execPath, [VITEST, 'run', 'suites/actuation', '-t', '^actuation baseline$'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      // Mid-step: both requesters bound to providers that are still loading.
      const bound = await until(
        'two requesters bound to loading providers',
        () => {
          const pods = sim.store.list('pods', sim.namespace).items;
          const requesters = pods.filter(isRequester);
          return requesters.length === 2 && requesters.every((p) => p.metadata.labels?.['dual-pods.llm-d.ai/dual']) ? pods.filter((p) => p.metadata.labels?.[RUN_LABEL]) : undefined;
        },
        30_000,
      );
      expect(bound.length).toBeGreaterThanOrEqual(4);
      expect(labelledObjects(sim)).toEqual(expect.arrayContaining([expect.stringMatching(/^replicasets\/baseline-1-/)]));
      process.kill(-child.pid!, 'SIGINT');
      const exit = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the suite did not exit within 20 s of SIGINT:\n${output}`)), 20_000))]);
      // The worker's "SIGINT: deleting ..." line travels through Vitest's main process, which exits
      // about 1 ms after the signal and may drop it; what must hold is that nothing is left.
      expect(exit.code === 130 || exit.signal === 'SIGINT', JSON.stringify(exit)).toBe(true);
      // The controller unbinds (sleep, finalizers off) before the last pods go: a bounded wait.
      await until('no object with the run label', () => labelledObjects(sim).length === 0, 10_000).catch(() => undefined);
      expect(labelledObjects(sim)).toEqual([]);
      expect(sim.store.list('pods', sim.namespace).items.filter((p) => p.metadata.name?.includes('baseline-1-'))).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });
});
