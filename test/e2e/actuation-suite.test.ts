import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runSuitesOnceValid, workspace } from './run-suite.ts';

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
    const run = await runSuitesOnceValid(['suites/actuation'], workspace(), {
      HOME: home,
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: '',
      BENCH_CLUSTER: '',
      BENCH_KUBECONFIG: '',
      BENCH_NAMESPACE: '',
    }, 55_000);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Tests +7 passed \(7\)/);
    // The tables fit 80 columns: wrapped lines (indented by 4) joined back for the check.
    expect(run.output.replace(/\n {4,}/g, ' ')).toContain('actuation/baseline  SIMULATOR (embedded cluster simulator, time scale 0.02; cluster seconds, modeled) namespace llm-d-sim');

    // The matrix: every path column has a p50 / p95 (n) cell in some row.
    const matrix = run.output.slice(run.output.indexOf('actuation matrix (T_actuation = container start -> Ready, seconds p50 / p95, n)'));
    const lines = matrix.split('\n');
    expect(lines[1]).toMatch(/^scenario +cold +cold \(launcher\) +warm +hot$/);
    // A row: its name, then its four cells (on the same line, or on the next when the name is long).
    const cellText = /(?<=\s)(-|[\d.]+ \/ [\d.]+ \(\d+\))(?=\s|$)/g;
    const rows: Array<{ name: string; cells: string[] }> = [];
    for (let k = 2; k < lines.length && rows.length < 3; k++) {
      const found = [...lines[k]!.matchAll(cellText)];
      if (found.length === 4 && /^\S/.test(lines[k]!)) rows.push({ name: lines[k]!.slice(0, found[0]!.index).trim(), cells: found.map((m) => m[1]!) });
      else if (found.length === 0 && /^\S/.test(lines[k]!)) rows.push({ name: lines[k]!.trim(), cells: [...lines[++k]!.matchAll(cellText)].map((m) => m[1]!) });
    }
    expect(rows.map((r) => r.name)).toEqual(['Introducing New Variant', 'Fast Replica Scale Up', 'Free Up Cluster Resources']);
    const cell = /^ *([\d.]+) \/ ([\d.]+) \((\d+)\)$/;
    const cells = rows.map((r) => r.cells);
    expect(cells.map((c) => c.length)).toEqual([4, 4, 4]);
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
