import { BenchError } from '../errors/bench-error.ts';

/**
 * Why a Prometheus call failed, as a stable code:
 * - `PROM_UNREACHABLE`: no connection (refused, DNS, TLS, reset) or no answer within the timeout;
 * - `PROM_UNAUTHORIZED`: HTTP 401 or 403 (the message names the token source, never the token);
 * - `PROM_QUERY`: Prometheus rejected or failed the query (its own `errorType` and `error` text);
 * - `PROM_BAD_RESPONSE`: the answer is not the Prometheus API's JSON (wrong URL, a login page, a proxy error).
 */
export type PromErrorCode = 'PROM_UNREACHABLE' | 'PROM_UNAUTHORIZED' | 'PROM_QUERY' | 'PROM_BAD_RESPONSE';

/**
 * A failed Prometheus HTTP API call. The message is one line that starts with the server
 * (`Prometheus at https://prometheus.example.com: ...`) and never contains the bearer token.
 */
export class PromError extends BenchError {
  declare readonly code: PromErrorCode;
  /** The Prometheus base URL that was called. */
  readonly url: string;
  /** HTTP status when there was an answer, else null. */
  readonly status: number | null;
  /** Prometheus' `errorType` (`bad_data`, `execution`, `timeout`, ...) for `PROM_QUERY`, else null. */
  readonly errorType: string | null;

  constructor(code: PromErrorCode, url: string, reason: string, extra: { status?: number | null; errorType?: string | null; cause?: unknown } = {}) {
    super(code, `Prometheus at ${url}: ${reason}`, { cause: extra.cause });
    this.url = url;
    this.status = extra.status ?? null;
    this.errorType = extra.errorType ?? null;
  }

  /**
   * Whether every further call to the same server would fail the same way (no connection, no
   * authorisation): callers stop querying rather than wait out one timeout per metric.
   */
  get affectsServer(): boolean {
    return this.code === 'PROM_UNREACHABLE' || this.code === 'PROM_UNAUTHORIZED';
  }
}
