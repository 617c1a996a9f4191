import { Pool } from 'undici';
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../config/schema/limits.ts';
import { TargetError } from '../errors/target-error.ts';
import { classifyTransportError } from './classify.ts';
import { addSecrets, headerSecrets, urlSecrets } from '../config/secrets.ts';
import { serverText } from './server-text.ts';

/** Per-request timeouts in milliseconds (the config gives seconds). */
export interface TimeoutsMs {
  /** TCP/TLS connection establishment. */
  connect: number;
  /** From sending to the first output (and to response headers). */
  firstToken: number;
  /** Longest silence between two body chunks. */
  idle: number;
  /** Whole request. */
  total: number;
}

/** How to reach an OpenAI-compatible endpoint. */
export interface HttpTargetOptions {
  /** Base URL as configured, e.g. `http://localhost:8000` or `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Bearer key. Kept in the request headers only; never in a record, report or message. */
  apiKey?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  timeouts: TimeoutsMs;
  /** Response size limits; default `DEFAULT_RESPONSE_LIMITS`. */
  limits?: ResponseLimits;
  /** How to verify the server's certificate (https only); default the system's trusted CAs. */
  tls?: TlsOptions;
}

/** Certificate verification of an https target. */
export interface TlsOptions {
  /** PEM of the CA certificate(s) to trust instead of the system's (a private CA, or a self-signed certificate itself). */
  ca?: string;
  /** Accept any certificate: no verification at all. Reports say so. */
  insecureSkipVerify?: boolean;
}

/** A small response read in full (preflight, `/v1/models`, `/metrics`). */
export interface SmallResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * An endpoint: its origin, its API root, the headers every request carries, and undici pools.
 * The OpenAI API root is the base URL when its path already ends in `/v1` (OpenAI, Ollama
 * conventions), else `<base>/v1` (vLLM's server root). `/health` and `/metrics` live at the
 * server root.
 */
export class HttpTarget {
  readonly origin: string;
  /** Path prefix of the OpenAI API, e.g. `/v1`. */
  readonly apiRoot: string;
  /** The base URL for messages and reports (credentials are rejected by the config). */
  readonly displayUrl: string;
  readonly timeouts: TimeoutsMs;
  readonly limits: ResponseLimits;
  readonly tls: TlsOptions;
  /** Headers for API requests. Contains the key; do not log. */
  readonly requestHeaders: Record<string, string>;
  private readonly apiKey: string | null;

  constructor(opts: HttpTargetOptions) {
    const url = new URL(opts.baseUrl);
    this.origin = url.origin;
    const path = url.pathname.replace(/\/+$/, '');
    this.apiRoot = /\/v\d+$/.test(path) ? path : `${path}/v1`;
    this.displayUrl = `${url.origin}${path}`;
    this.timeouts = opts.timeouts;
    this.limits = opts.limits ?? DEFAULT_RESPONSE_LIMITS;
    this.tls = opts.tls ?? {};
    // `identity`: a compressed stream would arrive in deflate blocks rather than as each event is
    // sent (a server that compresses anyway is decoded, `decode.ts`).
    this.requestHeaders = { 'content-type': 'application/json', accept: 'text/event-stream, application/json', 'accept-encoding': 'identity', ...opts.headers };
    if (opts.apiKey) this.requestHeaders.authorization = `Bearer ${opts.apiKey}`;
    this.apiKey = opts.apiKey ?? null;
    // The key, key-bearing headers (by name, wherever their value came from) and URL credentials are secrets of the run.
    addSecrets(opts.apiKey, ...headerSecrets(this.requestHeaders), ...urlSecrets(opts.baseUrl));
  }

  /** Server text fit for a message: one line, clipped to `n`, with this target's key removed. */
  scrub(text: string, n: number): string {
    return serverText(text, n, this.apiKey);
  }

  /**
   * A connection pool to the origin; one per run, so cancelling a run (destroying it) touches
   * nothing else. `connections` should be the run's in-flight bound: an unbounded pool opens a
   * new connection whenever a request is dispatched while the connection that just finished is
   * still being released, and keeps growing mid-run (each new connection costs a connect and an
   * HTTP parser instance, milliseconds of client time in the measured window).
   */
  createPool(connections: number | null = null): Pool {
    return new Pool(this.origin, {
      connections,
      pipelining: 1,
      connect: { timeout: this.timeouts.connect, ...this.tlsConnectOptions() },
      headersTimeout: this.timeouts.firstToken + 1000,
      bodyTimeout: this.timeouts.idle,
      keepAliveTimeout: 30_000,
    });
  }

  /** TLS options for undici's `connect` (also for any other client of this target, e.g. a `/metrics` scrape). */
  tlsConnectOptions(): { ca?: string; rejectUnauthorized?: boolean } {
    return {
      ...(this.tls.ca !== undefined ? { ca: this.tls.ca } : {}),
      ...(this.tls.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
    };
  }

  /**
   * GETs a small resource (`path` absolute from the origin) with a deadline. Transport failures
   * throw a `TargetError` naming the URL and the classified reason.
   */
  async get(path: string, timeoutMs: number, pool?: Pool): Promise<SmallResponse> {
    const own = pool ?? this.createPool();
    try {
      const res = await own.request({
        path,
        method: 'GET',
        headers: this.requestHeaders,
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > this.limits.responseBytes) {
          res.body.destroy();
          throw new TargetError('TARGET_ERROR', `${this.origin}${path}`, `response larger than ${mib(this.limits.responseBytes)} (limits.max_response_mib)`);
        }
        chunks.push(chunk as Buffer);
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
    } catch (err) {
      if (err instanceof TargetError) throw err;
      const reason =
        err instanceof Error && err.name === 'TimeoutError'
          ? `no answer within ${timeoutMs / 1000} s`
          : describeFailure(classifyTransportError(err, false));
      throw new TargetError('TARGET_UNREACHABLE', `${this.origin}${path}`, reason, { cause: err });
    } finally {
      if (!pool) await own.destroy();
    }
  }
}

const HINTS: Record<string, string> = {
  connect_refused: 'connection refused: is the server running and listening on that port?',
  dns: 'host name does not resolve',
  tls: 'TLS handshake failed',
  connect_timeout: 'connection timed out',
  connect_reset: 'connection reset by the server',
};

function describeFailure(f: { class: string; message: string }): string {
  const hint = HINTS[f.class];
  return hint ? `${hint} (${f.message})` : f.message;
}

/** A byte count in MiB for messages, e.g. `256 MiB`. */
export function mib(bytes: number): string {
  return `${Number((bytes / 2 ** 20).toFixed(2))} MiB`;
}
