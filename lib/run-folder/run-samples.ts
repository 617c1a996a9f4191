/**
 * Reading a run folder's raw samples for the regression gate and `compare`: `summary.json` for
 * the run's identity and windows, `requests.jsonl` streamed line by line for every measured
 * request, with the metric dictionary's definitions.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { BaselineError } from '../errors/baseline-error.ts';
import { DEFAULT_DEFINITIONS, type Definitions, deriveRequestMetrics, forEachItl } from '../metrics/derive.ts';
import type { RequestRecord } from '../metrics/record.ts';



/** `schema` of the summary.json a run folder holds. */
export const SUMMARY_SCHEMA = 'vitest-llm-d/summary@1';

/**
 * Raw samples of one scenario (or one stage of it), measured requests only: warm-up requests and
 * requests cut at the end of their stage are left out, as in every statistic of the run.
 * Latencies follow the metric dictionary (`deriveRequestMetrics`, `forEachItl`) under the
 * definitions each test was measured with (summary.json `definitions`; the default below), in
 * ms, from successful requests; TTFT and ITL exist for streamed requests only.
 */
export interface MetricSamples {
  /** TTFT = firstChunk - sent. */
  ttft: Float64Array;
  /** TPOT = (end - firstChunk) / (N - 1), N >= 2. */
  tpot: Float64Array;
  /** ITL: gaps between consecutive content chunks, pooled over requests. */
  itl: Float64Array;
  /** E2E = end - sent. */
  e2e: Float64Array;
  /** Measured requests (the success rate's denominator) and the successful ones. */
  requests: number;
  successful: number;
  /** Output tokens N of each measured request, 0 for a failed one (the throughput's resampling units). */
  outputTokens: Float64Array;
  /** Sum of `outputTokens`: successful output tokens. */
  outputTokensSum: number;
  /** Measurement window, s: summary.json's `window_s` when given, else first intended send to last end of these requests. */
  windowS: number;
  windowSource: 'summary' | 'requests';
}
// The arrays are read-only once compared: `compareRuns` caches a sorted copy per array.

/** Samples of one scenario, with per-stage samples when its requests carry more than one stage. */
export interface ScenarioSamples extends MetricSamples {
  scenario: string;
  /** Where its latencies start and stop (summary.json `definitions` of the test). */
  definitions: Definitions;
  /** By stage label (summary.json `stages[].label`, else `stage <index>`); stages sharing a label (repeated trials) are pooled, their windows added. Empty for single-stage runs. */
  stages: Map<string, MetricSamples>;
}

/** A run folder's raw samples, as {@link loadRunSamples} reads them. */
export interface RunSamples {
  /** The path as given. */
  source: string;
  /** The run folder. */
  folder: string;
  suite: string;
  /** The run's stamp (`2026-11-23T16-58-41Z`). */
  stamp: string;
  /** `simulator`, `endpoint`, several kinds joined by `+`, or null when unknown. */
  targetKind: string | null;
  /** Model(s) measured, joined by `, `; null when unknown. */
  model: string | null;
  scenarios: Map<string, ScenarioSamples>;
}

/** A growable column of doubles. */
class Column {
  private data = new Float64Array(256);
  private n = 0;

  push(x: number): void {
    if (this.n === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = x;
  }

  static concat(cols: Column[]): Float64Array {
    const out = new Float64Array(cols.reduce((s, c) => s + c.n, 0));
    let at = 0;
    for (const c of cols) {
      out.set(c.data.subarray(0, c.n), at);
      at += c.n;
    }
    return out;
  }
}

/** Accumulates the samples of one scenario's stage. */
class Acc {
  /** @param definitions the definitions the test was measured with (summary.json `definitions`). */
  constructor(private readonly definitions: Definitions = DEFAULT_DEFINITIONS) {}
  readonly ttft = new Column();
  readonly tpot = new Column();
  readonly itl = new Column();
  readonly e2e = new Column();
  readonly tokens = new Column();
  requests = 0;
  successful = 0;
  tokensSum = 0;
  start = Infinity;
  end = -Infinity;

  add(r: RequestRecord): void {
    const m = deriveRequestMetrics(r, this.definitions);
    this.requests++;
    if (r.intended < this.start) this.start = r.intended;
    if (r.end > this.end) this.end = r.end;
    const n = m.ok && m.outputTokens !== null ? m.outputTokens : 0;
    this.tokens.push(n);
    this.tokensSum += n;
    if (!m.ok) return;
    this.successful++;
    if (m.ttftMs !== null) this.ttft.push(m.ttftMs);
    if (m.tpotMs !== null) this.tpot.push(m.tpotMs);
    if (m.e2eMs !== null) this.e2e.push(m.e2eMs);
    forEachItl(r, (gap) => this.itl.push(gap), this.definitions);
  }

