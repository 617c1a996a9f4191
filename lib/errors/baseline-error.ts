import { BenchError } from './bench-error.ts';

/**
 * A baseline run (`BENCH_BASELINE`) cannot be loaded or compared. The message is one line naming
 * the file and what is wrong with it: `results/x/requests.jsonl: line 17: not valid JSON (...)`,
 * or, for runs that cannot be compared, both runs.
 */
export class BaselineError extends BenchError {
  /** The file or folder the problem is in (the baseline's source for comparison errors). */
  readonly source: string;

  constructor(source: string, reason: string, options?: { cause?: unknown }) {
    super('BASELINE_INVALID', `${source}: ${reason}`, options);
    this.source = source;
  }
}
