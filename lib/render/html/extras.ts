/**
 * Parts of a test's section in `report.html` for fields other parts of the tool add to a
 * `TestReport`: the regression gate's baseline comparison, server and GPU metric series, the
 * prefix-cache results. Read structurally and defensively: a shape not recognised is listed as
 * JSON (escaped), never dropped and never guessed at.
 */
import type { ServerMetricsReport } from '../../report/server-metrics.ts';
import { formatChange } from '../../report/baseline.ts';
import type { TestReport } from '../../report/model.ts';
import { type Charts, COLORS } from './charts.ts';
import { badge, type Cell, esc, num, pct, pre, table } from './escape.ts';

/** Optional fields other parts of the tool may add (baseline comparison, server metric series): drawn when their shape is recognised, listed otherwise. */
export function extras(r: TestReport, id: string, charts: Charts): string {
  const x = r as unknown as Record<string, unknown>;
  const out: string[] = [];
  if (r.serverMetrics) out.push(serverMetricsBlock(r.serverMetrics, id, charts));
  if (x.baseline !== undefined && x.baseline !== null) out.push(baselineBlock(x.baseline));
  if (r.distributed?.role === 'merged') out.push(distributedBlock(r.distributed));
  if (r.prefixCache) {
    const pc = r.prefixCache;
    const ttft = (t: typeof pc.warm) => [t.count, num(t.p50Ms, 'ms'), num(t.p95Ms, 'ms'), num(t.meanMs, 'ms')];
    const server = pc.server.available ? `${pct(pc.server.hitRate)} (${pc.server.hitTokens} of ${pc.server.queriedTokens} tokens, ${pc.server.urls.join(', ')})` : `unavailable: ${pc.server.reason}`;
    out.push(
      '<h4>Prefix cache</h4>',
      table(['requests', 'n', 'TTFT p50', 'TTFT p95', 'TTFT mean'], [['warm', ...ttft(pc.warm)], ['cold', ...ttft(pc.cold)]]),
      table(['', 'value'], [
        ['warm/cold evidence', `${pc.evidence} (server ${pc.labelled.server}, order ${pc.labelled.order}; order guess wrong on ${pc.labelled.orderDisagrees}); warm from ${pc.warmThresholdTokens} cached tokens`],
        ['hit rate from usage (cached / prompt tokens)', pct(pc.usageHitRate)],
        ['hit rate of an ideal cache', `${pct(pc.ideal.hitRate)} (block size ${pc.ideal.blockSize}, ${pc.ideal.blockSizeFrom})`],
        ['server hit rate (Δhits / Δqueries)', server],
        ['workload', `${pc.workload.groups} groups × ${pc.workload.promptsPerGroup} prompts, system prompt ${pc.workload.systemPromptTokens} + question ${pc.workload.questionTokens} tokens, ${pc.workload.requests} requests`],
      ], 'kv'),
      table(['check', 'measured', 'limit', 'verdict', 'detail'], pc.checks.map((c) => [c.name, num(c.value), num(c.limit), c.skipped ? badge(null, 'skipped') : badge(c.pass), c.detail])),
    );
  }
  return out.join('');
}

