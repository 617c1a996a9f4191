/**
 * Base of every error this tool throws on purpose: setup, configuration and target failures.
 *
 * Per-request failures are never thrown; they are data in the request record (see
 * `lib/metrics/record.ts`). A `BenchError` is for the things that stop a test before or
 * around its measurements, and its message is the one line a user needs: what failed, where,
 * and why. Its stack is trimmed to that line unless `BENCH_DEBUG` is set, so Vitest prints
 * the reason, not a stack dump of this tool's internals. For the same reason the underlying
 * error is attached as `cause` only under `BENCH_DEBUG` (Vitest prints causes in full); the
 * message already carries what it said.
 */
export class BenchError extends Error {
  /** Stable machine-readable code, e.g. `CONFIG_INVALID`, `TARGET_UNREACHABLE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    const debug = Boolean(process.env.BENCH_DEBUG);
    super(message, debug ? options : undefined);
    this.name = new.target.name;
    this.code = code;
    if (!debug) this.stack = `${this.name}: ${message}`;
  }
}
