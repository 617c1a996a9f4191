/**
 * What a failed upload says: one line from an SDK, network or file error, with credentials and
 * signatures removed, and whether another attempt may succeed.
 */

/** Removes credentials and signatures from text an SDK or server produced. */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('<redacted>');
  }
  return out
    .replace(/(Signature=)[0-9a-fA-F]+/g, '$1<redacted>')
    .replace(/(X-Amz-(?:Security-Token|Credential|Signature)=)[^&\s"'<>]+/gi, '$1<redacted>')
    .replace(/(Credential=)[^,\s"'<>&]+/g, '$1<redacted>')
    .replace(/((?:aws_)?(?:secret_access_key|session_token|secretAccessKey|sessionToken)["']?\s*[=:]\s*["']?)[^\s"',}]+/gi, '$1<redacted>');
}

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  errors?: unknown[];
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** `Code: message` of an SDK, network or file error, on one line (credentials not yet removed). */
export function describeError(err: unknown, timeoutMs: number): string {
  const e = (err ?? {}) as SdkError;
  if (e.name === 'TimeoutError') {
    return `TimeoutError: no connection or no progress within ${timeoutMs / 1000} s (BENCH_PUBLISH_TIMEOUT_S)`;
  }
  // Node's happy-eyeballs connect failures are AggregateErrors with an empty message.
  if (!e.message && Array.isArray(e.errors) && e.errors.length > 0) return describeError(e.errors[0], timeoutMs);
  const code = e.Code ?? e.code ?? (e.name && e.name !== 'Error' ? e.name : undefined);
  const status = e.$metadata?.httpStatusCode;
  let message = (e.message ?? String(err)).split('\n').map((s) => s.trim()).filter(Boolean).join(' ');
  if (!message || message === 'UnknownError' || message === code) message = status ? `HTTP ${status}` : 'no details';
  return code && !message.startsWith(`${code}:`) && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Whether another attempt may succeed: network errors, timeouts, server errors and throttling. */
export function isTransient(err: unknown): boolean {
  const e = (err ?? {}) as SdkError;
  if (e.name === 'AbortError') return false;
  if (e.name === 'TimeoutError' || e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  const code = e.code ?? '';
  return /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNABORTED)$/.test(code) ||
    (Array.isArray(e.errors) && e.errors.some(isTransient));
}

/** Why the upload failed, raised by {@link publishRunFolder}: the message is the one line to print. */
export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
    this.stack = `${this.name}: ${message}`;
  }
}