/** A merged distributed test: who made the numbers (pod, node, share, clock offset, own validity) and which share is missing. */
function distributedBlock(d: NonNullable<TestReport['distributed']>): string {
  const rows: Cell[][] = d.pods.map((p) => [
    p.index, p.pod ?? '?', p.node ?? '?', p.share, p.requests, p.source === 'records' ? 'records' : `histograms: ${p.lost ?? ''}`, num(p.validity.scheduleLagP99Ms, 'ms'),
    p.clockOffsetMs === null ? 'n/a' : `${num(p.clockOffsetMs, 'ms')} ± ${num(p.clockBoundMs, 'ms')}`,
    p.incomplete ? badge(false, `incomplete: ${p.incomplete}`) : p.validity.valid ? badge(true, 'valid') : badge(false, `invalid: ${p.validity.reasons.join('; ')}`),
  ]);
  for (const m of d.missing) rows.push([m.index, '', '', m.share, 0, '', '', '', badge(false, `missing: ${m.reason}`)]);
  const spread = d.stageStartSpreadMs.length > 0 ? Math.max(...d.stageStartSpreadMs) : 0;
  return [
    `<h4>Distributed run: ${esc(String(d.pods.length))} of ${esc(String(d.parallelism))} pods${d.launched !== d.parallelism ? ` (${esc(String(d.launched))} launched: a search load runs whole in pod 0)` : ''}${d.partial ? ' (partial)' : ''}</h4>`,
    d.source === 'records'
      ? `<p>Merged from every pod's records (exact: the statistics of one process that made the same requests). Clock offsets are each pod's wall clock minus pod 0's; stage starts within ${num(spread, 'ms')} of each other.</p>`
      : `<p>Merged from the records of the pods whose records arrived and the encoded histograms of the others: percentiles within ${esc((d.relativeError! * 100).toPrecision(2))}% (relative) of the exact ones; counts, means, windows and throughputs exact. Clock offsets are each pod's wall clock minus pod 0's; stage starts within ${num(spread, 'ms')} of each other.</p>`,
    table(['index', 'pod', 'node', 'share', 'requests', 'source', 'schedule lag p99', 'clock offset', 'validity'], rows),
  ].join('');
}

/** The shape of a baseline comparison this page reads (`TestReport.baseline`); anything else is listed as JSON. */
interface BaselineView {
  source?: string;
  message?: string | null;
  error?: string | null;
  comparison?: {
    baseline?: { source?: string; stamp?: string; targetKind?: string | null; model?: string | null };
    confidence?: number;
    warnings?: string[];
    regressions?: number;
    improvements?: number;
    scenarios?: Array<{ scenario?: string; stage?: string | null; status?: string; metrics?: Array<Record<string, unknown>> }>;
  } | null;
}

/** The regression gate's comparison with a baseline run: one row per metric, the change with its confidence interval, and the verdict. */
function baselineBlock(v: unknown): string {
  const b = v as BaselineView;
  const c = b.comparison;
  if (typeof b !== 'object' || (!c && !b.error)) return `<h4>Baseline comparison</h4>${pre(v)}`;
  const head = `<h4>Baseline comparison ${c && (c.regressions ?? 0) > 0 ? badge(false, `${c.regressions} regression(s)`).html : c ? badge(true, 'no regression').html : badge(null, 'not compared').html}</h4>`;
  if (!c) return `${head}<p class="bad">${esc(b.error)}</p><p class="meta">baseline ${esc(b.source)}</p>`;
  const n = (x: unknown) => (typeof x === 'number' ? x : null);
  const rows: Cell[][] = [];
  for (const sc of c.scenarios ?? []) {
    for (const m of sc.metrics ?? []) {
      const rel = m.changeKind !== 'absolute';
      const ch = (x: number | null) => formatChange(x, rel ? 'relative' : 'absolute');
      const ci = Array.isArray(m.ci) ? `${ch(n(m.ci[0]))} .. ${ch(n(m.ci[1]))}` : '-';
      const verdict = String(m.verdict ?? '');
      rows.push([
        `${sc.stage ?? 'all stages'}`,
        `${String(m.metric ?? '')} ${String(m.stat ?? '')}`,
        num(n(m.baseline), String(m.unit ?? '')),
        num(n(m.current), String(m.unit ?? '')),
        ch(n(m.change)),
        ci,
        `±${rel ? `${((n(m.tolerance) ?? 0) * 100).toFixed(0)}%` : num(n(m.tolerance))}`,
        verdict === 'regression' ? badge(false, verdict) : verdict === 'improvement' ? badge(true, verdict) : { html: `<span class="dim">${esc(verdict)}${m.reason ? `: ${esc(m.reason)}` : ''}</span>` },
      ]);
    }
  }
  const ref = c.baseline ?? {};
  return `${head}<p class="meta">baseline ${esc(ref.source ?? b.source)} (run ${esc(ref.stamp)}, ${esc(ref.targetKind ?? '-')}, model ${esc(ref.model ?? '-')}); ${num((c.confidence ?? 0) * 100)}% bootstrap confidence intervals of the change</p>${(c.warnings ?? []).map((w) => `<p class="bad">${esc(w)}</p>`).join('')}${table(['stage', 'metric', 'baseline', 'this run', 'change', 'CI of the change', 'tolerance', 'verdict'], rows)}`;
}


