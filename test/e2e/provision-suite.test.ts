import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { RUN_LABEL } from '../../lib/k8s/template.ts';
import { startClusterSim } from '../../sim/cluster/index.ts';
import { runSuites, runSuitesOnceValid, workspace } from './run-suite.ts';

/*
 * `BENCH_PROVISION=<template> npx vitest run suites/latency` as a user runs it, with no cluster
 * configured (HOME and KUBECONFIG point at an empty folder, so no real kubeconfig is found): the
 * stack is provisioned on the embedded cluster simulator, benchmarked, and deleted.
 */
const TEMPLATE = 'examples/standalone/vllm-standalone.yaml';

/** The environment of a run that must not find a real cluster. */
function noCluster(extra: Record<string, string>): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'llmd-e2e-home-'));
  return { HOME: home, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '', BENCH_CLUSTER: '', BENCH_KUBECONFIG: '', BENCH_PROVISION: TEMPLATE, BENCH_NUM_REQUESTS: '4', BENCH_WARMUP_REQUESTS: '1', ...extra };
}

/** The output with the summary tables' wrapped lines (indented by 4 or more) joined back into one. */
const unwrapped = (output: string): string => output.replace(/\n {4,}/g, ' ');

function summaryOf(runDir: string | undefined): { tests: Array<Record<string, any>> } {
  expect(runDir).toBeDefined();
  return JSON.parse(readFileSync(join(runDir!, 'summary.json'), 'utf8'));
}

