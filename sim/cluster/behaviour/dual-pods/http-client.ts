/**
 * The controller's HTTP client (`doHTTP`, protocol section 3): every call to a requester's SPI,
 * a vLLM server or a launcher goes over real HTTP to the Pod IP, with the controller's client
 * timeout (30 s of cluster time), is logged at V(5) as `"HTTP call done"` with `purpose`,
 * `method`, `url`, `httpCallStartTime` (RFC 3339 nano, cluster time), `latencySecs` (cluster
 * seconds), `statusCode` and `err`, and observed in `fma_http_latency_seconds`.
 *
 * Errors read like Go's: `failed to do HTTP GET "<url>": Get "<url>": dial tcp <host:port>:
 * connect: connection refused`, `HTTP POST "<url>" returned unexpected status 503; ...`.
 */
import { request } from 'node:http';
import type { KLogger } from './klog.ts';
import { rfc3339Nano } from './klog.ts';
import { StoppedError, type Runtime } from './runtime.ts';

/** A failed call; `statusCode` is 0 when no response arrived. */
export class HttpCallError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'HttpCallError';
  }
}

/** One call's outcome. */
export interface HttpResult {
  statusCode: number;
  body: unknown;
}

/** What Go's net/http would report for a transport failure. */
function transportReason(err: NodeJS.ErrnoException, hostPort: string, timedOut: boolean): string {
  if (timedOut) return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'ECONNRESET':
      return `read tcp ${hostPort}: read: connection reset by peer`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`;
    case 'EADDRNOTAVAIL':
      return `dial tcp ${hostPort}: connect: cannot assign requested address`;
    default:
      return err.message;
  }
}

function send(rt: Runtime, method: string, url: URL, payload: string | undefined, wantJson: boolean): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    if (wantJson) headers.Accept = 'application/json';
    const req = request(url, { method, agent: rt.agent, headers, signal: rt.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        cancelTimeout();
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        cancelTimeout();
        reject(err);
      });
      res.on('close', () => {
        cancelTimeout();
        if (!res.complete) reject(new Error('unexpected EOF'));
      });
    });
    const cancelTimeout = rt.after(rt.options.httpTimeoutMs, () => {
      timedOut = true;
      req.destroy(new Error('timeout'));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      cancelTimeout();
      if (rt.signal.aborted) return reject(new StoppedError());
      reject(new Error(transportReason(err, url.host, timedOut)));
    });
    if (payload !== undefined) req.end(payload);
    else req.end();
  });
}

/** Options of one call. */
export interface HttpCall {
  purpose: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  /** `isc_name` label of the latency histogram. */
  iscName: string;
  /** JSON request body. */
  body?: unknown;
  /** Decode the response as JSON. */
  json?: boolean;
}

/** Performs one call (`doHTTP`). Throws {@link HttpCallError} (or {@link StoppedError} on stop). */
export async function doHttp(rt: Runtime, logger: KLogger, call: HttpCall): Promise<HttpResult> {
  const startMs = rt.clock.nowMs();
  const startHr = process.hrtime.bigint();
  const op = call.method[0] + call.method.slice(1).toLowerCase();
  let statusCode = 0;
  let error: HttpCallError | undefined;
  let body: unknown;
  try {
    const res = await send(rt, call.method, new URL(call.url), call.body === undefined ? undefined : JSON.stringify(call.body), call.json ?? false);
    statusCode = res.status;
    if (statusCode < 200 || statusCode >= 300) {
      error = new HttpCallError(`HTTP ${call.method} "${call.url}" returned unexpected status ${statusCode}; bodyReadErr=<nil>; responseBody=${res.text}`, statusCode);
    } else if (call.json) {
      try {
        body = JSON.parse(res.text) as unknown;
      } catch (err) {
        error = new HttpCallError(`failed to decode response to ${call.method} "${call.url}": ${(err as Error).message}`, statusCode);
      }
    }
  } catch (err) {
    if (err instanceof StoppedError) throw err;
    error = new HttpCallError(`failed to do HTTP ${call.method} "${call.url}": ${op} "${call.url}": ${(err as Error).message}`, 0);
  }
  const latencySecs = Number(process.hrtime.bigint() - startHr) / 1e9 / rt.clock.timeScale;
  logger.info(5, 'HTTP call done', 'purpose', call.purpose, 'method', call.method, 'url', call.url, 'httpCallStartTime', rfc3339Nano(startMs), 'latencySecs', latencySecs, 'statusCode', statusCode, 'err', error);
  rt.metrics.httpLatency.observe([call.purpose, call.method, rt.namespace, call.iscName, String(statusCode)], latencySecs);
  if (error) throw error;
  return { statusCode, body };
}
