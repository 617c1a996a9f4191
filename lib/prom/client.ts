import { Agent, request, type Dispatcher } from 'undici';
import { classifyTransportError } from '../http/classify.ts';
import { redactText } from '../config/redact.ts';
import { PromError } from './prom-error.ts';
import { planRange } from './range-plan.ts';
import { labelsKey, parseMatrix, parseQueryData, readEnvelope, type PromQueryResult, type PromRangeResult, type PromRangeSeries } from './result.ts';
import type { PromSettings } from './settings.ts';

/** What a transport failure class means to a user, for `PROM_UNREACHABLE` messages. */
const UNREACHABLE: Record<string, string> = {
  connect_refused: 'connection refused',
  dns: 'host name not found',
  connect_timeout: 'connection timed out',
  headers_timeout: 'no answer',
  idle_timeout: 'the answer stalled',
  tls: 'TLS handshake failed',
  connect_reset: 'connection reset',
  stream_cut: 'connection closed mid-answer',
  other: 'request failed',
};

/** Longest server text quoted in a message. */
const MAX_QUOTE = 200;

/**
 * A client of one Prometheus server's HTTP API (`/api/v1/query`, `/api/v1/query_range`) on an
 * undici Agent: bearer token, custom CA or no verification, and one timeout that bounds the
 * connection, the headers, the body and the whole request. Every failure is a {@link PromError}
 * whose message is one line, names the URL and never contains the token.
 */
export class PromClient {
  /** The base URL, for messages and reports. */
  readonly url: string;
  private readonly agent: Agent;
  private readonly headers: Record<string, string>;
  private readonly token: string | null;
  private readonly tokenSource: string | null;
  private readonly timeoutMs: number;

  constructor(settings: Pick<PromSettings, 'url' | 'token' | 'tokenSource' | 'ca' | 'insecure' | 'timeoutMs'>) {
    this.url = settings.url.replace(/\/+$/, '');
    this.token = settings.token;
    this.tokenSource = settings.tokenSource;
    this.timeoutMs = settings.timeoutMs;
    this.headers = { accept: 'application/json' };
    if (settings.token) this.headers.authorization = `Bearer ${settings.token}`;
    this.agent = new Agent({
      connect: { timeout: settings.timeoutMs, rejectUnauthorized: !settings.insecure, ...(settings.ca ? { ca: settings.ca } : {}) },
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      connections: 4,
    });
  }

  /**
   * Instant query (`/api/v1/query`) at `time` (default: the server's now). Resolves with the
   * typed result (a vector for most expressions); rejects with a {@link PromError}.
   */
  async query(expr: string, time?: Date, signal?: AbortSignal): Promise<PromQueryResult> {
    const params: Record<string, string> = { query: expr };
    if (time) params.time = unixSeconds(time.getTime());
    const { data, warnings } = await this.call('/api/v1/query', params, signal);
    try {
      return parseQueryData(data, warnings);
    } catch (err) {
      throw new PromError('PROM_BAD_RESPONSE', this.url, `malformed query answer: ${(err as Error).message}`);
    }
  }

  /**
   * Range query (`/api/v1/query_range`) from `start` to `end` every `stepS` seconds. A range
   * beyond Prometheus' 11,000 points per series is split into several requests whose series are
   * merged by label set (and beyond 8 such requests the step grows; `stepS` of the result says
   * which step was used).
   */
  async queryRange(expr: string, start: Date, end: Date, stepS: number, signal?: AbortSignal): Promise<PromRangeResult> {
    const plan = planRange(start.getTime(), end.getTime(), stepS);
    const merged = new Map<string, PromRangeSeries>();
    const warnings: string[] = [];
    for (const part of plan.parts) {
      const r = await this.call('/api/v1/query_range', { query: expr, start: unixSeconds(part.startMs), end: unixSeconds(part.endMs), step: String(part.stepS) }, signal);
      warnings.push(...r.warnings.filter((w) => !warnings.includes(w)));
      let series: PromRangeSeries[];
      try {
        const d = r.data as { resultType?: unknown; result?: unknown } | null;
        if (!d || d.resultType !== 'matrix') throw new Error(`expected resultType "matrix", got ${JSON.stringify(d?.resultType)}`);
        series = parseMatrix(d.result);
      } catch (err) {
        throw new PromError('PROM_BAD_RESPONSE', this.url, `malformed query_range answer: ${(err as Error).message}`);
      }
      for (const s of series) {
        const key = labelsKey(s.labels);
        const have = merged.get(key);
        if (have) have.points.push(...s.points);
        else merged.set(key, { labels: s.labels, points: [...s.points] });
      }
    }
    return { series: [...merged.values()], warnings, stepS: plan.stepS, requests: plan.parts.length };
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.agent.close();
  }

