import { BenchError } from '../../errors/bench-error.ts';

/** The command line, the suite's config or its split cannot work: nothing is created; exit 2. */
export class LaunchUsageError extends BenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LAUNCH_USAGE', message, options);
  }
}

/**
 * The launch failed once it had started (an image that cannot be pulled, a target the pods
 * cannot reach, the Job rejected); what was created is cleaned up; exit 1.
 */
export class LaunchError extends BenchError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
