/**
 * The actuation part of `report.html`: per test the cluster, the per-path table, hit rates and
 * SLO checks, a timeline per requester (created → scheduled → started → bound → Ready, coloured
 * by path) drawn as static SVG (no JavaScript needed, prints as is), and the scenario × path
 * matrix over the suite's tests. Every name from the cluster is escaped.
 */
import { type ActuationPath, type ActuationReport, PATHS, type RequesterRecord } from '../../report/actuation.ts';
import { summarize, type Summary } from '../../stats/index.ts';
import type { Outcome } from '../../report/run-report.ts';
import type { Charts } from './charts.ts';
import { badge, esc, num, pct, table } from './escape.ts';
import { serverMetricsBlock } from './extras.ts';

const LABEL: Record<ActuationPath | 'unknown', string> = { cold: 'cold', cold_launcher: 'cold (launcher)', warm: 'warm', hot: 'hot', unknown: 'unknown' };
export const PATH_COLOR: Record<ActuationPath | 'unknown', string> = { cold: '#d62728', cold_launcher: '#ff7f0e', warm: '#bcbd22', hot: '#2ca02c', unknown: '#7f7f7f' };
/** Rows drawn per timeline; the rest are counted in the caption. */
const MAX_ROWS = 200;

const p = (s: Summary | null | undefined, k: string) => s?.percentiles[k] ?? null;
const pair = (s: Summary | null | undefined): string => (s ? `${num(p(s, 'p50'))} / ${num(p(s, 'p95'))}` : '-');
const ms = (iso: string | undefined): number | undefined => {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

interface Row {
  label: string;
  path: ActuationPath | 'unknown';
  ready: boolean;
  /** Seconds from the step's scale request. */
  created?: number;
  scheduled?: number;
  started?: number;
  bound?: number;
  readyAt?: number;
}

function rowOf(phase: string, r: RequesterRecord): Row {
  const m = r.moments;
  const t0 = ms(m?.scaleRequest);
  const at = (iso: string | undefined): number | undefined => {
    const t = ms(iso);
    return t === undefined || t0 === undefined ? undefined : (t - t0) / 1000;
  };
  return {
    label: `${phase} · ${r.requester}`,
    path: r.path,
    ready: r.ready,
    created: at(m?.created),
    scheduled: at(m?.scheduled.client ?? m?.scheduled.kube),
    started: at(m?.containerStarted.client ?? m?.containerStarted.kube),
    bound: at(m?.dualLabel),
    readyAt: at(m?.ready.client ?? m?.ready.kube),
  };
}

function ticks(max: number): number[] {
  const raw = max / 6;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) out.push(Number(t.toPrecision(6)));
  return out;
}

