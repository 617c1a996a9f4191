/**
 * Scraping a server's Prometheus endpoint (vLLM's `GET /metrics`) once: the parsed samples, or
 * the reason there are none. Every failure is a value (`{ ok: false, reason }`), never a throw,
 * so a benchmark can say "server metrics unavailable: <reason>" and go on measuring latency.
 *
 * Request headers are the caller's (the target's own, with its API key, when the metrics live
 * on the target's origin). Nothing of them is ever put in a reason: header values are scrubbed
 * from any server text quoted back.
 */
import { Agent, request } from 'undici';
import { classifyTransportError } from '../http/classify.ts';
import { serverText } from '../http/server-text.ts';
import { parsePromText, type PromFamily, type PromSample } from './prom-text.ts';

/** How to scrape. */
export interface ScrapeOptions {
  /** Whole request deadline, ms (default 10 000). */
  timeoutMs?: number;
  /** Request headers (e.g. `authorization`); never logged, scrubbed from messages. */
  headers?: Record<string, string>;
  /** Largest body read, bytes (default 32 MiB); a larger one is an error. */
  maxBytes?: number;
  /** Aborts the scrape (a cancelled test). */
  signal?: AbortSignal;
  /** Certificate verification of an https URL (the target's own when it is the target's origin); default the system's CAs. */
  tls?: { ca?: string; rejectUnauthorized?: boolean };
  /** Sample names to keep (`vllm:num_requests_running`, `vllm:request_success_total`); the rest of the page is dropped before parsing (see {@link onlySamples}). Default: all. */
  samples?: ReadonlySet<string>;
}

/** A successful scrape. */
export interface Scrape {
  ok: true;
  url: string;
  samples: PromSample[];
  families: Record<string, PromFamily>;
  /** `performance.now()` when the response was complete. */
  atMs: number;
}

/** A failed scrape and why, in one line. */
export interface ScrapeFailure {
  ok: false;
  url: string;
  /** E.g. `connection refused`, `HTTP 404 (Not Found)`, `line 17: invalid value "x" for foo`. */
  reason: string;
}

/** What `scrapeMetrics` returns. */
export type ScrapeResult = Scrape | ScrapeFailure;

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
/** Prefer the classic text format; OpenMetrics and anything else are parsed as well as they fit. */
const ACCEPT = 'text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5,*/*;q=0.1';

/** Headers a scrape sets itself (a GET has no body): dropped from the caller's, never secret. */
const BENIGN = new Set(['accept', 'content-type', 'content-length', 'user-agent']);

const HINTS: Record<string, string> = {
  connect_refused: 'connection refused',
  connect_reset: 'connection reset',
  dns: 'host name does not resolve',
  tls: 'TLS handshake failed',
  connect_timeout: 'connection timed out',
};

/** Scrapes `url` once; never throws. */
export async function scrapeMetrics(url: string, options: ScrapeOptions = {}): Promise<ScrapeResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const given = Object.entries(options.headers ?? {}).filter(([k]) => !BENIGN.has(k.toLowerCase()));
  const headers = { ...Object.fromEntries(given), accept: ACCEPT };
  const secrets = given.map(([, v]) => v).flatMap(secretParts);
  const fail = (reason: string): ScrapeFailure => ({ ok: false, url, reason: scrub(reason, secrets) });
  // A dispatcher of its own, closed after: no idle socket of the scrape stays open beside the benchmark's.
  const dispatcher = new Agent({ connect: { timeout: timeoutMs, ...options.tls }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  try {
    let parsedUrl: URL;
    try {
      parsedUrl = new URL(url);
    } catch {
      return fail(`not a URL: "${url}"`);
    }
    if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') return fail(`not an http(s) URL: "${url}"`);
    // Redirects are not followed (undici's default): a 3xx is reported as it is.
    const res = await request(parsedUrl, { method: 'GET', headers, signal, dispatcher });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        res.body.destroy();
        return fail(`response larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    if (res.statusCode !== 200) {
      const text = serverText(body, 160);
      return fail(`HTTP ${res.statusCode}${text ? ` (${text})` : ''}`);
    }
    const parsed = parsePromText(options.samples ? onlySamples(body, options.samples) : body);
    if (!parsed.ok) {
      const e = parsed.error;
      return fail(`not Prometheus text: line ${e.line}: ${e.message}: ${serverText(e.text, 120)}`);
    }
    return { ok: true, url, samples: parsed.value.samples, families: parsed.value.families, atMs: performance.now() };
  } catch (err) {
    if (err instanceof Error && (err.name === 'TimeoutError' || (err.name === 'AbortError' && !options.signal?.aborted))) {
      return fail(`no answer within ${timeoutMs / 1000} s`);
    }
    if (options.signal?.aborted) return fail('cancelled');
    const f = classifyTransportError(err, false);
    return fail(HINTS[f.class] ? `${HINTS[f.class]} (${f.message})` : f.message);
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

/** Parts of a header value that must never appear in a message: the value, and a bearer token alone. */
function secretParts(value: string): string[] {
  const out = [value];
  const token = /^\s*\S+\s+(\S{4,})\s*$/.exec(value)?.[1];
  if (token) out.push(token);
  return out.filter((s) => s.length >= 4);
}

function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * The exposition reduced to the samples named in `keep` (and their families' `# TYPE`/`# HELP`
 * lines), before parsing: a scrape during a measured run runs on the measuring event loop, and
 * parsing a full vLLM page (histograms: hundreds of lines) costs milliseconds there, which shows as
 * schedule lag. Filtering by name costs a tenth of that.
 */
export function onlySamples(text: string, keep: ReadonlySet<string>): string {
  const out: string[] = [];
  const families = [...keep];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      const name = line.split(' ', 4)[2];
      if (name && families.some((k) => k === name || (k.startsWith(name) && /^_(total|sum|count|bucket|created)$/.test(k.slice(name.length))))) out.push(line);
      continue;
    }
    const end = line.search(/[{ ]/);
    if (end > 0 && keep.has(line.slice(0, end))) out.push(line);
  }
  return out.join('\n');
}
