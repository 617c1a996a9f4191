/**
 * A comparison as text: the terminal table of every metric, the failure message listing the
 * regressions, and the change format (`+26.2%`, `-1.00 pp`) every view of a comparison shares.
 */
import type { Comparison, MetricComparison, RunRef, ScenarioComparison } from './comparison.ts';
import { formatChange } from '../report/baseline.ts';

export { formatChange };

const label = (m: MetricComparison): string =>
  m.metric === 'throughput' ? 'throughput' : m.metric === 'success_rate' ? 'success rate' : `${m.metric} ${m.stat}`;

function value(v: number | null, unit: string): string {
  if (v === null) return '-';
  if (unit === 'fraction') return `${(v * 100).toFixed(2)}%`;
  const a = Math.abs(v);
  return `${a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
}

const ci = (m: MetricComparison): string => (m.ci ? `${formatChange(m.ci[0], m.changeKind)}..${formatChange(m.ci[1], m.changeKind)}` : '-');
const tol = (m: MetricComparison): string => `${Number((m.tolerance * 100).toFixed(3))}${m.changeKind === 'absolute' ? ' pp' : '%'}`;
const conf = (c: number): string => `${Number((c * 100).toFixed(1))}%`;
const where = (s: ScenarioComparison): string => (s.stage === null ? s.scenario : `${s.scenario} [${s.stage}]`);

function verdictCell(m: MetricComparison): string {
  if (m.verdict === 'regression') return 'REGRESSION';
  if (m.verdict === 'not comparable') return 'n/c';
  if (m.verdict === 'too few samples') return 'few n';
  if (m.verdict === 'unchanged' && m.significant) return 'within tol';
  return m.verdict;
}

/** Cuts a line to `width` columns (ending in `~` when cut). */
function fit(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}~`;
}

const COLS = [13, 11, 11, 8, 18] as const;

/**
 * The comparison as a terminal table, every line at most `width` columns (80 by default): per
 * scenario (and stage), metric, baseline, current, change, CI, verdict. `within tol` marks a
 * significant change inside the tolerance; `n/c` (not comparable) is followed by its reason.
 */
export function formatComparison(c: Comparison, width = 80): string {
  const out: string[] = [];
  const run = (r: RunRef): string => `${r.stamp} (${r.targetKind ?? 'unknown target'}${r.model ? `, ${r.model}` : ''})`;
  out.push(`Baseline ${c.baseline.suite} ${run(c.baseline)}`);
  out.push(`current  ${c.current.suite} ${run(c.current)}`);
  out.push(`${conf(c.confidence)} bootstrap CI, ${c.resamples} resamples, seed ${c.seed}`);
  for (const w of c.warnings) out.push(`warning: ${w}`);
  const row = (cells: string[]): string =>
    `  ${cells
      .map((x, i) => (i < COLS.length ? (i === 0 ? x.padEnd(COLS[i]!) : x.padStart(COLS[i]!)) : x))
      .join(' ')}`;
  for (const s of c.scenarios) {
    if (s.status === 'no baseline') {
      out.push(`${where(s)}: no baseline (not in ${c.baseline.stamp})`);
      continue;
    }
    out.push(where(s));
    out.push(row(['metric', 'baseline', 'current', 'change', `${conf(c.confidence)} CI`, ' verdict']));
    for (const m of s.metrics) {
      out.push(row([label(m), value(m.baseline, m.unit), value(m.current, m.unit), formatChange(m.change, m.changeKind), ci(m), ` ${verdictCell(m)}`]));
      if (m.reason && m.verdict !== 'too few samples') out.push(`    ${m.reason}`);
    }
  }
  if (c.baselineOnly.length > 0) out.push(`not in the current run: ${c.baselineOnly.join(', ')}`);
  const shown = new Set(c.scenarios.flatMap((s) => s.metrics.map(verdictCell)));
  const legend = [
    shown.has('within tol') ? 'within tol = significant but inside the tolerance' : '',
    shown.has('n/c') ? 'n/c = not comparable' : '',
    shown.has('few n') ? 'few n = too few samples to judge this percentile' : '',
  ].filter(Boolean);
  out.push(...legend);
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  const few = c.scenarios.reduce((a, x) => a + x.metrics.filter((m) => m.verdict === 'too few samples').length, 0);
  out.push(`${plural(c.regressions, 'regression')}, ${plural(c.improvements, 'improvement')}, ${c.notComparable} not comparable${few ? `, ${few} with too few samples` : ''}`);
  return out.map((l) => fit(l, width)).join('\n');
}

/**
 * The failure message of a comparison with regressions, one line per regression:
 * `latency_benchmark: ttft p95: 412 ms -> 520 ms (+26.2%, 95% CI +18.0%..+34.5%; tolerance 10%)`;
 * null when there is none.
 */
export function regressionMessage(c: Comparison): string | null {
  const lines: string[] = [];
  for (const s of c.scenarios)
    for (const m of s.metrics)
      if (m.verdict === 'regression')
        lines.push(
          `  ${where(s)}: ${label(m)}: ${value(m.baseline, m.unit)} -> ${value(m.current, m.unit)} (${formatChange(m.change, m.changeKind)}, ${conf(c.confidence)} CI ${ci(m)}; tolerance ${tol(m)})`,
        );
  if (lines.length === 0) return null;
  const n = lines.length;
  return [`${n} regression${n === 1 ? '' : 's'} against baseline ${c.baseline.stamp} (${c.baseline.source}):`, ...lines].join('\n');
}
