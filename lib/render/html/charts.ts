/**
 * Charts of `report.html`: specs built here from the report model and `requests.jsonl` series,
 * written into one `<script type="application/json">` block, and drawn in the page by uPlot
 * (inlined from node_modules) through `CHART_SCRIPT`, a fixed script that reads the specs with
 * `JSON.parse`: no script text is ever built from data.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { StageReport, TestReport } from '../../report/model.ts';
import type { Summary } from '../../stats/summary.ts';
import { esc } from './escape.ts';
import { DIST_METRICS, type DistMetric, type Histogram, type TestSeries } from './series.ts';

/** One series of a chart: a line, a histogram step, or points alone. */
export interface SeriesSpec {
  label: string;
  color: string;
  style?: 'line' | 'step' | 'points';
  axis?: 'y' | 'y2';
  dash?: boolean;
  spanGaps?: boolean;
}

/** A chart: `data[0]` the x values, `data[k]` series k-1 (null where it has no value). */
export interface ChartSpec {
  id: string;
  title: string;
  x: { label: string; log?: boolean };
  y: { label: string; log?: boolean };
  y2?: { label: string };
  series: SeriesSpec[];
  data: Array<Array<number | null>>;
}

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

/** The page's chart code: reads `#llmd-charts` and draws each spec into the element of its id. */
export const CHART_SCRIPT = `(function () {
  'use strict';
  var data = document.getElementById('llmd-charts');
  if (!data || typeof uPlot === 'undefined') return;
  var specs = JSON.parse(data.textContent);
  function fmt(u, v) {
    if (v === null || v === undefined) return '-';
    var a = Math.abs(v);
    return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : a === 0 ? '0' : v.toPrecision(3);
  }
  specs.forEach(function (spec) {
    var host = document.getElementById(spec.id);
    if (!host) return;
    host.textContent = '';
    var width = Math.max(320, Math.min(host.clientWidth || 720, 1100));
    var scales = { x: { time: false, distr: spec.x.log ? 3 : 1 }, y: { distr: spec.y.log ? 3 : 1 } };
    var axes = [{ label: spec.x.label, scale: 'x' }, { label: spec.y.label, scale: 'y', size: 64 }];
    if (spec.y2) {
      scales.y2 = { distr: 1 };
      axes.push({ label: spec.y2.label, scale: 'y2', side: 1, size: 64, grid: { show: false } });
    }
    var series = [{ label: spec.x.label, value: fmt }];
    spec.series.forEach(function (s) {
      var o = { label: s.label, stroke: s.color, width: 1.75, scale: s.axis || 'y', spanGaps: !!s.spanGaps, value: fmt, points: { show: false } };
      if (s.style === 'step') { o.paths = uPlot.paths.stepped({ align: 1 }); o.fill = s.color + '30'; }
      if (s.style === 'points') { o.paths = function () { return null; }; o.points = { show: true, size: 9, stroke: s.color, fill: s.color }; }
      if (s.dash) o.dash = [6, 4];
      series.push(o);
    });
    host.setAttribute('data-rendered', 'true');
    new uPlot({ width: width, height: 280, title: spec.title, scales: scales, axes: axes, series: series }, spec.data, host);
  });
})();`;

const require = createRequire(import.meta.url);

/** uPlot's minified script and stylesheet, read from node_modules (inlined into each report). */
export function uplotAssets(): { js: string; css: string; version: string } {
  const dir = require.resolve('uplot/package.json').replace(/package\.json$/, '');
  const version = (JSON.parse(readFileSync(`${dir}package.json`, 'utf8')) as { version: string }).version;
  return { js: readFileSync(`${dir}dist/uPlot.iife.min.js`, 'utf8'), css: readFileSync(`${dir}dist/uPlot.min.css`, 'utf8'), version };
}

/** Collects the page's charts while sections are rendered. */
export class Charts {
  readonly specs: ChartSpec[] = [];
  add(spec: ChartSpec | null, caption: string): string {
    if (!spec) return '';
    this.specs.push(spec);
    return chartBox(spec, caption);
  }
}

/** The element a chart draws into, with its caption (and what shows without JavaScript). */
export function chartBox(spec: ChartSpec, caption: string): string {
  return `<figure class="chart"><div class="plot" id="${esc(spec.id)}" role="img" aria-label="${esc(spec.title)}"><p class="nojs">${esc(spec.title)}: chart needs JavaScript; the tables hold the same figures.</p></div><figcaption>${esc(caption)}</figcaption></figure>`;
}

const r4 = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toPrecision(4)));

