/**
 * Typed results of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`) and the
 * parsing of its JSON envelope: `{status: "success", data: {resultType, result}, warnings?}` or
 * `{status: "error", errorType, error}`. Sample values arrive as strings (`"1.5"`, `"NaN"`,
 * `"+Inf"`, `"-Inf"`) and become numbers here, NaN and infinities included.
 */
import type { PromLabels, PromPoint } from '../report/server-metrics.ts';

export type { PromLabels, PromPoint };

/** One series of an instant vector. */
export interface PromInstantSample {
  labels: PromLabels;
  /** Evaluation time, unix seconds. */
  time: number;
  value: number;
}

/** One series of a range matrix. */
export interface PromRangeSeries {
  labels: PromLabels;
  /** Points in time order. */
  points: PromPoint[];
}

/** What an instant query returns, by `resultType`. */
export type PromQueryResult =
  | { resultType: 'vector'; result: PromInstantSample[]; warnings: string[] }
  | { resultType: 'matrix'; result: PromRangeSeries[]; warnings: string[] }
  | { resultType: 'scalar'; result: { time: number; value: number }; warnings: string[] }
  | { resultType: 'string'; result: { time: number; value: string }; warnings: string[] };

/** What a range query returns (always a matrix), after any splitting into several requests. */
export interface PromRangeResult {
  series: PromRangeSeries[];
  warnings: string[];
  /** The step actually used, in seconds (larger than asked when the range had too many points). */
  stepS: number;
  /** HTTP requests it took (more than one when the range was split). */
  requests: number;
}

/** A Prometheus sample value as a number: `NaN`, `+Inf`, `-Inf`, `Inf` included; undefined when not a number. */
export function parseSampleValue(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  const v = Number(text);
  return text.trim() === '' || Number.isNaN(v) ? undefined : v;
}

/** The failure of an envelope: Prometheus said `error`, or the body is not the API's shape. */
export type EnvelopeProblem = { kind: 'error'; errorType: string; error: string } | { kind: 'shape'; reason: string };

/** The `data` of a success envelope, or what is wrong with it. */
export function readEnvelope(json: unknown): { ok: true; data: unknown; warnings: string[] } | { ok: false; problem: EnvelopeProblem } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, problem: { kind: 'shape', reason: 'not a JSON object' } };
  const o = json as { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown; warnings?: unknown };
  if (o.status === 'error') {
    return { ok: false, problem: { kind: 'error', errorType: typeof o.errorType === 'string' ? o.errorType : 'unknown', error: typeof o.error === 'string' ? o.error : 'no error text' } };
  }
  if (o.status !== 'success') return { ok: false, problem: { kind: 'shape', reason: 'no "status" of "success" or "error"' } };
  const warnings = Array.isArray(o.warnings) ? o.warnings.filter((w): w is string => typeof w === 'string') : [];
  return { ok: true, data: o.data, warnings };
}

/** Parses the `data` of a query answer; throws an Error with the reason when it is malformed. */
export function parseQueryData(data: unknown, warnings: string[]): PromQueryResult {
  if (typeof data !== 'object' || data === null) throw new Error('"data" is not an object');
  const d = data as { resultType?: unknown; result?: unknown };
  switch (d.resultType) {
    case 'vector':
      return { resultType: 'vector', result: arrayOf(d.result).flatMap(parseInstant), warnings };
    case 'matrix':
      return { resultType: 'matrix', result: parseMatrix(d.result), warnings };
    case 'scalar': {
      const [time, value] = parsePoint(d.result);
      return { resultType: 'scalar', result: { time, value }, warnings };
    }
    case 'string': {
      const r = d.result as unknown[];
      if (!Array.isArray(r) || typeof r[0] !== 'number' || typeof r[1] !== 'string') throw new Error('malformed string result');
      return { resultType: 'string', result: { time: r[0], value: r[1] }, warnings };
    }
    default:
      throw new Error(`unknown resultType ${JSON.stringify(d.resultType)}`);
  }
}

/** Parses the `result` of a matrix; series with only native-histogram points are kept with no points. */
export function parseMatrix(result: unknown): PromRangeSeries[] {
  return arrayOf(result).map((s) => {
    const o = s as { metric?: unknown; values?: unknown };
    return { labels: parseLabels(o.metric), points: Array.isArray(o.values) ? o.values.map(parsePoint) : [] };
  });
}

function parseInstant(s: unknown): PromInstantSample[] {
  const o = s as { metric?: unknown; value?: unknown };
  // A native-histogram sample has `histogram` instead of `value`: not a number, skipped.
  if (!Array.isArray(o.value)) return [];
  const [time, value] = parsePoint(o.value);
  return [{ labels: parseLabels(o.metric), time, value }];
}

function parsePoint(p: unknown): PromPoint {
  if (!Array.isArray(p) || typeof p[0] !== 'number') throw new Error('malformed sample (expected [time, "value"])');
  const value = parseSampleValue(p[1]);
  if (value === undefined) throw new Error(`malformed sample value ${JSON.stringify(p[1])}`);
  return [p[0], value];
}

function parseLabels(m: unknown): PromLabels {
  const out: PromLabels = {};
  if (typeof m !== 'object' || m === null) return out;
  for (const [k, v] of Object.entries(m)) if (typeof v === 'string') out[k] = v;
  return out;
}

function arrayOf(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new Error('"result" is not an array');
  return v;
}

/** A stable key of a label set (sorted names), to merge the parts of a split range query. */
export function labelsKey(labels: PromLabels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
}
