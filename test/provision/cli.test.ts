import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { CliIo } from '../../cli/command.ts';
import { main } from '../../cli/main.ts';
import { BenchError } from '../../lib/errors/index.ts';
import { readProvisionSettings } from '../../lib/k8s/provision-settings.ts';
import { openProvisionedTarget } from '../../lib/scenario/provisioned-target.ts';
import { labelled, openSimCluster, ROOT, streamCompletion, TEMPLATE, type SimCluster } from './helpers.ts';

let cluster: SimCluster;

beforeAll(async () => {
  cluster = await openSimCluster();
});

afterAll(async () => {
  await cluster?.close();
});

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

/** Deployments and Services in the simulator's namespace, whoever made them. */
async function workloads(): Promise<number> {
  const ns = cluster.conn.namespace;
  return (await cluster.conn.apps.listNamespacedDeployment({ namespace: ns })).items.length + (await cluster.conn.core.listNamespacedService({ namespace: ns })).items.length;
}

describe('dry run', () => {
  it('`provision --dry-run` prints the manifests and creates nothing', async () => {
    const io = capture();
    expect(await main(['provision', TEMPLATE, '--dry-run', '--namespace', cluster.conn.namespace], io)).toBe(0);
    const docs = parseAllDocuments(io.stdout).map((d) => (d as { toJS(): { kind: string; metadata: { namespace: string } } }).toJS());
    expect(docs.map((d) => `${d.kind} ${d.metadata.namespace}`)).toEqual([`Deployment ${cluster.conn.namespace}`, `Service ${cluster.conn.namespace}`]);
    expect(io.stderr).toBe('');
    expect(await labelled(cluster.conn)).toEqual([]);
    expect(await workloads()).toBe(0);
  });

  it('BENCH_PROVISION_DRY_RUN=1 in a suite prints the manifests, opens no cluster, measures nothing', async () => {
    let opened = 0;
    let printed = '';
    const settings = readProvisionSettings({ BENCH_PROVISION: TEMPLATE, BENCH_PROVISION_DRY_RUN: '1' })!;
    const err = await openProvisionedTarget(settings, {
      env: {},
      cwd: ROOT,
      runId: 'dry-1234',
      openCluster: async () => {
        opened += 1;
        return { conn: cluster.conn, close: async () => {} };
      },
      out: (t) => (printed += t),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BenchError);
    expect((err as BenchError).code).toBe('PROVISION_DRY_RUN');
    expect((err as Error).message).toBe(`BENCH_PROVISION_DRY_RUN=1: printed the 2 manifests of ${TEMPLATE}; nothing was created and nothing was measured`);
    expect(printed).toContain('kind: Deployment');
    expect(printed).toContain('vitest-llm-d/run: dry-1234');
    expect(opened).toBe(0);
    expect(await workloads()).toBe(0);
  });

  it('usage errors exit 2 with one line', async () => {
    const none = capture();
    expect(await main(['provision'], none)).toBe(2);
    expect(none.stderr.split('\n')[0]).toBe('provision: a template file is required (e.g. examples/standalone/vllm-standalone.yaml)');
    const unknown = capture();
    expect(await main(['provision', TEMPLATE, '--dryrun'], unknown)).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe('provision: --dryrun: unknown option (options: --dry-run, --namespace NS, --help)');
  });
});

describe('vitest-llm-d provision on a cluster', () => {
  it('provisions, prints a URL that serves (port-forward, with the warning), and Ctrl-C deletes everything', async () => {
    const home = mkdtempSync(join(tmpdir(), 'llmd-home-'));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, KUBECONFIG: cluster.sim.kubeconfigPath, NO_COLOR: '1' };
    const child = spawn(process.execPath, [join(ROOT, 'bin/vitest-llm-d.js'), 'provision', TEMPLATE], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no base URL within 30 s:\n${stdout}\n${stderr}`)), 30_000);
        child.stdout.on('data', (d) => {
          stdout += d;
          // The URL, its warnings and the hint are separate writes: wait for the last line.
          const m = /^base URL: (\S+)/m.exec(stdout);
          if (m && stdout.includes('Ctrl-C deletes the stack.')) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        void exited.then((code) => reject(new Error(`exited ${code} before printing a URL:\n${stdout}\n${stderr}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(stdout).toMatch(/^WARNING: reached by port-forward: .*adds latency noise/m);
      expect(stdout).toContain(`benchmark it: BENCH_BASE_URL=${url} npx vitest run suites/latency`);
      expect(await labelled(cluster.conn)).toEqual(expect.arrayContaining([expect.stringMatching(/^Deployment\/vllm-standalone-/), expect.stringMatching(/^Pod\//)]));
      expect(await streamCompletion(url, 'Qwen/Qwen3-0.6B', { fresh: true })).toMatchObject({ status: 200, done: true, chunks: 8 });
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
    expect(stderr).toContain('SIGINT: deleting what this run created in the cluster');
    expect(stderr).toMatch(/cleanup: deleted Deployment\/vllm-standalone-[0-9a-f]{4}, Service\/vllm-standalone-[0-9a-f]{4}.*; nothing left/);
    expect(stderr).not.toContain('vitest-llm-d-sim-token');
    expect(await labelled(cluster.conn)).toEqual([]);
  });
});