  /** One GET of the API; resolves with the success envelope's `data`. */
  private async call(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<{ data: unknown; warnings: string[] }> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Dispatcher.ResponseData;
    let body: string;
    try {
      res = await request(`${this.url}${path}?${new URLSearchParams(params)}`, { method: 'GET', headers: this.headers, dispatcher: this.agent, signal: combined });
      body = await res.body.text();
    } catch (err) {
      if (timeout.aborted) throw new PromError('PROM_UNREACHABLE', this.url, `no answer within ${this.timeoutMs / 1000} s (BENCH_PROMETHEUS_TIMEOUT_S)`, { cause: err });
      if (signal?.aborted) throw new PromError('PROM_UNREACHABLE', this.url, 'request cancelled', { cause: err });
      const failure = classifyTransportError(err, false);
      const what = UNREACHABLE[failure.class] ?? 'request failed';
      throw new PromError('PROM_UNREACHABLE', this.url, `unreachable: ${what} (${this.scrub(failure.message)})`, { cause: err });
    }
    const status = res.statusCode;
    if (status === 401 || status === 403) {
      const how = this.tokenSource
        ? `with the bearer token from ${this.tokenSource}`
        : 'without a token (set BENCH_PROMETHEUS_TOKEN or BENCH_PROMETHEUS_TOKEN_FILE)';
      const said = this.quote(body, res.headers['content-type']);
      throw new PromError('PROM_UNAUTHORIZED', this.url, `HTTP ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'} ${how}${said ? `: ${said}` : ''}`, { status });
    }
    const json = tryJson(body);
    if (json === undefined) {
      const type = String(res.headers['content-type'] ?? 'no content type').split(';')[0];
      const said = this.quote(body, res.headers['content-type']);
      throw new PromError('PROM_BAD_RESPONSE', this.url, `HTTP ${status} with ${type}, not the Prometheus API's JSON (is this the Prometheus base URL?)${said ? `: ${said}` : ''}`, { status });
    }
    const env = readEnvelope(json);
    if (!env.ok) {
      if (env.problem.kind === 'error') {
        throw new PromError('PROM_QUERY', this.url, `query failed (HTTP ${status}, ${env.problem.errorType}): ${this.scrub(env.problem.error)}`, { status, errorType: env.problem.errorType });
      }
      throw new PromError('PROM_BAD_RESPONSE', this.url, `HTTP ${status}: JSON that is not a Prometheus API answer (${env.problem.reason})`, { status });
    }
    if (status < 200 || status >= 300) throw new PromError('PROM_BAD_RESPONSE', this.url, `HTTP ${status} with a success body`, { status });
    return { data: env.data, warnings: env.warnings };
  }

  /** Server text on one line, clipped, token removed; empty for HTML pages (a login page says nothing useful). */
  private quote(body: string, contentType: string | string[] | undefined): string {
    if (/html/i.test(String(contentType ?? '')) || /^\s*</.test(body)) return '';
    return this.scrub(body);
  }

  private scrub(text: string): string {
    const one = redactText(text, this.token ? [this.token] : []).replace(/\s+/g, ' ').trim();
    return one.length > MAX_QUOTE ? `${one.slice(0, MAX_QUOTE)}…` : one;
  }
}

/** Unix seconds with millisecond precision, as Prometheus takes them. */
function unixSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
