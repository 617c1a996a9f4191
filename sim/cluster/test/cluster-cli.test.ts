import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseClusterSimArgs } from '../../../cli/cluster-sim-args.ts';
import type { CliIo } from '../../../cli/command.ts';
import { main } from '../../../cli/main.ts';

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

describe('vitest-llm-d cluster-sim arguments', () => {
  it('maps kebab-case and dotted flags onto the options, over a config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-cli-'));
    try {
      const file = join(dir, 'cluster.yaml');
      writeFileSync(file, 'nodes: 5\ngpusPerNode: 8\ntiming:\n  vllmLoadMs: 90000\n');
      const { options } = parseClusterSimArgs(['--config', file, '--gpus-per-node', '2', '--timing.sched-ms=250', '--dual-pods.sleeper-limit', '1', '--gpu-policy', 'random']);
      expect(options).toMatchObject({ nodes: 5, gpusPerNode: 2, gpuPolicy: 'random', timing: { vllmLoadMs: 90_000, schedMs: 250 }, dualPods: { sleeperLimit: 1 } });
      expect(parseClusterSimArgs(['--no-dual-pods']).options.dualPods).toBe(false);
      expect(() => parseClusterSimArgs(['--config', file, '--nodes', '0'])).toThrow(`${file}: nodes: expected a positive whole number of nodes`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help lists every option; a bad flag is one line and exit code 2', async () => {
    const help = capture();
    expect(await main(['cluster-sim', '--help'], help)).toBe(0);
    for (const flag of ['--time-scale <number>', '--gpus-per-node <number>', '--gpu-policy <first-fit|random>', '--timing.vllm-load-ms <number>', '--dual-pods.sleeper-limit <number>', '--no-dual-pods']) {
      expect(help.stdout).toContain(flag);
    }
    const bad = capture();
    expect(await main(['cluster-sim', '--gpus-per-nod', '3'], bad)).toBe(2);
    expect(bad.stderr).toBe('cluster-sim: --gpus-per-nod: unknown option (did you mean --gpus-per-node?)\nRun `vitest-llm-d cluster-sim --help` for the options.\n');
    const worse = capture();
    expect(await main(['cluster-sim', '--time-scale', 'fast'], worse)).toBe(2);
    expect(worse.stderr.split('\n')[0]).toBe('cluster-sim: --time-scale: expected a number, got "fast"');
  });
});

describe('bin/vitest-llm-d.js cluster-sim', () => {
  it('prints the kubeconfig and the export line, serves the real client, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-cli-'));
    const kubeconfig = join(dir, 'kube config');
    const bin = fileURLToPath(new URL('../../../bin/vitest-llm-d.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'cluster-sim', '--time-scale', '0.01', '--nodes', '2', '--gpus-per-node', '4', '--kubeconfig', kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
      const out = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout!.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.split('\n').length > 3) resolve(text);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const lines = out.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^vitest-llm-d cluster-sim: SIMULATOR \(not a real cluster\) API server on http:\/\/127\.0\.0\.1:\d+ - 2 node\(s\) x 4 GPU\(s\), namespace llm-d-sim, dual-pods controller and launcher populator, time scale 0\.01 \(1 cluster second = 10 ms\)$/);
      expect(lines.slice(1)).toEqual([`kubeconfig: ${kubeconfig}`, `export KUBECONFIG='${kubeconfig}'`]);
      expect(readFileSync(kubeconfig, 'utf8')).toContain('insecure-skip-tls-verify: true');
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      const nodes = await kc.makeApiClient(CoreV1Api).listNode();
      expect(nodes.items.map((n) => n.status?.allocatable?.['nvidia.com/gpu'])).toEqual(['4', '4']);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('vitest-llm-d cluster-sim: stopped (SIGTERM)');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
