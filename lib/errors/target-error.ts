import { BenchError } from './bench-error.ts';

/**
 * The target endpoint cannot be used at all: unreachable, refusing connections, answering the
 * preflight with an error, or not serving the configured model. Raised by the preflight check
 * before any measurement, so a dead endpoint fails a suite in seconds, not after a timeout per
 * request.
 */
export class TargetError extends BenchError {
  /** The base URL that was tried (never carries credentials). */
  readonly url: string;

  constructor(code: string, url: string, reason: string, options?: { cause?: unknown }) {
    super(code, `${url}: ${reason}`, options);
    this.url = url;
  }
}
