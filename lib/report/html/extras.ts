/**
 * Parts of a test's section in `report.html` for fields other parts of the tool add to a
 * `TestReport`: the regression gate's baseline comparison, server and GPU metric series, the
 * prefix-cache results. Read structurally and defensively: a shape not recognised is listed as
 * JSON (escaped), never dropped and never guessed at.
 */
import type { TestReport } from '../model.ts';
import { type Charts, COLORS } from './charts.ts';
import { badge, type Cell, esc, num, pct, pre, table } from './escape.ts';

/** Optional fields other parts of the tool may add (baseline comparison, server metric series): drawn when their shape is recognised, listed otherwise. */
export function extras(r: TestReport, id: string, charts: Charts): string {
  const x = r as unknown as Record<string, unknown>;
  const out: string[] = [];
  const series = serverSeries(x.serverMetrics ?? x.server_metrics ?? x.metricsSeries);
  if (series.length) {
    out.push('<h4>Server and GPU metrics</h4><div class="grid">');
    series.slice(0, 12).forEach((s, k) =>
      out.push(charts.add({ id: `${id}-srv${k}`, title: s.name, x: { label: 'time since test start (s)' }, y: { label: s.unit ? `${s.name} (${s.unit})` : s.name }, series: [{ label: s.name, color: COLORS[k % COLORS.length]! }], data: [s.points.map((p) => p[0]), s.points.map((p) => p[1])] }, `${s.name}, ${s.points.length} points`)),
    );
    out.push('</div>');
  } else if (x.serverMetrics !== undefined) out.push(`<details><summary>Server metrics</summary>${pre(x.serverMetrics)}</details>`);
  if (x.baseline !== undefined && x.baseline !== null) out.push(baselineBlock(x.baseline));
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
      const ch = (x: number | null) => (x === null ? '-' : rel ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%` : `${x >= 0 ? '+' : ''}${num(x)}`);
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

/** Time series in a recognised shape: `[{ name, unit?, points: [[t, v], ...] }]` (or `{ series: [...] }`, points as `{ t, v }`). */
function serverSeries(v: unknown): Array<{ name: string; unit: string; points: Array<[number, number]> }> {
  const list = Array.isArray(v) ? v : v && typeof v === 'object' && Array.isArray((v as { series?: unknown }).series) ? (v as { series: unknown[] }).series : [];
  const out: Array<{ name: string; unit: string; points: Array<[number, number]> }> = [];
  for (const s of list) {
    if (!s || typeof s !== 'object') continue;
    const o = s as Record<string, unknown>;
    const name = o.name ?? o.metric ?? o.label;
    const raw = o.points ?? o.values ?? o.samples;
    if (typeof name !== 'string' || !Array.isArray(raw)) continue;
    const pts = raw
      .map((p): [number, number] | null => {
        if (Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number') return [p[0], p[1]];
        if (p && typeof p === 'object') {
          const q = p as Record<string, unknown>;
          const t = q.t ?? q.time ?? q.ts;
          const y = q.v ?? q.value;
          if (typeof t === 'number' && typeof y === 'number') return [t, y];
        }
        return null;
      })
      .filter((p): p is [number, number] => p !== null)
      .sort((a, b) => a[0] - b[0]);
    const step = Math.max(1, Math.ceil(pts.length / 1000));
    if (pts.length) out.push({ name, unit: typeof o.unit === 'string' ? o.unit : '', points: pts.filter((_, k) => k % step === 0) });
  }
  return out;
}
