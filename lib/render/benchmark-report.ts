/**
 * The llm-d benchmark report (v0.2.1) of one benchmark test: a pure render of its `TestReport`
 * into the shape of llm-d-benchmark's `br_v0_2_1_json_schema.json`, so llm-d's analysis tools
 * (cross-treatment plots, prism) read our runs like their harnesses'.
 *
 * One report per load stage, as the standard has it (`scenario.load.standardized.stage` is one
 * integer: inference-perf's converter writes one report per stage): a single-stage test gives one
 * report (stage 0, the whole test's statistics), a sweep, staged load, ramp or search one report
 * per stage with that stage's statistics and offered load. Reports of one suite run share `run.eid`.
 *
 * Which of our definitions feeds each field (our dictionary has one definition per name; the
 * standard's names are used by other tools with other meanings, see README "Metric dictionary"):
 *
 * | benchmark report field | our metric | units |
 * | --- | --- | --- |
 * | `latency.time_to_first_token` | TTFT = firstChunk - sent | ms |
 * | `latency.inter_token_latency` | ITL = gaps between consecutive content chunks, pooled over requests (vLLM's itl; per chunk, so per token only when chunks carry one token) | ms/token |
 * | `latency.time_per_output_token` | TPOT = (end - firstChunk) / (N - 1) per request, N >= 2 (vLLM's and MLPerf's tpot; excludes the first token) | ms/token |
 * | `latency.normalized_time_per_output_token` | NTPOT = (end - sent) / N per request (includes the first token) | ms/token |
 * | `latency.request_latency` | E2E = end - sent | ms |
 * | `requests.input_length`, `output_length` | prompt tokens (server usage, else tokenizer), output tokens N, successful requests | count |
 * | `load.standardized.input_seq_len`, `output_seq_len` | the realized length distribution of the requests (server usage, else tokenizer; fixed when all equal, else `other` with mean, std_dev, min, max); the configured one is in `load.metadata.description` | count |
 * | `throughput.*_rate` | successful tokens or requests / measurement window (warm-up excluded); one value, so only `mean` | tokens/s, queries/s |
 *
 * The units follow the unit rules of llm-d-benchmark's Pydantic models, which the JSON Schema does
 * not encode: TTFT and E2E in a time unit (ms, s), TPOT, NTPOT and ITL in a generation-latency unit
 * (ms/token, s/token), lengths in `count`, token rates in tokens/s, the request rate in queries/s.
 *
 * Every Statistics object also carries a `definition` string saying the same (the schema leaves
 * Statistics open to extra keys), and `exact: false` with `relative_error` when its percentiles came
 * from a histogram. A percentile we did not compute is left out, never estimated.
 *
 * The stack is one `generic` component: the standard's `inference_engine` requires the engine
 * version, the replica count and the accelerator count and parallelism, which a client measuring
 * an endpoint does not know; `generic` carries what we do know (backend, model, accelerator text,
 * base URL). On the embedded simulator the component says SIMULATOR in its description and
 * `simulated: true`.
 */
import { createHash } from 'node:crypto';
import type { RunStats } from '../report/model.ts';
import type { ServerMetricsReport } from '../report/server-metrics.ts';
import { summarize as summarizeSamples, type Summary } from '../stats/summary.ts';
import { configuredShape, lengthLines, lengthReport } from './lengths.ts';
import type { SeqLen } from './lengths.ts';
import type { RunDescription, StageReport, TestReport } from '../report/model.ts';
import type { TestLabels } from '../report/run-report.ts';
import type { ToolInfo } from './summary.ts';
import { brMultiTurn, brSessionNotes, brSessionPerformance } from './benchmark-report-sessions.ts';

/** Schema version written in `version`. */
export const BENCHMARK_REPORT_VERSION = '0.2.1';

/** The run a test belongs to. */
export interface BenchmarkRunInfo {
  /** Run stamp (`2026-11-23T10-55-00Z`), as in the run folder's name. */
  stamp: string;
  suite: string;
  tool: ToolInfo;
}

/** A v0.2.1 Statistics object (plus our `definition`). */
export type BrStatistics = { units: string; mean: number; definition: string } & Record<string, number | string | boolean | null>;

/** One benchmark report, and the file name (in `benchmark-report/`) it is written to. */
export interface RenderedBenchmarkReport {
  file: string;
  report: Record<string, unknown>;
}

