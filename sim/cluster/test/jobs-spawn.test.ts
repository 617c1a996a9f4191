/*
 * A harness Job in a spawned simulator (its children are the simulator's children): results in
 * the PVC folder under the returned pvRoot, which goes with the simulator. CLI flags of the options.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseClusterSimArgs } from '../../../cli/cluster-sim-args.ts';
import { spawnClusterSim } from '../index.ts';

describe('harness Jobs in a spawned cluster simulator', () => {
  it('runs the pods as the child simulator\'s children and exposes pvRoot', async () => {
    const sim = await spawnClusterSim({ timeScale: 0.01, dualPods: false, timing: { jitter: 0 } });
    try {
      expect(existsSync(sim.pvRoot)).toBe(true);
      expect(sim.harnessRoot).toBe(process.cwd());
      const kc = new KubeConfig();
      kc.loadFromFile(sim.kubeconfigPath);
      const core = kc.makeApiClient(CoreV1Api);
      const batch = kc.makeApiClient(BatchV1Api);
      await core.createNamespacedPersistentVolumeClaim({ namespace: sim.namespace, body: { metadata: { name: 'out' }, spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } } } });
      await batch.createNamespacedJob({
        namespace: sim.namespace,
        body: {
          metadata: { name: 'spawned' },
          spec: {
            completionMode: 'Indexed',
            completions: 2,
            parallelism: 2,
            template: {
              spec: {
                restartPolicy: 'Never',
                volumes: [{ name: 'out', persistentVolumeClaim: { claimName: 'out' } }],
                containers: [{ name: 'vitest-llm-d', image: 'registry.example.com/team/vitest-llm-d:dev', volumeMounts: [{ name: 'out', mountPath: '/out' }], command: ['node', '-e', "require('fs').writeFileSync('/out/' + process.env.JOB_COMPLETION_INDEX, String(process.ppid))"] }],
              },
            },
          },
        },
      });
      const deadline = Date.now() + 20_000;
      for (;;) {
        const j = await batch.readNamespacedJob({ name: 'spawned', namespace: sim.namespace });
        if (j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) break;
        if (Date.now() > deadline) throw new Error(`job not complete: ${JSON.stringify(j.status)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const i of ['0', '1']) expect(Number(readFileSync(join(sim.pvRoot, sim.namespace, 'out', i), 'utf8'))).toBe(sim.pid);
    } finally {
      await sim.stop();
    }
    expect(existsSync(sim.pvRoot)).toBe(false);
  });

  it('takes --harness-root, --pv-root and --missing-images (comma-separated) on the command line', () => {
    const { options } = parseClusterSimArgs(['--harness-root', '/srv/app', '--pv-root', '/srv/pv', '--missing-images', 'a:1, b/c:2']);
    expect(options).toMatchObject({ harnessRoot: '/srv/app', pvRoot: '/srv/pv', missingImages: ['a:1', 'b/c:2'] });
    expect(parseClusterSimArgs([]).options).toMatchObject({ harnessRoot: null, pvRoot: null, missingImages: [] });
  });
});
