/**
 * `vitest-llm-d compare A B [C...]`: a side-by-side comparison of runs of one suite (targets,
 * models, releases). The first run is the reference; every other run is compared with it by the
 * regression gate's method (bootstrap confidence interval of each metric's change, tolerance per
 * metric), and the result is one model, written as `compare.json` and a self-contained
 * `compare.html` (tables only: it needs no script and no network).
 */
import { esc, num, table, type Cell } from '../render/html/escape.ts';
import { PAGE_CSS, pageHead } from '../render/html/style.ts';
import { compareRuns, type RunSamples } from './baseline.ts';
import { COMPARISON_SCHEMA, type Comparison, type MetricComparison, type ToleranceOptions } from './comparison.ts';
import { formatChange } from './format-comparison.ts';
import { BaselineError } from '../errors/baseline-error.ts';

export const SIDE_BY_SIDE_SCHEMA = 'vitest-llm-d/compare@1';

/** One run in a side-by-side comparison: its identity as loaded (`source` as given on the command line). */
export type ComparedRun = Omit<RunSamples, 'scenarios'>;

/** One metric across the runs: its value in each, and each later run's change against the first. */
export interface SideBySideRow {
  metric: string;
  stat: string;
  unit: string;
  /** The value in each run, in order (null: absent). */
  values: Array<number | null>;
  /** Runs 2..n against run 1 (index k-1 for run k); null where the scenario or metric is not in both. */
  changes: Array<MetricComparison | null>;
}

/** The side-by-side model (`compare.json`). */
export interface SideBySide {
  schema: typeof SIDE_BY_SIDE_SCHEMA;
  createdAt: string;
  suite: string;
  runs: ComparedRun[];
  confidence: number;
  resamples: number;
  tolerances: ToleranceOptions;
  /** Per scenario (and stage) present in any run. */
  scenarios: Array<{ scenario: string; stage: string | null; rows: SideBySideRow[] }>;
  /** The pairwise comparisons (run 1 against each other run), as the regression gate computes them. */
  comparisons: Comparison[];
  /** Regressions of each later run against the first. */
  regressions: number[];
}

/**
 * Compares loaded runs: the first is the reference. All must be runs of one suite (scenarios are
 * matched by name); a run of another suite is a `BaselineError` naming it.
 */
export function sideBySide(runs: RunSamples[], options: { tolerance?: ToleranceOptions; now?: Date } = {}): SideBySide {
  if (runs.length < 2) throw new BaselineError('compare', `needs at least two run folders, got ${runs.length}`);
  const [ref, ...others] = runs as [RunSamples, ...RunSamples[]];
  for (const r of others) {
    if (r.suite !== ref.suite) throw new BaselineError(r.source, `is a run of suite "${r.suite}", ${ref.source} of "${ref.suite}": compare runs of one suite`);
  }
  const comparisons = others.map((r) => compareRuns(ref, r, { ...(options.tolerance ? { tolerance: options.tolerance } : {}) }));
  const key = (s: { scenario: string; stage: string | null }): string => `${s.scenario}\u0000${s.stage ?? ''}`;
  const scenarios = new Map<string, SideBySide['scenarios'][number]>();
  const rowOf = (k: string, scenario: string, stage: string | null, m: { metric: string; stat: string; unit: string }): SideBySideRow => {
    let s = scenarios.get(k);
    if (!s) scenarios.set(k, (s = { scenario, stage, rows: [] }));
    let row = s.rows.find((r) => r.metric === m.metric && r.stat === m.stat);
    if (!row) s.rows.push((row = { metric: m.metric, stat: m.stat, unit: m.unit, values: runs.map(() => null), changes: others.map(() => null) }));
    return row;
  };
  comparisons.forEach((c, i) => {
    for (const s of c.scenarios) {
      const k = key(s);
      if (s.status === 'no baseline') {
        if (!scenarios.has(k)) scenarios.set(k, { scenario: s.scenario, stage: s.stage, rows: [] });
        continue;
      }
      for (const m of s.metrics) {
        const row = rowOf(k, s.scenario, s.stage, m);
        row.values[0] = m.baseline;
        row.values[i + 1] = m.current;
        row.changes[i] = m;
      }
    }
  });
  const first = comparisons[0]!;
  return {
    schema: SIDE_BY_SIDE_SCHEMA,
    createdAt: (options.now ?? new Date()).toISOString(),
    suite: ref.suite,
    runs: runs.map((r) => ({ source: r.source, folder: r.folder, suite: r.suite, stamp: r.stamp, targetKind: r.targetKind, model: r.model })),
    confidence: first.confidence,
    resamples: first.resamples,
    tolerances: first.tolerances,
    scenarios: [...scenarios.values()],
    comparisons,
    regressions: comparisons.map((c) => c.regressions),
  };
}