export const METRIC_LABEL: Record<DistMetric, { name: string; unit: 'ms' | 's'; scale: number }> = {
  ttft: { name: 'TTFT', unit: 'ms', scale: 1 },
  tpot: { name: 'TPOT', unit: 'ms', scale: 1 },
  itl: { name: 'ITL per chunk', unit: 'ms', scale: 1 },
  e2e: { name: 'E2E latency', unit: 's', scale: 0.001 },
};

/**
 * Distribution of one metric: the test's histogram (share of samples per log-spaced bin, left
 * axis) and its CDF (right axis), with one CDF per stage for a multi-stage test.
 */
export function distributionChart(id: string, metric: DistMetric, s: TestSeries, stageLabels: Map<number, string>): ChartSpec | null {
  const h = s.hist[metric];
  if (!h.counts.length) return null;
  const { name, unit, scale } = METRIC_LABEL[metric];
  const x = h.edges.map((e) => r4(e * scale));
  const share = (hh: Histogram) => [...hh.counts.map((c) => r4((100 * c) / hh.total)), 0];
  const cdf = (hh: Histogram) => {
    let acc = 0;
    return [0, ...hh.counts.map((c) => r4((100 * (acc += c)) / hh.total))];
  };
  const series: SeriesSpec[] = [{ label: `share of ${h.total.toLocaleString('en-US')} samples`, color: COLORS[0]!, style: 'step' }];
  const data: Array<Array<number | null>> = [x, share(h)];
  const stages = s.stages.filter((st) => st.hist[metric].total > 0);
  if (stages.length > 1) {
    stages.forEach((st, k) => {
      series.push({ label: `CDF ${stageLabels.get(st.stage) ?? `stage ${st.stage}`}`, color: COLORS[(k + 1) % COLORS.length]!, axis: 'y2' });
      data.push(cdf(st.hist[metric]));
    });
  } else {
    series.push({ label: 'CDF', color: COLORS[1]!, axis: 'y2' });
    data.push(cdf(h));
  }
  return { id, title: `${name} distribution`, x: { label: `${name} (${unit}, log scale)`, log: true }, y: { label: 'share of samples (%)' }, y2: { label: 'cumulative (%)' }, series, data };
}

const QS: Array<[string, number]> = [['p0_1', 0.1], ['p1', 1], ['p5', 5], ['p10', 10], ['p25', 25], ['p50', 50], ['p75', 75], ['p90', 90], ['p95', 95], ['p99', 99], ['p99_9', 99.9]];

/** Without `requests.jsonl`: the quantile function of a metric from its summary (min, p0.1..p99.9, max). */
export function quantileChart(id: string, metric: DistMetric, s: Summary): ChartSpec | null {
  if (!s.count) return null;
  const { name, unit, scale } = METRIC_LABEL[metric];
  const pts: Array<[number, number | null]> = [[0, s.min], ...QS.filter(([k]) => k in s.percentiles).map(([k, q]): [number, number | null] => [q, s.percentiles[k] ?? null]), [100, s.max]];
  return {
    id,
    title: `${name} percentiles (from the summary)`,
    x: { label: 'percentile (0 = min, 100 = max)' },
    y: { label: `${name} (${unit})` },
    series: [{ label: name, color: COLORS[0]!, spanGaps: true }],
    data: [pts.map(([q]) => q), pts.map(([, v]) => r4(v === null ? null : v * scale))],
  };
}

/** Latency over time (TTFT and E2E p50/p95 of the requests sent in each bucket) and throughput over time. */
export function timeCharts(idBase: string, s: TestSeries): ChartSpec[] {
  if (!s.timeline.length) return [];
  const t = s.timeline.map((p) => p.t);
  const e2e = (v: number | null) => r4(v === null ? null : v / 1000);
  return [
    {
      id: `${idBase}-lat`,
      title: `Latency over time (${s.bucketS} s buckets, by send time)`,
      x: { label: 'time since test start (s)' },
      y: { label: 'TTFT (ms)' },
      y2: { label: 'E2E latency (s)' },
      series: [
        { label: 'TTFT p50', color: COLORS[0]! },
        { label: 'TTFT p95', color: COLORS[0]!, dash: true },
        { label: 'E2E p50', color: COLORS[1]!, axis: 'y2' },
        { label: 'E2E p95', color: COLORS[1]!, axis: 'y2', dash: true },
      ],
      data: [t, s.timeline.map((p) => p.ttftP50), s.timeline.map((p) => p.ttftP95), s.timeline.map((p) => e2e(p.e2eP50)), s.timeline.map((p) => e2e(p.e2eP95))],
    },
    {
      id: `${idBase}-tput`,
      title: `Throughput over time (${s.bucketS} s buckets, by finish time)`,
      x: { label: 'time since test start (s)' },
      y: { label: 'output tokens/s' },
      y2: { label: 'requests/s' },
      series: [
        { label: 'output tokens/s', color: COLORS[2]! },
        { label: 'successful requests/s', color: COLORS[3]!, axis: 'y2' },
        { label: 'failed requests/s', color: COLORS[1]!, axis: 'y2' },
      ],
      data: [t, s.timeline.map((p) => p.outputTokensPerS), s.timeline.map((p) => p.okPerS), s.timeline.map((p) => p.errorsPerS)],
    },
  ];
}