describe('a latency suite on a stack it provisions (BENCH_PROVISION)', () => {
  test('provisions on the embedded cluster simulator, benchmarks through the ClusterIP, says so, and deletes the stack', async () => {
    const run = await runSuitesOnceValid(['suites/latency', '-t', 'quick_validation'], workspace(), noCluster({}));
    expect(run.code, run.output).toBe(0);
    const flat = unwrapped(run.output);
    expect(flat).toContain('latency/quick_validation  SIMULATOR (vLLM simulator provisioned in the embedded cluster simulator; modeled, not measured on hardware)');
    expect(flat).toMatch(new RegExp(`^ {2}provisioned from ${TEMPLATE}: Deployment (vllm-standalone-[0-9a-f]{4}) \\+ Service \\1 in namespace llm-d-sim on the embedded cluster simulator \\(http://127\\.0\\.0\\.1:\\d+; time scale 0\\.02: .*\\), rolled out in [\\d.]+ s \\(cluster time\\), deleted after the run$`, 'm'));
    expect(flat).toMatch(/^ {2}reached by cluster-ip: http:\/\/127\.2\.\d+\.\d+:8000 \(Service vllm-standalone-[0-9a-f]{4} ClusterIP 127\.2\.\d+\.\d+:8000\)$/m);
    expect(run.output).toContain('requests 4/4 ok (100.0%)');
    expect(run.output).toContain('SLO mlperf-standard: PASS');
    expect(run.output).toMatch(/cleanup: deleted Deployment\/vllm-standalone-[0-9a-f]{4}, Service\/vllm-standalone-[0-9a-f]{4}.*; nothing left/);
    expect(run.output).not.toContain('WARNING');

    const t = summaryOf(run.runDirs.latency).tests[0]!;
    expect(t).toMatchObject({ scenario: 'quick_validation', target: 'provisioned', target_kind: 'simulator', results: { total_requests: 4, successful: 4 } });
    expect(t.target_info.provisioned).toMatchObject({ template: TEMPLATE, cluster: 'simulator', namespace: 'llm-d-sim', access: 'cluster-ip', warnings: [] });
    expect(t.target_info.provisioned.rolloutSeconds).toBeGreaterThan(30);
    expect(t.base_url).toMatch(/^http:\/\/127\.2\./);
  });

  test('BENCH_PROVISION_ACCESS=port-forward: benchmarks through port-forward and the summary warns about it', async () => {
    const run = await runSuitesOnceValid(['suites/latency', '-t', 'quick_validation'], workspace(), noCluster({ BENCH_PROVISION_ACCESS: 'port-forward' }));
    expect(run.code, run.output).toBe(0);
    const flat = unwrapped(run.output);
    expect(flat).toMatch(/^ {2}reached by port-forward: http:\/\/127\.0\.0\.1:\d+ \(pod vllm-standalone-[0-9a-f]{4}-\S+:8000 via the API server/m);
    expect(flat).toMatch(/^ {2}WARNING: reached by port-forward: every request goes through the API server and the kubelet over a WebSocket, which adds latency noise/m);
    expect(run.output).toContain('requests 4/4 ok (100.0%)');
    expect(run.output).toMatch(/cleanup: deleted Deployment\/vllm-standalone-[0-9a-f]{4}.*; nothing left/);
    const t = summaryOf(run.runDirs.latency).tests[0]!;
    expect(t.target_info.provisioned).toMatchObject({ access: 'port-forward' });
    expect(t.target_info.provisioned.warnings[0]).toContain('adds latency noise');
  });

  test('BENCH_PROVISION_DRY_RUN=1 prints the manifests and measures nothing', async () => {
    const run = await runSuites(['suites/latency', '-t', 'quick_validation'], workspace(), noCluster({ BENCH_PROVISION_DRY_RUN: '1', BENCH_NAMESPACE: 'bench' }));
    expect(run.code).toBe(1);
    expect(run.output).toContain('kind: Deployment');
    expect(run.output).toContain('namespace: bench');
    expect(run.output).toContain(`BENCH_PROVISION_DRY_RUN=1: printed the 2 manifests of ${TEMPLATE}; nothing was created and nothing was measured`);
    expect(run.output).not.toContain('created Deployment');
  });

  test('Ctrl-C while the stack rolls out on a kubeconfig cluster deletes it and exits 130', async () => {
    // A cluster simulator started here stands for the user's cluster; vLLM takes 10 cluster minutes (6 s) to load.
    const sim = await startClusterSim({ timeScale: 0.01, seed: 7, dualPods: false, timing: { vllmLoadMs: 600_000 } });
    const labelled = (): string[] =>
      ['deployments', 'replicasets', 'pods', 'services'].flatMap((r) => sim.store.list(r, sim.namespace).items.filter((o) => o.metadata.labels?.[RUN_LABEL]).map((o) => `${r}/${o.metadata.name}`));
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const env: NodeJS.ProcessEnv = { ...process.env, ...noCluster({ BENCH_CLUSTER: 'kubeconfig', BENCH_KUBECONFIG: sim.kubeconfigPath }), CI: 'true', NO_COLOR: '1', BENCH_RESULTS_DIR: join(workspace(), 'results') };
    for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'TEST' || k === 'NODE_ENV') delete env[k];
    // Its own process group, so the signal reaches vitest and its worker, as from a terminal.
    const child = spawn(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'suites/latency', '-t', 'quick_validation'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const deadline = performance.now() + 30_000;
      while (!labelled().some((o) => o.startsWith('pods/')) || !output.includes('waiting for the rollout')) {
        if (performance.now() > deadline) throw new Error(`no provisioned pod within 30 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(labelled()).toEqual(expect.arrayContaining([expect.stringMatching(/^deployments\/vllm-standalone-/), expect.stringMatching(/^services\/vllm-standalone-/)]));
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toBe(130);
      // The worker's "SIGINT: deleting ..." line travels through Vitest's main process, which exits
      // about 1 ms after the signal and may drop it; what must hold is that nothing is left.
      // Vitest's main process exits 1 ms after SIGINT; its worker goes on deleting (its own "cleanup: ..." line is lost
      // with the main process, which relayed its output). A bounded wait for it:
      const gone = performance.now() + 10_000;
      while (labelled().length > 0 && performance.now() < gone) await new Promise((r) => setTimeout(r, 20));
      expect(labelled()).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      await sim.close();
    }
  });
});
