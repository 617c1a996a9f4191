import type { LatencyMetric, RunStats } from '../report/model.ts';
import type { Summary } from '../stats/summary.ts';
import { lengthReport } from './lengths.ts';
import type { SessionsReport, TestReport, TraceReport } from '../report/model.ts';
import { type RunReport, type TestLabels, targetKinds } from '../report/run-report.ts';
import { runDescriptionOf, testLabels } from './run-labels.ts';

export type { FailedTest, ToolInfo } from '../report/run-report.ts';

const round = (x: number | null, d = 3): number | null => (x === null ? null : Number(x.toFixed(d)));

/** A summary in a unit: `scale` converts from ms (1 for ms, 0.001 for s). */
function stat(s: Summary, scale = 1): Record<string, number | boolean | null> {
  const out: Record<string, number | boolean | null> = {
    count: s.count,
    mean: round(s.mean === null ? null : s.mean * scale, 4),
  };
  for (const [k, v] of Object.entries(s.percentiles)) out[k] = round(v === null ? null : v * scale, 4);
  out.min = round(s.min === null ? null : s.min * scale, 4);
  out.max = round(s.max === null ? null : s.max * scale, 4);
  out.stddev = round(s.stddev === null ? null : s.stddev * scale, 4);
  // Past the exact-sample cap, percentiles come from a histogram: say so, with its bound.
  if (s.exact === false) Object.assign(out, { exact: false, relative_error: s.relativeError ?? null });
  return out;
}

/** The `results` object of one test (or cell): the issue-2 keys first, then everything else measured. */
export function renderResults(stats: RunStats, report?: TestReport): Record<string, unknown> {
  const l = stats.latency;
  const latencyMs = (m: LatencyMetric) => stat(l[m]);
  const mlperf = report?.slo.filter((e) => e.profile.startsWith('mlperf'));
  return {
    total_requests: stats.requests.total,
    successful: stats.requests.successful,
    failed: stats.requests.failed,
    success_rate: round(stats.requests.successRate, 6),
    ttft_ms: latencyMs('ttft'),
    tpot_ms: latencyMs('tpot'),
    itl_ms: latencyMs('itl'),
    latency_s: stat(l.e2e, 0.001),
    throughput: {
      tokens_per_sec: round(stats.throughput.outputTokensPerS),
      requests_per_sec: round(stats.throughput.requestsPerS, 4),
      input_tokens_per_sec: round(stats.throughput.inputTokensPerS),
    },
    ...(report ? mlperfCompliance(mlperf ?? []) : {}),
    ttft_from_intended_ms: latencyMs('ttft_from_intended'),
    e2e_ms: latencyMs('e2e'),
    e2e_from_intended_ms: latencyMs('e2e_from_intended'),
    ntpot_ms: latencyMs('ntpot'),
    schedule_lag_ms: latencyMs('schedule_lag'),
    warmup_requests: stats.requests.warmup,
    window_s: round(stats.window.durationMs / 1000, 4),
    tokens: {
      input: stat(stats.tokens.input),
      output: stat(stats.tokens.output),
      per_chunk: stat(stats.tokens.perChunk),
      output_count_source: stats.tokens.outputSource,
      input_count_source: stats.tokens.inputSource,
      server_tokenizer_checked: stats.tokens.checked,
      server_tokenizer_mismatches: stats.tokens.mismatches,
      server_usage_overruled: stats.tokens.usageOverruled ?? 0,
      chunk_token_source: stats.tokens.chunkSource,
      ...(report ? { lengths: lengthReport(report, stats) } : {}),
    },
    errors: stats.errors,
    retries: stats.retries,
    cut_requests: stats.requests.cut,
    // Requests a stall of the measuring thread overlapped (requests.jsonl `stall`), counted in total_requests.
    stalled_requests: stats.requests.stalled ?? null,
  };
}

/**
 * `mlperf_compliant`: false when an MLPerf profile failed a limit; true when every MLPerf profile
 * judged every limit and passed; null when none was evaluated, or when limits could not be judged
 * (TTFT and TPOT of a non-streaming run), which `mlperf_not_judged` then names with why.
 */
function mlperfCompliance(mlperf: NonNullable<TestReport['slo']>): Record<string, unknown> {
  const unjudged = mlperf.flatMap((e) => e.checks.filter((c) => c.pass === null).map((c) => `${e.profile}: ${c.name} (${c.note ?? 'not measurable'})`));
  const compliant = mlperf.length === 0 ? null : mlperf.some((e) => !e.pass) ? false : unjudged.length ? null : true;
  return { mlperf_compliant: compliant, ...(unjudged.length ? { mlperf_not_judged: unjudged } : {}) };
}

