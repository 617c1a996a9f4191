/**
 * Where each latency metric starts and stops, here and in the benchmark clients people compare
 * this tool with: the table of README "Metric dictionary", which every report carries too
 * (report.html's "Metric definitions" section; summary.json names the definitions a test used).
 * A test checks that the README's table is exactly `definitionsMarkdown()`.
 *
 * Read from the clients' source:
 * - vLLM (`vllm bench serve`): vllm/benchmarks/lib/endpoint_request_func.py,
 *   `async_request_openai_completions` and `async_request_openai_chat_completions` (`st =
 *   time.perf_counter()` before `session.post`; a timestamp per SSE message whose `choices` is
 *   non-empty: the first gives `ttft`, each later one an `itl` gap, the last `latency`; the usage
 *   chunk gives `output_tokens`), and vllm/benchmarks/serve.py `calculate_metrics` (TPOT, the
 *   output-token fallback, goodput) and `benchmark` (the duration goodput divides by).
 * - GuideLLM: src/guidellm/backends/openai/http.py (`request_start` before `client.stream`, line
 *   512; `first_token_iteration` / `last_token_iteration` at the first / last line with text,
 *   538-552; `request_end` after the stream loop, 555) and src/guidellm/schemas/request_stats.py
 *   (`request_latency` 103-114, `time_to_first_token_ms` 162-171, `time_per_output_token_ms`
 *   175-192, `inter_token_latency_ms` 196-213), commit ee7a774.
 * - inference-perf: inference_perf/client/modelserver/openai_client.py (`start` before the
 *   request, line 413; `end_time` after the response is read and parsed, 537),
 *   inference_perf/apis/streaming_parser.py (a time per content-bearing SSE message, 89 and 108)
 *   and inference_perf/reportgen/base.py (per-token times 519-553, latency 511, TTFT 569-572 (only
 *   with two or more token times), TPOT 575-580, ITL 584-592, goodput `calculate_goodput_metrics` 301-401), commit 7de5ef2.
 */
import type { Definitions } from '../report/model.ts';
import { esc, table } from './html/escape.ts';

/** One row of the side-by-side table: a metric, and its start and end points in each tool. */
export interface DefinitionRow {
  metric: string;
  /** This tool, default definitions (`definitions: vitest-llm-d`). */
  ours: string;
  /** vLLM's `bench serve`, which `definitions: vllm` reproduces. */
  vllm: string;
  guidellm: string;
  inferencePerf: string;
}

export const DEFINITION_COLUMNS = ['metric', 'vitest-llm-d (default)', 'vLLM `bench serve` = `definitions: vllm`', 'GuideLLM', 'inference-perf'] as const;