/** Our definition behind each latency field (the text in the report and the README). */
export const BR_DEFINITIONS = {
  time_to_first_token: 'TTFT: firstChunk - sent (first chunk with non-empty content), per successful request',
  inter_token_latency:
    'ITL: gaps between consecutive content chunks, pooled over successful requests (vLLM itl); per chunk, equal to per token when each chunk carries one token',
  time_per_output_token: 'TPOT: (end - firstChunk) / (N - 1) per successful request with N >= 2 output tokens (vLLM and MLPerf tpot; excludes the first token)',
  normalized_time_per_output_token: 'NTPOT: (end - sent) / N per successful request (includes the first token)',
  request_latency: 'E2E: end - sent, per successful request',
  input_length: 'prompt tokens per successful request (server usage.prompt_tokens, else the tokenizer count)',
  output_length: 'output tokens N per successful request (server usage.completion_tokens, else the tokenizer count of the text)',
  input_token_rate: 'successful input tokens / measurement window (first measured intended send to last end; warm-up excluded)',
  output_token_rate: 'successful output tokens / measurement window (warm-up excluded)',
  total_token_rate: 'successful input + output tokens / measurement window (warm-up excluded)',
  request_rate: 'successful requests / measurement window (warm-up excluded)',
} as const;

/** Our percentile keys → the standard's. */
const PERCENTILE_FIELDS: ReadonlyArray<[string, string]> = [
  ['p0_1', 'p0p1'], ['p1', 'p1'], ['p5', 'p5'], ['p10', 'p10'], ['p25', 'p25'], ['p50', 'p50'],
  ['p75', 'p75'], ['p90', 'p90'], ['p95', 'p95'], ['p99', 'p99'], ['p99_9', 'p99p9'],
];

/** A name-based UUID (RFC 4122 version 5: SHA-1 of namespace + name): the same inputs give the same id. */
export function uuidV5(name: string, namespace = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** A Statistics object from one of our summaries, or null when it has no samples. Only computed fields are filled. */
export function brStatistics(s: Summary | undefined, units: string, definition: string): BrStatistics | null {
  if (!s || s.count === 0 || s.mean === null) return null;
  const out: BrStatistics = { units, mean: s.mean, definition };
  if (s.stddev !== null) out.stddev = s.stddev;
  if (s.min !== null) out.min = s.min;
  for (const [ours, theirs] of PERCENTILE_FIELDS) {
    const v = s.percentiles[ours];
    if (v !== undefined && v !== null) out[theirs] = v;
  }
  if (s.max !== null) out.max = s.max;
  out.count = s.count;
  if (s.exact === false) Object.assign(out, { exact: false, relative_error: s.relativeError ?? null });
  return out;
}

/** A single rate as Statistics (only `mean`: a rate over the window has no distribution here). */
function rate(v: number | null, units: string, definition: string): BrStatistics | null {
  return v === null || !Number.isFinite(v) ? null : { units, mean: v, definition };
}

/** Drops null and undefined members (the schema allows null, but absent reads cleaner). */
function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;
}

/** ISO 8601 duration of `s` seconds: `PT12.345S`. */
export function isoDuration(s: number): string {
  return `PT${Number(Math.max(0, s).toFixed(3))}S`;
}

/**
 * The workload's input and output lengths for `scenario.load.standardized`: the realized
 * distribution (server usage, else the tokenizer's count) when the requests gave any, since that
 * is what the numbers were measured with; otherwise the configured one. The configured one and
 * the count source are stated in `metadata.description` too.
 */
function workloadShape(r: TestReport, stats: RunStats): {
  source: 'random' | 'sampled' | 'unknown';
  input: SeqLen;
  output: SeqLen | null;
  prefix: Record<string, unknown> | null;
  said: string;
} {
  const shape = configuredShape(r.workload.data);
  const lengths = lengthReport(r, stats);
  const input = lengths.input.realized ?? shape.input ?? { distribution: 'other' as const, value: 0 };
  const output = lengths.output.realized ?? shape.output;
  return { source: shape.source, input, output, prefix: shape.prefix, said: `Sequence lengths: ${lengthLines(lengths).join('; ')}.` };
}