/** A series' label from the labels that tell series apart (GPU, pod, instance, ...). */
function seriesLabel(labels: Record<string, string>, metric: string): string {
  const keys = ['gpu', 'UUID', 'pod', 'exported_pod', 'instance', 'path', 'finished_reason', 'model_name'];
  const parts = keys.filter((k) => labels[k] !== undefined).map((k) => `${k}=${labels[k]}`);
  return parts.length ? parts.join(' ') : metric;
}

/**
 * The server and GPU metrics of the test's window (Prometheus or direct /metrics scrapes): one
 * chart per metric that has series (one line per GPU or pod, time since the window start), a
 * table of min / mean / max / last, and what is missing and why.
 */
export function serverMetricsBlock(m: ServerMetricsReport, id: string, charts: Charts): string {
  const out: string[] = [
    '<h4>Server and GPU metrics</h4>',
    `<p class="meta">${m.source === 'prometheus' ? 'Prometheus' : 'scraped /metrics'} at ${esc(m.endpoint)}, ${esc(m.window.start)} to ${esc(m.window.end)}, every ${num(m.window.stepS)} s${m.window.stages.length > 1 ? `, ${m.window.stages.length} stages` : ''}</p>`,
  ];
  const rows: Cell[][] = m.metrics.map((x) => [
    x.name,
    x.status === 'ok' ? 'ok' : { html: `<span class="${x.status === 'error' ? 'bad' : 'dim'}">${esc(x.status)}</span>` },
    num(x.summary.min, x.unit),
    num(x.summary.mean, x.unit),
    num(x.summary.max, x.unit),
    num(x.summary.last, x.unit),
    x.series.length,
    x.reason ?? '',
  ]);
  out.push(table(['metric', 'status', 'min', 'mean', 'max', 'last', 'series', 'reason'], rows));
  out.push('<div class="grid">');
  let k = 0;
  for (const x of m.metrics) {
    if (x.status !== 'ok' || x.series.length === 0) continue;
    const times = [...new Set(x.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    const at = new Map(times.map((t, i) => [t, i]));
    const data: Array<Array<number | null>> = [times];
    for (const s of x.series) {
      const col: Array<number | null> = times.map(() => null);
      for (const [t, v] of s.points) col[at.get(t)!] = typeof v === 'number' && Number.isFinite(v) ? v : null;
      data.push(col);
    }
    const spec = {
      id: `${id}-srv${k}`,
      title: x.name,
      x: { label: 'time since test start (s)' },
      y: { label: x.unit ? `${x.name} (${x.unit})` : x.name },
      series: x.series.map((s, j) => ({ label: seriesLabel(s.labels, x.name), color: COLORS[(k + j) % COLORS.length]!, spanGaps: true })),
      data,
    };
    out.push(charts.add(spec, `${x.name}: ${x.series.length} series, ${times.length} points; ${x.query}`));
    k++;
  }
  out.push('</div>');
  if (m.missing.length) out.push(`<p class="note">missing: ${m.missing.map((x) => `${esc(x.name)} (${esc(x.reason)})`).join('; ')}</p>`);
  for (const n of m.notes ?? []) out.push(`<p class="note">${esc(n)}</p>`);
  return out.join('');
}