/** The requesters' timelines of one test as SVG; null when no requester has moments. */
export function timelineSvg(r: ActuationReport): string | null {
  const all = r.steps.flatMap((s) => s.requesters.map((q) => rowOf(s.phase, q))).filter((x) => x.readyAt !== undefined || x.created !== undefined);
  if (!all.length) return null;
  const rows = all.slice(0, MAX_ROWS);
  const ends = rows.flatMap((x) => [x.created, x.scheduled, x.started, x.bound, x.readyAt]).filter((x): x is number => x !== undefined);
  const max = Math.max(0.001, ...ends) * 1.04;
  const L = 310;
  const W = 900;
  const H = 18;
  const top = 24;
  const plotW = W - L - 20;
  const X = (t: number) => (L + (Math.max(0, t) / max) * plotW).toFixed(1);
  const height = top + rows.length * H + 40;
  const out: string[] = [
    `<svg class="timeline" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="actuation timeline per requester">`,
  ];
  for (const t of ticks(max / 1.04)) {
    out.push(`<line x1="${X(t)}" y1="${top - 4}" x2="${X(t)}" y2="${top + rows.length * H}" class="grid"/><text x="${X(t)}" y="${top + rows.length * H + 14}" class="tick">${esc(num(t))}</text>`);
  }
  out.push(`<text x="${L + plotW / 2}" y="${height - 6}" class="axis">seconds since the step's scale request (cluster time)</text>`);
  rows.forEach((x, i) => {
    const y = top + i * H;
    const color = PATH_COLOR[x.path];
    const start = x.created ?? 0;
    const end = x.readyAt ?? Math.max(start, x.started ?? start, x.bound ?? start, x.scheduled ?? start);
    const title = [
      `${x.label}: ${LABEL[x.path]}${x.ready ? '' : ' (not Ready)'}`,
      ...(
        [['created', x.created], ['scheduled', x.scheduled], ['started', x.started], ['bound', x.bound], ['Ready', x.readyAt]] as Array<[string, number | undefined]>
      ).map(([k, v]) => `${k} ${v === undefined ? '-' : `${num(v)} s`}`),
    ].join('\n');
    out.push(`<g><title>${esc(title)}</title><text x="${L - 6}" y="${y + 12}" class="label">${esc(x.label.length > 48 ? `${x.label.slice(0, 47)}…` : x.label)}</text>`);
    out.push(`<line x1="${X(0)}" y1="${y + 9}" x2="${X(start)}" y2="${y + 9}" class="wait"/>`);
    out.push(`<rect x="${X(start)}" y="${y + 3}" width="${Math.max(1, Number(X(end)) - Number(X(start))).toFixed(1)}" height="12" fill="${color}"${x.ready ? '' : ' fill-opacity="0.35" stroke="#000" stroke-dasharray="3 2"'}/>`);
    if (x.scheduled !== undefined) out.push(`<line x1="${X(x.scheduled)}" y1="${y + 1}" x2="${X(x.scheduled)}" y2="${y + 17}" class="m-sched"/>`);
    if (x.started !== undefined) out.push(`<line x1="${X(x.started)}" y1="${y + 1}" x2="${X(x.started)}" y2="${y + 17}" class="m-start"/>`);
    if (x.bound !== undefined) out.push(`<circle cx="${X(x.bound)}" cy="${y + 9}" r="3.5" class="m-bound"/>`);
    out.push('</g>');
  });
  out.push('</svg>');
  const legend = [...PATHS, 'unknown' as const]
    .filter((k) => rows.some((x) => x.path === k))
    .map((k) => `<span class="key"><i style="background:${PATH_COLOR[k]}"></i>${esc(LABEL[k])}</span>`)
    .join('');
  const marks = '<span class="key"><i class="k-wait"></i>scale request → created</span><span class="key"><i class="k-sched"></i>scheduled</span><span class="key"><i class="k-start"></i>container started</span><span class="key"><i class="k-bound"></i>bound (dual label)</span><span class="key">bar ends at Ready; dashed: never Ready</span>';
  const more = all.length > rows.length ? ` First ${rows.length} of ${all.length} requesters shown.` : '';
  return `<figure class="chart">${out.join('')}<figcaption><span class="legend">${legend}${marks}</span> Client-observed moments where the watch saw them, else API server timestamps.${more}</figcaption></figure>`;
}

/**
 * One actuation test. With `charts` (the page's collector), the test's server metrics
 * (`serverMetrics`: GPU, vLLM and controller series over its window) are drawn as for a
 * benchmark test; without it, or without server metrics, that block is left out.
 */