/** `results.request_performance.aggregate` of a set of requests. `cut`: requests sent but cut at the end of their stage. */
export function brAggregate(stats: RunStats): Record<string, unknown> {
  const l = stats.latency;
  const tin = stats.throughput.inputTokensPerS;
  const tout = stats.throughput.outputTokensPerS;
  return {
    requests: compact({
      total: stats.requests.total + stats.requests.cut,
      failures: stats.requests.failed,
      incomplete: stats.requests.cut,
      input_length: brStatistics(stats.tokens.input, 'count', BR_DEFINITIONS.input_length),
      output_length: brStatistics(stats.tokens.output, 'count', BR_DEFINITIONS.output_length),
    }),
    throughput: compact({
      input_token_rate: rate(tin, 'tokens/s', BR_DEFINITIONS.input_token_rate),
      output_token_rate: rate(tout, 'tokens/s', BR_DEFINITIONS.output_token_rate),
      total_token_rate: rate(tin !== null && tout !== null ? tin + tout : null, 'tokens/s', BR_DEFINITIONS.total_token_rate),
      request_rate: rate(stats.throughput.requestsPerS, 'queries/s', BR_DEFINITIONS.request_rate),
    }),
    latency: compact({
      time_to_first_token: brStatistics(l.ttft, 'ms', BR_DEFINITIONS.time_to_first_token),
      inter_token_latency: brStatistics(l.itl, 'ms/token', BR_DEFINITIONS.inter_token_latency),
      time_per_output_token: brStatistics(l.tpot, 'ms/token', BR_DEFINITIONS.time_per_output_token),
      normalized_time_per_output_token: brStatistics(l.ntpot, 'ms/token', BR_DEFINITIONS.normalized_time_per_output_token),
      request_latency: brStatistics(l.e2e, 'ms', BR_DEFINITIONS.request_latency),
    }),
  };
}

/** The stack: the target as one generic component (see the file's comment for why not `inference_engine`). */
function stackOf(r: TestReport, run: BenchmarkRunInfo): Record<string, unknown>[] {
  const t = r.target;
  const sim = t.kind === 'simulator';
  const identity = { name: t.name, kind: t.kind, baseUrl: t.baseUrl, model: t.model, backend: t.backend, accelerator: t.accelerator, simulator: t.simulator };
  const description = sim
    ? `SIMULATOR: ${t.name} (embedded vLLM simulator; numbers are modeled, not measured on hardware), ${t.baseUrl}`
    : `${t.provisioned ? `provisioned from ${t.provisioned.template}` : 'endpoint'} ${t.baseUrl} (${t.origin})${t.provisioned?.cluster === 'simulator' ? '; SIMULATOR: the embedded cluster simulator, its vLLM servers are simulated' : ''}`;
  return [
    {
      metadata: { schema_version: '0.0.1', label: t.name, cfg_id: uuidV5(JSON.stringify(identity)), description },
      standardized: compact({
        kind: 'generic',
        tool: sim ? `${run.tool.name}-sim` : t.backend,
        tool_version: sim ? run.tool.version : 'unknown',
        role: 'replica',
        model: { name: t.model },
        accelerator: t.accelerator,
        simulated: sim || t.provisioned?.cluster === 'simulator',
        base_url: t.baseUrl,
        served_models: t.servedModels.length ? t.servedModels : null,
      }),
      native: compact({ config: compact({ target: identity, provisioned: t.provisioned ?? null, notes: t.notes }) }),
    },
  ];
}

/** What the load offered: a stage's, or the single-stage test's. */
function offeredOf(r: TestReport, stage: StageReport | null): { rate_qps?: number; concurrency?: number } {
  const o = stage?.offered ?? r.stages[0]?.offered ?? { rate: r.run.offeredRate, concurrency: null };
  return compact({
    rate_qps: o.rate !== null && o.rate > 0 && Number.isFinite(o.rate) ? o.rate : null,
    concurrency: o.concurrency !== null && Number.isInteger(o.concurrency) && o.concurrency >= 1 ? o.concurrency : null,
  }) as { rate_qps?: number; concurrency?: number };
}