const p = (s: Summary, k: string): number | null => s.percentiles[k] ?? null;
const offeredOf = (st: StageReport): number | null => st.offered.concurrency ?? st.offered.rate;

/**
 * Sweeps: latency against the throughput each stage reached (the knee marked), and throughput
 * and latency against the offered load. A line joins the stages when x grows with them; points
 * alone otherwise (a capacity search probes out of order).
 */
export function sweepCharts(idBase: string, r: TestReport): ChartSpec[] {
  const stages = r.stages.filter((st) => st.stats.throughput.outputTokensPerS !== null);
  if (stages.length < 2) return [];
  const out: ChartSpec[] = [];
  const byTput = [...stages].sort((a, b) => a.stats.throughput.outputTokensPerS! - b.stats.throughput.outputTokensPerS!);
  const monotonic = byTput.every((st, k) => st === stages[k]);
  const style = monotonic ? 'line' : 'points';
  const kneeStage = r.knee?.concurrency != null ? stages.find((st) => st.offered.concurrency === r.knee!.concurrency) : undefined;
  const lat: ChartSpec = {
    id: `${idBase}-lvt`,
    title: 'Latency vs throughput (one point per stage)',
    x: { label: 'output throughput (tokens/s)' },
    y: { label: 'TTFT / TPOT (ms)' },
    y2: { label: 'E2E latency p95 (s)' },
    series: [
      { label: 'TTFT p50', color: COLORS[0]!, style, spanGaps: true },
      { label: 'TTFT p95', color: COLORS[3]!, style, dash: true, spanGaps: true },
      { label: 'TPOT p95', color: COLORS[2]!, style, dash: true, spanGaps: true },
      { label: 'E2E p95', color: COLORS[1]!, style, axis: 'y2', spanGaps: true },
    ],
    data: [
      byTput.map((st) => r4(st.stats.throughput.outputTokensPerS)),
      byTput.map((st) => r4(p(st.stats.latency.ttft, 'p50'))),
      byTput.map((st) => r4(p(st.stats.latency.ttft, 'p95'))),
      byTput.map((st) => r4(p(st.stats.latency.tpot, 'p95'))),
      byTput.map((st) => { const v = p(st.stats.latency.e2e, 'p95'); return r4(v === null ? null : v / 1000); }),
    ],
  };
  if (kneeStage) {
    lat.series.push({ label: `knee (concurrency ${r.knee!.concurrency})`, color: '#000000', style: 'points' });
    lat.data.push(byTput.map((st) => (st === kneeStage ? r4(p(st.stats.latency.ttft, 'p95')) : null)));
  }
  out.push(lat);
  const withOffered = stages.filter((st) => offeredOf(st) !== null);
  if (withOffered.length >= 2) {
    const closed = withOffered.every((st) => st.offered.concurrency !== null);
    const byOffered = [...withOffered].sort((a, b) => offeredOf(a)! - offeredOf(b)!);
    const inOrder = byOffered.every((st, k) => st === withOffered[k]) && new Set(byOffered.map(offeredOf)).size === byOffered.length;
    const st2 = inOrder ? 'line' : 'points';
    const load: ChartSpec = {
      id: `${idBase}-load`,
      title: `Throughput and latency vs offered ${closed ? 'concurrency' : 'load'}`,
      x: { label: closed ? 'offered concurrency (requests in flight)' : 'offered rate (requests/s)' },
      y: { label: 'output throughput (tokens/s)' },
      y2: { label: 'TTFT p95 (ms)' },
      series: [
        { label: 'output tokens/s', color: COLORS[2]!, style: st2, spanGaps: true },
        { label: 'TTFT p95', color: COLORS[0]!, style: st2, axis: 'y2', dash: true, spanGaps: true },
      ],
      data: [byOffered.map((st) => offeredOf(st)), byOffered.map((st) => r4(st.stats.throughput.outputTokensPerS)), byOffered.map((st) => r4(p(st.stats.latency.ttft, 'p95')))],
    };
    if (kneeStage && closed) {
      load.series.push({ label: `knee (concurrency ${r.knee!.concurrency})`, color: '#000000', style: 'points' });
      load.data.push(byOffered.map((st) => (st === kneeStage ? r4(st.stats.throughput.outputTokensPerS) : null)));
    }
    out.push(load);
  }
  return out;
}

export { DIST_METRICS };