/** One test's entry in summary.json; `labels`: the config's description and hooks of the test (its outcome's; default the report's own). */
export function renderTest(r: TestReport, state: string, labels: TestLabels = r): Record<string, unknown> {
  return {
    timestamp: r.timestamp,
    target: r.target.name,
    target_kind: r.target.kind,
    scenario: r.scenario,
    description: r.description,
    // Where TTFT, TPOT, ITL and E2E start and stop (README "Metric dictionary").
    definitions: r.definitions ?? 'vitest-llm-d',
    // The config's description of the run (llm-d-benchmark's description.text and keywords), and its workload hooks.
    ...(labels.runDescription ? { run_description: labels.runDescription } : {}),
    ...(labels.hooks ? { hooks: labels.hooks } : {}),
    base_url: r.target.baseUrl,
    model: r.target.model,
    state,
    ...(r.interrupted ? { interrupted: r.interrupted } : {}),
    results: renderResults(r.stats, r),
    // The same statistics without the stalled requests, when some were.
    ...(r.withoutStalled ? { results_without_stalled: renderResults(r.withoutStalled) } : {}),
    slo: r.slo,
    validity: r.validity,
    workload: r.workload,
    target_info: r.target,
    run: r.run,
    cells: r.cells.map((c) => ({ cell: c.cell, results: renderResults(c.stats) })),
    stages: r.stages.map(({ stats, ...st }) => ({ ...st, results: renderResults(stats) })),
    ...(r.models ? { models: r.models.map((m) => ({ model: m.model, results: renderResults(m.stats) })) } : {}),
    stop: r.stop,
    goodput: r.goodput,
    ...(r.knee ? { knee: r.knee } : {}),
    ...(r.capacity ? { capacity: r.capacity } : {}),
    ...(r.prefixCache ? { prefix_cache: r.prefixCache } : {}),
    ...(r.baseline ? { baseline: r.baseline } : {}),
    // Points are [seconds since server_metrics.window.start, value]; see ServerMetricsReport.
    ...(r.serverMetrics ? { server_metrics: r.serverMetrics } : {}),
    // A distributed run: who made the numbers (pods, nodes, shares, clock offsets) and what is missing.
    ...(r.distributed ? { distributed: r.distributed } : {}),
    // Multi-turn sessions (per turn index, `results` as everywhere) and a replayed trace, when the test had them.
    ...(r.sessions ? { sessions: renderSessions(r.sessions) } : {}),
    ...(r.trace ? { trace: renderTrace(r.trace) } : {}),
    files: r.files,
  };
}

/** `sessions` of a test in summary.json: the counts, the per-session summaries, and per turn index its `results`. */
export function renderSessions(s: SessionsReport): Record<string, unknown> {
  return {
    header: s.header,
    started: s.started,
    completed: s.completed,
    failed: s.failed,
    cut: s.cut,
    stopped: s.stopped,
    turns_planned: s.turnsPlanned,
    turns_sent: s.turnsSent,
    turns_cut: s.turnsCut,
    duration_s: s.durationS,
    turns_completed: s.turnsCompleted,
    by_turn: s.byTurn.map((t) => ({ turn: t.turn, cached_tokens_mean: round(t.cachedTokensMean, 3), cached_fraction: round(t.cachedFraction, 6), results: renderResults(t.stats) })),
  };
}

/** `trace` of a test in summary.json: the replayed trace, its window, and how the run kept its timing and cache reuse. */
export function renderTrace(t: TraceReport): Record<string, unknown> {
  return {
    format: t.format,
    file: t.file,
    requests: t.requests,
    ...(t.skipped?.length ? { skipped: t.skipped } : {}),
    speedup: t.speedup,
    trace_span_s: round(t.traceSpanS, 4),
    replay_span_s: round(t.replaySpanS, 4),
    arrival_lag_ms: t.arrivalLagMs,
    block_size: t.blockSize,
    expected_cached_tokens: t.expectedCachedTokens,
    prompt_tokens: t.promptTokens,
    reported_cached_tokens: t.reportedCachedTokens,
  };
}

/**
 * summary.json of one suite run. `target_kind` is at the top (and on every test) so simulated
 * numbers are never mistaken for measured ones.
 */
export function renderSummary(run: RunReport): Record<string, unknown> {
  const kinds = targetKinds(run);
  const described = runDescriptionOf(run);
  return {
    schema: 'vitest-llm-d/summary@1',
    suite: run.suite,
    run: run.stamp,
    ...(described ? { run_description: described } : {}),
    ...(run.interrupted ? { interrupted: run.interrupted } : {}),
    target_kind: kinds.length === 1 ? kinds[0] : kinds.length === 0 ? null : kinds,
    tool: run.tool,
    ...(run.environment ? { environment: run.environment } : {}),
    tests: run.tests.map((t) => renderTest(t.report, t.state, testLabels(t))),
    failed_tests: run.failed,
    ...(run.skipped.length ? { skipped_tests: run.skipped } : {}),
    ...(run.actuation.length ? { actuation: run.actuation.map((t) => ({ ...t.report, state: t.state })) } : {}),
  };
}