/** One report: the whole test (`stage` null) or one of its stages. */
function renderOne(r: TestReport, run: BenchmarkRunInfo, stage: StageReport | null, described: RunDescription | undefined): Record<string, unknown> {
  const stats = stage?.stats ?? r.stats;
  const shape = workloadShape(r, stats);
  const multi = stage !== null;
  const index = stage?.index ?? 0;
  const sim = r.target.kind === 'simulator';
  const native = compact({
    api: r.workload.api,
    stream: r.workload.stream,
    load: r.workload.loadConfig,
    data: r.workload.data.config ?? { type: r.workload.data.type, seed: r.workload.data.seed, cells: r.workload.data.cells },
    warmup_requests: r.workload.warmupRequests,
    num_requests: r.workload.requests,
    overrides: r.workload.overrides.length ? r.workload.overrides : null,
  });
  const start = Date.parse(r.timestamp);
  const mapping = r.definitions === 'vllm'
    ? `Field sources (definitions: vllm, as vllm bench serve computes them): time_to_first_token = TTFT (first chunk with a choice - handed to the HTTP client); inter_token_latency = gaps between chunks with a choice, pooled over requests; time_per_output_token = TPOT (E2E - TTFT)/(N-1) per request; normalized_time_per_output_token = NTPOT E2E/N; request_latency = E2E (last chunk with a choice - handed).`
    : `Field sources (vitest-llm-d definitions): time_to_first_token = TTFT (firstChunk - sent); inter_token_latency = ITL per content chunk, pooled over requests; time_per_output_token = TPOT (end - firstChunk)/(N-1) per request; normalized_time_per_output_token = NTPOT E2E/N; request_latency = E2E (end - sent).`;
  const what = `${r.suite}/${r.scenario}${multi ? ` stage ${index} of ${r.stages.length} (${stage.label})` : ''}`;
  return {
    version: BENCHMARK_REPORT_VERSION,
    run: compact({
      uid: uuidV5(`vitest-llm-d:${run.stamp}/${run.suite}/${r.scenario}${multi ? `/stage-${index}` : ''}`),
      eid: uuidV5(`vitest-llm-d:${run.stamp}/${run.suite}`),
      time: multi
        ? { duration: isoDuration(stage.durationS) }
        : compact({
            start: Number.isFinite(start) ? new Date(start).toISOString() : null,
            end: Number.isFinite(start) ? new Date(start + r.run.durationS * 1000).toISOString() : null,
            duration: isoDuration(r.run.durationS),
          }),
      // The config's description (llm-d-benchmark's description.text) is the run's, verbatim, as llm-d-benchmark records it; its keywords come first.
      description: `${sim ? 'SIMULATOR (modeled, not measured on hardware): ' : ''}${r.interrupted ? `${r.interrupted.kind.toUpperCase()} (${r.interrupted.reason}; the requests that finished): ` : ''}${described?.text ?? `${what}${r.description ? `: ${r.description}` : ''}`}`,
      keywords: [...new Set([...(described?.keywords ?? []), 'vitest-llm-d', run.suite, r.scenario, r.target.kind, ...(r.interrupted ? [r.interrupted.kind] : []), ...(multi ? [`stage-${index}`] : [])])],
    }),
    scenario: {
      stack: stackOf(r, run),
      load: {
        metadata: {
          schema_version: '0.0.1',
          cfg_id: uuidV5(JSON.stringify(native)),
          description: `${multi ? `${stage.description}; ` : ''}${r.workload.load}. ${shape.said} ${mapping}${r.sessions || r.trace ? ` ${brSessionNotes(r, !multi)}` : ''}`,
        },
        standardized: compact({
          tool: run.tool.name,
          tool_version: run.tool.version,
          source: shape.source,
          stage: index,
          input_seq_len: shape.input,
          output_seq_len: shape.output,
          prefix: shape.prefix,
          multi_turn: brMultiTurn(r),
          ...offeredOf(r, stage),
        }),
        native: { config: native },
      },
    },
    results: compact({
      request_performance: { aggregate: brAggregate(stats) },
      // The sessions span every stage: in the report of a single-stage test only.
      session_performance: r.sessions && !multi ? brSessionPerformance(r.sessions) : null,
      observability: r.serverMetrics ? brObservability(r.serverMetrics, r.target.name, stage) : null,
    }),
  };
}

