import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runSuites, workspace } from './run-suite.ts';

interface Requester {
  requester: string;
  path: string;
  ready: boolean;
  timings: Record<string, { seconds: number; source: string } | undefined>;
}
interface Report {
  scenario: string;
  state: string;
  matrixRow: string;
  cluster: { kind: string; timeScale: number; source: string };
  steps: Array<{ phase: string; counted: boolean; timedOut: boolean; requesters: Requester[] }>;
  summary: { n: number; ready: number; hitRates: Record<string, number>; byPath: Record<string, { count: number }> };
  slo: Array<{ name: string; pass: boolean }>;
}

describe('suites/actuation as a new user runs it', () => {
  test('with no cluster configured it runs on the embedded cluster simulator, passes, prints the matrix and writes the actuation reports', async () => {
    // No kubeconfig anywhere: a HOME without ~/.kube, no KUBECONFIG, not in a pod.
    const home = mkdtempSync(join(tmpdir(), 'llmd-home-'));
    const run = await runSuites(['suites/actuation'], workspace(), {
      HOME: home,
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: '',
      BENCH_CLUSTER: '',
      BENCH_KUBECONFIG: '',
      BENCH_NAMESPACE: '',
    }, 55_000);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Tests +7 passed \(7\)/);
    expect(run.output).toContain('actuation/baseline  SIMULATOR (embedded cluster simulator, time scale 0.02; cluster seconds, modeled)  namespace llm-d-sim');

    // The matrix: every path column has a p50 / p95 (n) cell in some row.
    const matrix = run.output.slice(run.output.indexOf('actuation matrix (T_actuation = container start -> Ready, seconds p50 / p95, n)'));
    const lines = matrix.split('\n');
    expect(lines[1]).toMatch(/^scenario +cold +cold \(launcher\) +warm +hot$/);
    const rows = lines.slice(2, 5);
    expect(rows.map((r) => r.slice(0, 30).trim())).toEqual(['Introducing New Variant', 'Fast Replica Scale Up', 'Free Up Cluster Resources']);
    const cell = /^ *([\d.]+) \/ ([\d.]+) \((\d+)\)$/;
    const cells = rows.map((r) => [0, 1, 2, 3].map((i) => r.slice(30 + 22 * i, 30 + 22 * (i + 1))));
    for (let col = 0; col < 4; col++) expect(cells.some((row) => cell.test(row[col]!)), `matrix column ${col}:\n${matrix}`).toBe(true);
    // Cold (direct) is a full model load; hot is a wake: far shorter.
    const p50 = (row: number, col: number) => Number(cell.exec(cells[row]![col]!)![1]);
    expect(p50(0, 0)).toBeGreaterThan(50);
    expect(p50(2, 3)).toBeLessThan(15);
    expect(p50(0, 1)).toBeGreaterThan(p50(1, 2));

    const summary = JSON.parse(readFileSync(join(run.runDirs.actuation!, 'summary.json'), 'utf8')) as { suite: string; actuation: Report[] };
    expect(summary.suite).toBe('actuation');
    const byName = new Map(summary.actuation.map((r) => [r.scenario, r]));
    expect([...byName.keys()].sort()).toEqual(['baseline', 'launcher_cold', 'launcher_hot', 'launcher_warm', 'new_variant', 'scaling', 'wake_cycle']);
    for (const r of summary.actuation) {
      expect(r.state, r.scenario).toBe('passed');
      expect(r.cluster).toMatchObject({ kind: 'simulator', timeScale: 0.02, source: 'simulator' });
      expect(r.summary.n, r.scenario).toBeGreaterThan(0);
      expect(r.summary.ready).toBe(r.summary.n);
      expect(Object.keys(r.summary.hitRates).sort()).toEqual(['cold', 'coldLauncher', 'hot', 'unknown', 'warm']);
      expect(r.slo.every((c) => c.pass), `${r.scenario}: ${JSON.stringify(r.slo)}`).toBe(true);
      for (const s of r.steps) expect(s.timedOut).toBe(false);
    }
    const counted = summary.actuation.flatMap((r) => r.steps.filter((s) => s.counted).flatMap((s) => s.requesters));
    expect(new Set(counted.map((q) => q.path))).toEqual(new Set(['cold', 'cold_launcher', 'warm', 'hot']));
    for (const q of counted) {
      expect(q.timings.actuation?.source).toBe('kube');
      expect(q.timings.total?.source).toBe('client');
    }
    expect(byName.get('baseline')!.summary.hitRates).toMatchObject({ cold: 1, hot: 0 });
    expect(byName.get('wake_cycle')!.summary.hitRates).toMatchObject({ hot: 1, cold: 0 });
    expect(byName.get('new_variant')!.summary.hitRates.hot).toBe(0);
    expect(byName.get('launcher_cold')!.summary.hitRates.coldLauncher).toBe(1);
    expect(byName.get('launcher_warm')!.summary.hitRates.warm).toBe(1);
    expect(byName.get('launcher_hot')!.summary.hitRates.hot).toBe(1);
    for (const hot of counted.filter((q) => q.path === 'hot')) expect(hot.timings.wake?.source).toBe('dpc_log');
  });
});
