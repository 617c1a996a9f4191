import type { ErrorClass, RequestFailure } from '../metrics/record.ts';

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$|EPROTO$)/;

const BY_CODE: Record<string, ErrorClass> = {
  ECONNREFUSED: 'connect_refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_NONAME: 'dns',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  ETIMEDOUT: 'connect_timeout',
  EHOSTUNREACH: 'connect_refused',
  ENETUNREACH: 'connect_refused',
  UND_ERR_HEADERS_TIMEOUT: 'headers_timeout',
  UND_ERR_BODY_TIMEOUT: 'idle_timeout',
};

/** A value too large for memory: a string past V8's length limit, a buffer past Node's. */
const TOO_LARGE_CODE = new Set(['ERR_STRING_TOO_LONG', 'ERR_BUFFER_TOO_LARGE']);
const TOO_LARGE_MESSAGE = /^(Invalid (string|array|typed array) length|Array buffer allocation failed|Cannot create a string longer than)/;

/** Socket-level breaks: a reset before the response started, a cut stream after. */
const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

/** An `Error` that already carries our classification (timeouts we enforce, cancellation). */
export class ClassifiedError extends Error {
  constructor(
    readonly failure: RequestFailure,
  ) {
    super(failure.message);
  }
}

/**
 * Classifies a transport error by its `code` (Node's `E*` codes, undici's `UND_ERR_*`), looking
 * through `AggregateError`s (Happy Eyeballs tries several addresses) and `cause` chains.
 * `responseStarted` tells a reset before any response from a stream cut midway.
 */
export function classifyTransportError(err: unknown, responseStarted: boolean): RequestFailure {
  if (err instanceof ClassifiedError) return err.failure;
  const code = findCode(err);
  const message = describe(err);
  if (code) {
    const cls = BY_CODE[code];
    if (cls) return { class: cls, message };
    if (TLS_CODE.test(code)) return { class: 'tls', message };
    if (BROKEN.has(code)) return { class: responseStarted ? 'stream_cut' : 'connect_reset', message };
    if (TOO_LARGE_CODE.has(code)) return { class: 'response_too_large', message };
  }
  if (err instanceof RangeError && TOO_LARGE_MESSAGE.test(err.message)) return { class: 'response_too_large', message };
  return { class: 'other', message };
}

function findCode(err: unknown, depth = 0): string | null {
  if (typeof err !== 'object' || err === null || depth > 4) return null;
  const e = err as { code?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && e.code !== 'UND_ERR' && e.code !== 'ERR_AGGREGATE') return e.code;
  if (Array.isArray(e.errors)) for (const inner of e.errors) {
    const c = findCode(inner, depth + 1);
    if (c) return c;
  }
  return findCode(e.cause, depth + 1);
}

/** One line: the error's message with its code, and the first inner message of an aggregate. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = findCode(err);
  let msg = err.message;
  if (!msg && err instanceof AggregateError && err.errors[0] instanceof Error) msg = err.errors[0].message;
  msg = (msg || err.name).split('\n')[0]!;
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}
