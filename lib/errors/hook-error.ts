import { BenchError } from './bench-error.ts';

/**
 * A workload hook (a config's `hooks.pre_workload` or `hooks.post_workload` shell command) failed.
 * The message's first line names the hook, the test, how it ended (its exit code) and what that
 * means for the test; the lines after it quote the end of its output and give its log's path.
 */
export class HookError extends BenchError {
  /** `pre_workload` or `post_workload`. */
  readonly hook: string;

  constructor(hook: string, message: string) {
    super('HOOK_FAILED', message);
    this.hook = hook;
  }
}