  /** Window from the records, s (the run statistics' definition: first intended send to last end). */
  recordWindowS(): number {
    return this.requests > 0 ? Math.max(0, this.end - this.start) / 1000 : 0;
  }
}

/** Pools accumulators into samples; `windowS` from the summary when every part has one. */
function samplesOf(parts: Array<{ acc: Acc; summaryWindowS: number | null }>): MetricSamples {
  const accs = parts.map((p) => p.acc);
  const fromSummary = parts.every((p) => p.summaryWindowS !== null);
  return {
    ttft: Column.concat(accs.map((a) => a.ttft)),
    tpot: Column.concat(accs.map((a) => a.tpot)),
    itl: Column.concat(accs.map((a) => a.itl)),
    e2e: Column.concat(accs.map((a) => a.e2e)),
    requests: accs.reduce((s, a) => s + a.requests, 0),
    successful: accs.reduce((s, a) => s + a.successful, 0),
    outputTokens: Column.concat(accs.map((a) => a.tokens)),
    outputTokensSum: accs.reduce((s, a) => s + a.tokensSum, 0),
    windowS: parts.reduce((s, p) => s + (fromSummary ? p.summaryWindowS! : p.acc.recordWindowS()), 0),
    windowSource: fromSummary ? 'summary' : 'requests',
  };
}

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const errno = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')}` : String(e.message ?? err);
};

/**
 * What kind of JSON value `v` is, for messages about a file that is not what it should be: the
 * kind, never the value (the file may be anything, a key file given by mistake).
 */