export const DEFINITION_ROWS: readonly DefinitionRow[] = [
  {
    metric: 'TTFT',
    ours: '`sent` (undici writes the request, after pool wait and connect) to the first chunk with non-empty text',
    vllm: '`st` before `session.post` (connection setup included; here `handed`) to the first chunk whose `choices` is non-empty, text or not (a chat role chunk counts)',
    guidellm: '`request_start` before `client.stream` to the first line with text (`first_token_iteration`)',
    inferencePerf: '`start` before the request to the first chunk with text (only for outputs with two or more token times)',
  },
  {
    metric: 'TPOT',
    ours: '(end of response - first content chunk) / (N - 1), N >= 2; N = `usage.completion_tokens`, else the tokenizer count',
    vllm: '(E2E - TTFT) / (N - 1), N > 1, i.e. last minus first choice chunk; N = `completion_tokens`, else (when 0 or absent) the tokenizer count; 1-token outputs: left out of TPOT statistics, 0 for goodput',
    guidellm: '`time_per_output_token_ms` = (last text line - `request_start`) / N: includes the first token (its ITL is what vLLM calls TPOT)',
    inferencePerf: '(last token time - first token time) / (N - 1), N > 1; N by the tokenizer (or the server with `use_server_output_tokens`)',
  },
  {
    metric: 'ITL',
    ours: 'gaps between consecutive content chunks, pooled over requests',
    vllm: 'gaps between consecutive chunks with non-empty `choices` (empty-text ones included), pooled over requests',
    guidellm: 'per request (last text line - first text line) / (N - 1); statistics over requests',
    inferencePerf: "per token: each chunk's tokens (tokenizer count) get the chunk's time, so a k-token chunk adds k - 1 zero gaps; pooled",
  },
  {
    metric: 'E2E',
    ours: '`sent` to the end of the response (after the usage chunk and `[DONE]`)',
    vllm: '`st` to the last chunk with non-empty `choices` (before the usage chunk and `[DONE]`)',
    guidellm: '`request_start` to `request_end`, after the stream loop stops at `[DONE]`',
    inferencePerf: '`start` to `end_time`, after the whole response was read and parsed',
  },
  {
    metric: 'goodput',
    ours: 'successful requests meeting every per-request limit of the SLO profile (<=; a 1-token output meets any TPOT limit, as in vLLM) / measurement window (first intended send to last end)',
    vllm: 'successful requests with TTFT, TPOT (0 for N <= 1), E2E each <= its `--goodput` limit / benchmark duration (first dispatch to last response)',
    guidellm: 'none',
    inferencePerf: 'requests meeting every constraint (TTFT, TPOT, per-request mean ITL, NTPOT, latency; <=; a missing value is not good) / (last end - first start)',
  },
];

/** One line on which definitions a test used. */
export function definitionsLine(d: Definitions | undefined): string {
  return (d ?? 'vitest-llm-d') === 'vllm'
    ? 'definitions: vllm (TTFT, TPOT, ITL, E2E as `vllm bench serve` computes them)'
    : 'definitions: vitest-llm-d (default)';
}

/** The table as Markdown (README "Metric dictionary"). */
export function definitionsMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${DEFINITION_COLUMNS.join(' | ')} |`,
    `| ${DEFINITION_COLUMNS.map(() => '---').join(' | ')} |`,
    ...DEFINITION_ROWS.map((r) => `| ${[r.metric, r.ours, r.vllm, r.guidellm, r.inferencePerf].map(cell).join(' | ')} |`),
  ].join('\n');
}

/** Escaped text with its `code` spans as `<code>`. */
function codeHtml(text: string): string {
  return esc(text).replace(/`([^`]*)`/g, '<code>$1</code>');
}

/**
 * report.html's "Metric definitions" section: the table, the definitions each test used, and
 * the sources. Every cell is escaped (`codeHtml`).
 */
export function definitionsHtml(used: ReadonlyArray<{ scenario: string; definitions: Definitions | undefined }>): string {
  const rows = DEFINITION_ROWS.map((r) => [r.metric, ...[r.ours, r.vllm, r.guidellm, r.inferencePerf].map((t) => ({ html: codeHtml(t) }))]);
  const tests = used.length
    ? `<p>${used.map((u) => `${esc(u.scenario)}: <strong>${esc(definitionsLine(u.definitions))}</strong>`).join('; ')}.</p>`
    : '';
  return `<section id="definitions"><h2>Metric definitions</h2>
${tests}
<p>Where each latency clock starts and stops, here and in the clients these numbers are often compared with (README "Metric dictionary"). The scenario key <code>definitions: vllm</code> computes TTFT, TPOT, ITL, E2E and goodput's per-request values as <code>vllm bench serve</code> does.</p>
${table(DEFINITION_COLUMNS.map((c) => c.replace(/`/g, '')), rows, 'definitions')}
<p class="note">Sources: vLLM vllm/benchmarks/lib/endpoint_request_func.py and vllm/benchmarks/serve.py (calculate_metrics); GuideLLM src/guidellm/backends/openai/http.py and src/guidellm/schemas/request_stats.py; inference-perf inference_perf/client/modelserver/openai_client.py, inference_perf/apis/streaming_parser.py and inference_perf/reportgen/base.py.</p>
</section>`;
}