export function actuationSection(o: Outcome<ActuationReport>, id: string, charts?: Charts): string {
  const r = o.report;
  const s = r.summary;
  const sim = r.cluster.kind === 'simulator';
  const where = sim
    ? `<p class="sim-note">SIMULATOR: embedded cluster simulator, time scale ${esc(r.cluster.timeScale)} (cluster seconds are modeled, not measured on a cluster).</p>`
    : `<p>cluster ${esc(r.cluster.server)} (context ${esc(r.cluster.context)}, ${esc(r.cluster.serverVersion)})</p>`;
  const counted = r.steps.filter((x) => x.counted).map((x) => x.phase).join(', ');
  const rows = [...PATHS, 'unknown' as const]
    .filter((k) => s.byPath[k])
    .map((k) => {
      const ps = s.byPath[k]!;
      return [{ html: `<span class="swatch" style="background:${PATH_COLOR[k]}"></span>${esc(LABEL[k])}` }, ps.count, pair(ps.actuation), pair(ps.total), pair(ps.actuationDpc), pair(ps.firstTokenAfterReady)];
    });
  const slo = r.slo.map((c) => [c.name, c.value === null ? '-' : num(c.value), `${c.op} ${c.limit}`, badge(c.pass)]);
  const verdict = o.state === 'passed' ? badge(true, 'passed') : badge(false, o.state);
  const steps = r.steps.map((x) => [x.phase, x.replicas, x.preexisting, x.requesters.length, x.requesters.filter((q) => q.ready).length, x.counted ? 'yes' : 'no', x.timedOut ? 'TIMED OUT' : 'no', x.controllerLog]);
  return `<section class="test" id="${id}">
<h3>${esc(r.suite)}/${esc(r.scenario)} ${verdict.html}</h3>
${where}
<p class="meta">matrix row ${esc(r.matrixRow)}, namespace ${esc(r.cluster.namespace)}, run ${esc(r.runId)}, ${esc(r.timestamp)}; ${s.n} requesters counted (${esc(counted)}), ${s.ready} Ready</p>
${o.error ? `<pre class="error">${esc(o.error)}</pre>` : ''}
<h4>Per path (seconds, cluster time: p50 / p95)</h4>
${table(['path', 'n', 'T_actuation (start → Ready)', 'scale → Ready', 'start → relay (DPC)', 'Ready → first token'], rows)}
<p>hit rates: hot ${pct(s.hitRates.hot)}, warm ${pct(s.hitRates.warm)}, cold ${pct(s.hitRates.cold)}, cold with launcher ${pct(s.hitRates.coldLauncher)}${s.hitRates.unknown ? `, unknown ${pct(s.hitRates.unknown)}` : ''}${s.disagreements ? `; ${s.disagreements} classification disagreement(s)` : ''}</p>
${slo.length ? `<h4>SLO checks</h4>${table(['check', 'value', 'limit', 'verdict'], slo)}` : ''}
<h4>Timeline per requester</h4>
${timelineSvg(r) ?? '<p class="note">No requester moments recorded (report from an older version).</p>'}
<h4>Steps</h4>
${table(['phase', 'replicas', 'pre-existing', 'requesters', 'Ready', 'counted', 'timed out', 'controller log'], steps)}
${r.notes.length ? `<ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
${r.serverMetrics && charts ? serverMetricsBlock(r.serverMetrics, id, charts) : ''}
</section>`;
}

/** The scenario × path matrix: T_actuation p50 / p95 seconds and n per matrix row and path. */
export function actuationMatrix(reports: ActuationReport[]): string {
  const rows = new Map<string, ActuationReport[]>();
  for (const r of reports) rows.set(r.matrixRow, [...(rows.get(r.matrixRow) ?? []), r]);
  const body = [...rows].map(([row, rs]) => {
    const records = rs.flatMap((r) => r.steps.filter((s) => s.counted).flatMap((s) => s.requesters));
    return [
      row,
      ...PATHS.map((path): string | { html: string; cls: string } => {
        const v = records.filter((x) => x.path === path).map((x) => x.timings.actuation?.seconds).filter((x): x is number => x !== undefined && Number.isFinite(x));
        if (!v.length) return '-';
        const st = summarize(v, [50, 95]);
        return { html: `${esc(num(p(st, 'p50')))} / ${esc(num(p(st, 'p95')))} <span class="dim">(n=${v.length})</span>`, cls: 'n' };
      }),
    ];
  });
  return `<h3>Scenario × path matrix</h3><p class="meta">T_actuation = container start → Ready, seconds (cluster time) p50 / p95, n requesters counted.</p>${table(['scenario', ...PATHS.map((x) => LABEL[x])], body, 'matrix')}`;
}