const fmtChange = (m: MetricComparison): string =>
  m.ci ? `${formatChange(m.change, m.changeKind)} [${formatChange(m.ci[0], m.changeKind)}, ${formatChange(m.ci[1], m.changeKind)}]` : formatChange(m.change, m.changeKind);

const value = (x: number | null, unit: string): string => (x === null ? '-' : unit === 'fraction' ? `${(x * 100).toFixed(2)}%` : num(x, unit));

/** The run's label in headings: its stamp, and SIMULATOR when its numbers are simulated. */
function runLabel(r: ComparedRun, k: number): string {
  return `${String.fromCharCode(65 + (k % 26))}: ${r.stamp}${r.targetKind === 'simulator' ? ' (SIMULATOR)' : ''}`;
}

/** `compare.html`: one table per scenario, a column per run, each later run's change and verdict against the first. */
export function renderSideBySideHtml(c: SideBySide): string {
  const simulated = c.runs.some((r) => r.targetKind === 'simulator');
  const runsTable = table(
    ['run', 'folder', 'target kind', 'model', 'regressions vs A'],
    c.runs.map((r, k): Cell[] => [
      String.fromCharCode(65 + (k % 26)),
      r.folder,
      { html: r.targetKind === 'simulator' ? '<span class="sim-tag">SIMULATOR</span>' : esc(r.targetKind ?? 'unknown') },
      r.model ?? '-',
      k === 0 ? 'reference' : { html: c.regressions[k - 1] ? `<span class="bad">${c.regressions[k - 1]}</span>` : '0' },
    ]),
  );
  const warnings = c.comparisons.flatMap((x, i) => x.warnings.map((w) => `${String.fromCharCode(66 + i)}: ${w}`));
  const sections = c.scenarios.map((s) => {
    const title = `${s.scenario}${s.stage ? ` · ${s.stage}` : ''}`;
    if (s.rows.length === 0) return `<section><h3>${esc(title)}</h3><p class="note">not in the reference run A: not compared</p></section>`;
    const head = ['metric', ...c.runs.map((r, k) => runLabel(r, k)), ...c.runs.slice(1).map((_, i) => `${String.fromCharCode(66 + i)} vs A (${Math.round(c.confidence * 100)}% CI)`)];
    const rows = s.rows.map((row): Cell[] => [
      row.metric === 'throughput' ? 'output throughput' : row.metric === 'success_rate' ? 'success rate' : `${row.metric} ${row.stat}`,
      ...row.values.map((v) => value(v, row.unit)),
      ...row.changes.map((m): Cell => {
        if (!m) return '-';
        const cls = m.verdict === 'regression' ? 'bad' : m.verdict === 'improvement' ? 'good' : 'dim';
        const verdict = m.verdict === 'unchanged' && m.significant ? 'within tolerance' : m.verdict;
        return { html: `${esc(fmtChange(m))} <span class="${cls}">${esc(verdict)}</span>${m.reason && m.verdict !== 'too few samples' ? `<br><span class="note">${esc(m.reason)}</span>` : ''}` };
      }),
    ]);
    return `<section><h3>${esc(title)}</h3>${table(head, rows)}</section>`;
  });
  const tol = [`default ${(c.tolerances.default * 100).toFixed(0)}%`, ...Object.entries(c.tolerances.perMetric).map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)].join(', ');
  const regressed = c.regressions.some((n) => n > 0);
  const csp = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";
  const title = `compare ${c.suite}: ${c.runs.map((r) => r.stamp).join(' vs ')}`;
  return `${pageHead({ csp, title, styles: [`${PAGE_CSS}\n.good { color: var(--pass); font-weight: 600; }`] })}
<body>
<header class="top ${regressed ? 'failed' : 'passed'}">
${simulated ? '<div class="sim-banner">SIMULATOR<small>at least one run measured the embedded simulator: modeled, not measured on hardware</small></div>' : ''}
<h1>${esc(c.suite)} <span class="dim">side by side</span></h1>
<p class="overall">${regressed ? `<span class="badge fail">REGRESSION</span> ${c.regressions.map((n, i) => `${String.fromCharCode(66 + i)}: ${n}`).join(', ')} regression(s) against A` : '<span class="badge pass">no regression</span> against A'}</p>
${runsTable}
</header>
<main>
<p class="note">Each later run is compared with run A: the change of each metric with its ${Math.round(c.confidence * 100)}% bootstrap confidence interval (${c.resamples} resamples over the raw requests of both runs). A regression is worse than its tolerance (${esc(tol)}) and significant (the interval excludes zero). Tail percentiles are judged only with at least 10 samples beyond them.</p>
${warnings.length ? `<p class="bad">${warnings.map(esc).join('<br>')}</p>` : ''}
${sections.join('\n')}
<p class="meta">written ${esc(c.createdAt)} by vitest-llm-d compare (${esc(COMPARISON_SCHEMA)})</p>
</main>
</body>
</html>
`;
}
