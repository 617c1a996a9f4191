/**
 * Terminal renderings of actuation reports: a table per test and the scenario x path matrix over
 * a suite's tests. Every figure is seconds of cluster time.
 */
import { type ActuationPath, type ActuationReport, PATHS } from '../report/actuation.ts';
import { summarize, type Summary } from '../stats/index.ts';
import { headed, TABLE_WIDTH, wrap } from './table.ts';

const LABEL: Record<ActuationPath | 'unknown', string> = { cold: 'cold', cold_launcher: 'cold (launcher)', warm: 'warm', hot: 'hot', unknown: 'unknown' };
const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
const p = (s: Summary | null | undefined, k: string) => s?.percentiles[k] ?? null;

/** A table for one test; every line fits in `TABLE_WIDTH` (80) columns, long notes wrap. */
export function renderActuationTable(r: ActuationReport): string {
  const where = r.cluster.kind === 'simulator'
    ? `SIMULATOR (embedded cluster simulator, time scale ${r.cluster.timeScale}; cluster seconds, modeled)`
    : `cluster ${r.cluster.server} (${r.cluster.context}, ${r.cluster.serverVersion})`;
  const s = r.summary;
  const lines = [...headed((_k, t) => t, `${r.suite}/${r.scenario}`, null, `${where}  namespace ${r.cluster.namespace}`)];
  const counted = r.steps.filter((x) => x.counted).map((x) => x.phase).join(', ');
  lines.push(...wrap(`${s.n} requesters counted (${counted}), ${s.ready} Ready; seconds: p50 / p95`));
  const w = 13;
  lines.push(`  ${'path'.padEnd(16)}${'n'.padStart(4)}${'actuation'.padStart(w)}${'scale->Ready'.padStart(w)}${'relay (DPC)'.padStart(w)}${'Ready->token'.padStart(w)}`);
  for (const path of [...PATHS, 'unknown'] as const) {
    const ps = s.byPath[path];
    if (!ps) continue;
    const pair = (x: Summary | null) => ` ${fmt(p(x, 'p50'))} / ${fmt(p(x, 'p95'))}`.padStart(w);
    lines.push(`  ${LABEL[path].padEnd(16)}${String(ps.count).padStart(4)}${pair(ps.actuation)}${pair(ps.total)}${pair(ps.actuationDpc)}${pair(ps.firstTokenAfterReady)}`);
  }
  lines.push(...wrap(`hit rates: hot ${pct(s.hitRates.hot)}, warm ${pct(s.hitRates.warm)}, cold ${pct(s.hitRates.cold)}, cold with launcher ${pct(s.hitRates.coldLauncher)}${s.hitRates.unknown ? `, unknown ${pct(s.hitRates.unknown)}` : ''}`));
  if (s.disagreements) lines.push(...wrap(`${s.disagreements} classification disagreement(s) (see summary.json)`));
  const failed = r.slo.filter((c) => !c.pass);
  if (r.slo.length) lines.push(...wrap(`SLO: ${failed.length ? `FAIL (${failed.map((c) => c.name).join(', ')})` : 'PASS'}`));
  if (r.cluster.kind === 'simulator') {
    lines.push(...wrap(`note: on the simulator every real millisecond of client or event-loop delay counts ${Math.round(1 / r.cluster.timeScale)} cluster milliseconds; sub-second figures (wake, first token) are upper bounds`, '  ', '        '));
  }
  for (const n of r.notes) lines.push(...wrap(`note: ${n}`, '  ', '        '));
  return lines.join('\n');
}

/**
 * The scenario x path matrix: rows are the tests' matrix rows, cells `p50 / p95` actuation seconds
 * and the count. Fits in `TABLE_WIDTH` columns: a row name too long for its column gets a line of
 * its own, with the cells on the next line.
 */
export function renderMatrix(reports: ActuationReport[]): string {
  const rows = new Map<string, ActuationReport[]>();
  for (const r of reports) rows.set(r.matrixRow, [...(rows.get(r.matrixRow) ?? []), r]);
  const body: Array<[string, string[]]> = [];
  for (const [row, rs] of rows) {
    const records = rs.flatMap((r) => r.steps.filter((s) => s.counted).flatMap((s) => s.requesters));
    const cells = PATHS.map((path) => {
      const v = records.filter((x) => x.path === path).map((x) => x.timings.actuation?.seconds).filter((x): x is number => x !== undefined);
      if (!v.length) return '-';
      const st = summarize(v, [50, 95]);
      return `${fmt(p(st, 'p50'))} / ${fmt(p(st, 'p95'))} (${v.length})`;
    });
    body.push([row, cells]);
  }
  const width = Math.max(16, ...body.flatMap(([, cells]) => cells.map((c) => c.length + 1)));
  const nameWidth = Math.max(2, Math.min(30, TABLE_WIDTH - PATHS.length * width));
  const cellsOf = (cells: readonly string[]): string => cells.map((c) => c.padStart(width)).join('');
  const lines = [
    ...wrap('actuation matrix (T_actuation = container start -> Ready, seconds p50 / p95, n)', '', '    '),
    `${'scenario'.padEnd(nameWidth)}${cellsOf(PATHS.map((x) => LABEL[x]))}`,
  ];
  for (const [row, cells] of body) {
    if (row.length < nameWidth) lines.push(`${row.padEnd(nameWidth)}${cellsOf(cells)}`);
    else lines.push(...wrap(row, '', '    '), `${''.padEnd(nameWidth)}${cellsOf(cells)}`);
  }
  return lines.join('\n');
}
