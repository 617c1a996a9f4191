/**
 * Base of every error this tool throws on purpose: setup, configuration and target failures.
 *
 * Per-request failures are never thrown; they are data in the request record (see
 * `lib/metrics/record.ts`). A `BenchError` is for the things that stop a test before or
 * around its measurements, and its message is the one line a user needs: what failed, where,
 * and why. Its stack is trimmed to that line unless `BENCH_DEBUG` is set, so Vitest prints
 * the reason, not a stack dump of this tool's internals.
 */
export class BenchError extends Error {
  /** Stable machine-readable code, e.g. `CONFIG_INVALID`, `TARGET_UNREACHABLE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    if (!process.env.BENCH_DEBUG) this.stack = `${this.name}: ${message}`;
  }
}