/** Our server metrics in the standard's `ResourceMetrics` (aggregate) and `TimeSeriesResourceMetrics` fields: [aggregate, time series, units, scale]. */
const OBSERVABILITY_FIELDS: Record<string, [string, string, string, number]> = {
  'gpu.utilizationPct': ['gpu_utilization', 'gpu_utilization', 'percent', 1],
  'gpu.memoryUsedMiB': ['gpu_memory_usage', 'gpu_memory_usage', 'MiB', 1],
  'gpu.powerW': ['power_consumption', 'power_consumption', 'Watts', 1],
  'vllm.kvCacheUsage': ['kv_cache_usage', 'kv_cache_usage', 'percent', 100],
  'vllm.requestsRunning': ['running_requests', 'num_requests_running', 'count', 1],
  'vllm.requestsWaiting': ['waiting_requests', 'num_requests_waiting', 'count', 1],
  'vllm.prefixCacheHitRate': ['cache_hit_rate', 'prefix_cache_hit_rate', 'percent', 100],
};

/**
 * `results.observability`: one component (the stack's label) with, for each of our metrics the
 * standard names (table above), `aggregate` Statistics over every finite point of every kept series
 * in the window (a stage's window for a stage's report) and a `time_series` whose points hold, per
 * time, the `mean`, `min` and `max` over series (`value` = mean). Ratios become percent. Everything
 * else (other metrics, what is missing and why, the filters, the source) goes in `native`.
 */
function brObservability(m: ServerMetricsReport, label: string, stage: StageReport | null): Record<string, unknown> {
  const start = Date.parse(m.window.start);
  const sw = stage ? m.window.stages[stage.index] : undefined;
  const from = sw ? (Date.parse(sw.start) - start) / 1000 : Number.NEGATIVE_INFINITY;
  const to = sw ? (Date.parse(sw.end) - start) / 1000 : Number.POSITIVE_INFINITY;
  const aggregate: Record<string, unknown> = {};
  const series: Record<string, unknown> = {};
  for (const x of m.metrics) {
    const f = OBSERVABILITY_FIELDS[x.name];
    if (!f || x.status !== 'ok') continue;
    const [agg, ts, units, scale] = f;
    const byTime = new Map<number, number[]>();
    const all: number[] = [];
    for (const s of x.series) {
      for (const [t, v] of s.points) {
        if (v === null || !Number.isFinite(v) || t < from || t > to) continue;
        all.push(v * scale);
        const at = byTime.get(t);
        if (at) at.push(v * scale);
        else byTime.set(t, [v * scale]);
      }
    }
    const st = brStatistics(summarizeSamples(all), units, `${x.name} (${x.query}) over the ${stage ? 'stage' : 'test'} window, every point of every series${units === 'percent' && scale === 100 ? ', x 100' : ''}`);
    if (!st) continue;
    aggregate[agg] = st;
    series[ts] = {
      units,
      series: [...byTime.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([t, vs]) => {
          const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
          return { ts: new Date(start + t * 1000).toISOString(), value: mean, mean, min: Math.min(...vs), max: Math.max(...vs) };
        }),
    };
  }
  const component = compact({
    component_label: label,
    aggregate: Object.keys(aggregate).length ? aggregate : null,
    time_series: Object.keys(series).length ? series : null,
  });
  return {
    components: [component],
    native: {
      source: m.source,
      endpoint: m.endpoint,
      window: sw ? { ...m.window, stage: sw } : m.window,
      filters: m.filters,
      metrics: m.metrics.map((x) => compact({ name: x.name, unit: x.unit, status: x.status, reason: x.reason ?? null, summary: x.summary })),
      missing: m.missing,
      notes: m.notes,
    },
  };
}

/**
 * The benchmark reports of one test: one for a single-stage test, one per stage otherwise, each
 * with the file name it goes to in the run folder's `benchmark-report/` (`<scenario>.json`,
 * `<scenario>.stage-<k>.json`). `labels`: the config's description of the test (its outcome's;
 * default the report's own).
 */
export function renderBenchmarkReports(r: TestReport, run: BenchmarkRunInfo, labels: TestLabels = r): RenderedBenchmarkReport[] {
  const safe = r.scenario.replace(/[^\w.-]+/g, '_');
  if (r.stages.length <= 1) return [{ file: `${safe}.json`, report: renderOne(r, run, null, labels.runDescription) }];
  return r.stages.map((s) => ({ file: `${safe}.stage-${s.index}.json`, report: renderOne(r, run, s, labels.runDescription) }));
}