function kindOf(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A `schema` value for a message: shown when it names a schema (`vitest-llm-d/benchmark-report@1`), else its kind. */
function schemaOf(v: unknown): string {
  return typeof v === 'string' && /^[\w.-]{1,40}\/[\w.-]{1,40}@\d{1,4}$/.test(v) ? JSON.stringify(v) : kindOf(v);
}

/** Reads and checks summary.json; returns it with the run folder. */
function readSummary(pathOrFolder: string): { summaryPath: string; folder: string; summary: Json } {
  let isDir: boolean;
  try {
    isDir = statSync(pathOrFolder).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BaselineError(pathOrFolder, 'no such file or folder');
    throw new BaselineError(pathOrFolder, `cannot read (${errno(err)})`, { cause: err });
  }
  const summaryPath = isDir ? join(pathOrFolder, 'summary.json') : pathOrFolder;
  let text: string;
  try {
    text = readFileSync(summaryPath, 'utf8');
  } catch (err) {
    if (isDir && (err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new BaselineError(pathOrFolder, 'not a run folder (no summary.json in it; expected results/<stamp>-<suite>/ with summary.json and requests.jsonl)');
    throw new BaselineError(summaryPath, `cannot read (${errno(err)})`, { cause: err });
  }
  let summary: unknown;
  try {
    summary = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the file's first bytes, which may be anything (a key file given by mistake): never shown.
    throw new BaselineError(summaryPath, `not a run summary (not valid JSON, ${Buffer.byteLength(text)} bytes; expected the summary.json of a run folder, with "schema": "${SUMMARY_SCHEMA}")`);
  }
  if (!isObject(summary) || summary.schema !== SUMMARY_SCHEMA)
    throw new BaselineError(
      summaryPath,
      `not a run summary (${isObject(summary) ? `schema ${schemaOf(summary.schema)}` : `the JSON is ${kindOf(summary)}, not an object`}, expected "${SUMMARY_SCHEMA}")`,
    );
  for (const key of ['suite', 'run'])
    if (typeof summary[key] !== 'string') throw new BaselineError(summaryPath, `not a run summary (no "${key}")`);
  return { summaryPath, folder: isDir ? pathOrFolder : dirname(summaryPath), summary };
}

/** The request record a requests.jsonl line holds (times relative to the test's clock anchor; only differences are used). */
function recordOf(o: Json, where: string): { scenario: string; stage: number | null; record: RequestRecord } {
  for (const [key, type] of [
    ['scenario', 'string'],
    ['warmup', 'boolean'],
    ['intended_ms', 'number'],
    ['end_ms', 'number'],
  ] as const) {
    if (typeof o[key] !== type) throw new BaselineError(where, `not a request record ("${key}" is ${kindOf(o[key])}, expected a ${type})`);
  }
  const usage = isObject(o.usage) ? o.usage : null;
  const error = isObject(o.error) ? (o.error as unknown as RequestRecord['error']) : null;
  const chunkTimes = Array.isArray(o.chunk_ms) ? o.chunk_ms.filter((x): x is number => typeof x === 'number') : [];
  const record: RequestRecord = {
    seq: num(o.seq) ?? 0,
    requestId: typeof o.request_id === 'string' ? o.request_id : '',
    warmup: o.warmup as boolean,
    stage: num(o.stage),
    cell: typeof o.cell === 'string' ? o.cell : '',
    api: typeof o.api === 'string' ? o.api : '',
    stream: o.stream === true,
    model: typeof o.model === 'string' ? o.model : '',
    promptTokens: num(o.prompt_tokens) ?? 0,
    maxTokens: num(o.max_tokens) ?? 0,
    intended: o.intended_ms as number,
    handed: num(o.handed_ms),
    sent: num(o.sent_ms),
    headers: num(o.headers_ms),
    firstChunk: num(o.first_chunk_ms),
    chunkTimes,
    emptyChoiceTimes: Array.isArray(o.empty_choice_ms) ? o.empty_choice_ms.filter((x): x is number => typeof x === 'number') : null,
    lastChoice: num(o.last_choice_ms),
    chunkTokens: Array.isArray(o.chunk_tokens) ? (o.chunk_tokens as number[]) : null,
    chunkTokensSource: o.chunk_tokens_source === 'server' || o.chunk_tokens_source === 'inferred' ? o.chunk_tokens_source : null,
    end: o.end_ms as number,
    status: num(o.status),
    usage: usage && {
      promptTokens: num(usage.prompt_tokens) ?? 0,
      completionTokens: num(usage.completion_tokens) ?? 0,
      cachedTokens: num(usage.cached_tokens),
    },
    tokenizerOutputTokens: num(o.tokenizer_output_tokens),
    outputChars: num(o.output_chars) ?? 0,
    finishReason: typeof o.finish_reason === 'string' ? o.finish_reason : null,
    servedBy: isObject(o.served_by) ? (o.served_by as Record<string, string>) : {},
    error,
  };
  return { scenario: o.scenario as string, stage: record.stage, record };
}

/** summary.json facts of one test: its window and its stages' labels and windows. */
interface TestFacts {
  windowS: number | null;
  /** The test's definitions (summary.json `definitions`; absent in older summaries: the default). */
  definitions: Definitions;
  stages: Map<number, { label: string; windowS: number | null }>;
}

function factsOf(summary: Json): Map<string, TestFacts> {
  const out = new Map<string, TestFacts>();
  const tests = Array.isArray(summary.tests) ? summary.tests.filter(isObject) : [];
  const seen = new Set<string>();
  for (const t of tests) {
    if (typeof t.scenario !== 'string') continue;
    const windowOf = (x: unknown): number | null => {
      const w = isObject(x) ? num(x.window_s) : null;
      return w !== null && w > 0 ? w : null;
    };
    const stages = new Map<number, { label: string; windowS: number | null }>();
    if (Array.isArray(t.stages))
      for (const s of t.stages.filter(isObject)) {
        const index = num(s.index);
        if (index !== null) stages.set(index, { label: typeof s.label === 'string' ? s.label : `stage ${index}`, windowS: windowOf(s.results) });
      }
    // Two tests of one scenario share requests.jsonl lines: their windows cannot be told apart.
    const definitions: Definitions = t.definitions === 'vllm' ? 'vllm' : DEFAULT_DEFINITIONS;
    if (seen.has(t.scenario)) out.set(t.scenario, { windowS: null, stages: new Map(), definitions });
    else out.set(t.scenario, { windowS: windowOf(t.results), stages, definitions });
    seen.add(t.scenario);
  }
  return out;
}

/**
 * Loads a run's raw samples for comparison: `pathOrFolder` is a run folder
 * (`results/<stamp>-<suite>/`) or the summary.json in one; requests.jsonl beside it is read line by
 * line (streamed, never as one string). Every failure is a {@link BaselineError} whose one-line
 * message names the file and what is wrong: missing path, unreadable file, not a run folder or
 * summary (no summary.json, wrong `schema`), requests.jsonl missing (the confidence interval needs
 * the raw samples), a line that is not JSON or not a request record (with its line number).
 */
export async function loadRunSamples(pathOrFolder: string): Promise<RunSamples> {
  const { summaryPath, folder, summary } = readSummary(pathOrFolder);
  return samplesOfFolder(summary, folder, pathOrFolder, summaryPath);
}

/**
 * The samples of a run folder's `requests.jsonl` with the facts of a summary (`summary.json`'s
 * shape: `suite`, `run`, `target_kind`, `tests[]` with `scenario`, `model`, windows): how a
 * running test compares itself before its run's summary.json is written. `only` keeps the
 * records of these scenarios.
 */
export async function samplesOfFolder(summary: Json, folder: string, source: string, summaryPath = join(folder, 'summary.json'), only?: ReadonlySet<string>): Promise<RunSamples> {
  const requestsPath = join(folder, 'requests.jsonl');
  try {
    statSync(requestsPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new BaselineError(
        requestsPath,
        `missing beside ${summaryPath}: comparing runs needs the raw samples of every request for the confidence interval (summary.json has only percentiles)`,
      );
    throw new BaselineError(requestsPath, `cannot read (${errno(err)})`, { cause: err });
  }

  const facts = factsOf(summary);
  // scenario -> stage index (-1 when the line has none) -> samples
  const accs = new Map<string, Map<number, Acc>>();
  let lineNo = 0;
  const stream = createReadStream(requestsPath, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        throw new BaselineError(requestsPath, `line ${lineNo}: not valid JSON (expected one request record per line)`);
      }
      if (!isObject(o)) throw new BaselineError(requestsPath, `line ${lineNo}: not a request record (not a JSON object)`);
      if (only && !only.has(String(o.scenario))) continue;
      const { scenario, stage, record } = recordOf(o, `${requestsPath}: line ${lineNo}`);
      if (record.warmup || record.error?.class === 'cut') continue;
      let byStage = accs.get(scenario);
      if (!byStage) accs.set(scenario, (byStage = new Map()));
      const key = stage ?? -1;
      let acc = byStage.get(key);
      if (!acc) byStage.set(key, (acc = new Acc(facts.get(scenario)?.definitions)));
      acc.add(record);
    }
  } catch (err) {
    if (err instanceof BaselineError) throw err;
    throw new BaselineError(requestsPath, `cannot read (${errno(err)})`, { cause: err });
  } finally {
    lines.close();
    stream.destroy();
  }

  const scenarios = new Map<string, ScenarioSamples>();
  for (const [scenario, byStage] of accs) {
    const f = facts.get(scenario) ?? { windowS: null, stages: new Map(), definitions: DEFAULT_DEFINITIONS };
    const all = [...byStage.values()];
    const whole = samplesOf(all.map((acc, i) => ({ acc, summaryWindowS: i === 0 && all.length === 1 ? f.windowS : null })));
    if (all.length > 1 && f.windowS !== null) Object.assign(whole, { windowS: f.windowS, windowSource: 'summary' });
    const byLabel = new Map<string, Array<{ acc: Acc; summaryWindowS: number | null }>>();
    for (const [index, acc] of [...byStage].sort((x, y) => x[0] - y[0])) {
      const st = f.stages.get(index);
      const label = st?.label ?? (index < 0 ? 'no stage' : `stage ${index}`);
      const parts = byLabel.get(label) ?? [];
      parts.push({ acc, summaryWindowS: st?.windowS ?? null });
      byLabel.set(label, parts);
    }
    const stages = new Map<string, MetricSamples>();
    if (byLabel.size > 1) for (const [label, parts] of byLabel) stages.set(label, samplesOf(parts));
    scenarios.set(scenario, { scenario, definitions: f.definitions ?? DEFAULT_DEFINITIONS, ...whole, stages });
  }

  const kinds = summary.target_kind;
  const targetKind = typeof kinds === 'string' ? kinds : Array.isArray(kinds) && kinds.length > 0 ? kinds.join('+') : null;
  const models = [...new Set((Array.isArray(summary.tests) ? summary.tests : []).filter(isObject).map((t) => t.model).filter((m): m is string => typeof m === 'string'))];
  return {
    source,
    folder,
    suite: summary.suite as string,
    stamp: summary.run as string,
    targetKind,
    model: models.length > 0 ? models.join(', ') : null,
    scenarios,
  };
}

// ---------------------------------------------------------------------------------------------
// Comparing

/** Latency metrics with raw samples. */
