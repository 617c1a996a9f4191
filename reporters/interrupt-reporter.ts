import type { Reporter, SerializedError, TestModule, TestRunEndReason, Vitest } from 'vitest/node';
import type { Interruption } from '../lib/report/model.ts';

/** How the run in this process was interrupted, once it was; read by `collectReports`. */
let interruption: Interruption | null = null;

/** The run's interruption (a signal, a worker that died), or null for a run that ran its course. */
export function runInterruption(): Interruption | null {
  return interruption;
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

/** Vitest's messages for a worker process that went away while it ran tests. */
const WORKER_DIED = /\bworker\b.*\b(exited|terminated|emitted error)|exited unexpectedly|channel closed|ERR_IPC_CHANNEL_CLOSED/i;

/**
 * Makes every ending of a run an orderly one, so the reporters after it write the run folder of
 * what finished:
 * - SIGINT (Ctrl-C) or SIGTERM to this process cancels the run instead of exiting at once, as
 *   Vitest would: the tests measuring stop and keep the requests that finished (`fixtures/bench.ts`),
 *   the workers close their targets (the embedded simulator), every report is written marked
 *   `interrupted`, and the exit code is 130 / 143. A second signal exits at once.
 * - A worker that died (killed, out of memory) marks the run `interrupted` with Vitest's message.
 * Must come first among the reporters: the others read {@link runInterruption} at the run's end.
 */
export class InterruptReporter implements Reporter {
  /** Ours, and the listeners they stand in for (restored when Vitest closes). */
  private readonly handlers: Array<[NodeJS.Signals, () => void, Array<(s: NodeJS.Signals) => void>]> = [];

  onInit(vitest: Vitest): void {
    interruption = null;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      // Vitest's own handlers exit 1 ms after the signal, leaving workers and reports behind;
      // they run on the second signal.
      // Raw: a `once` listener keeps its wrapper, so it still removes itself when it runs.
      const previous = process.rawListeners(sig) as Array<(s: NodeJS.Signals) => void>;
      for (const l of previous) process.off(sig, l);
      const onSignal = (): void => {
        if (interruption) {
          process.off(sig, onSignal);
          for (const l of previous) l(sig);
          if (previous.length === 0) process.exit(128 + SIGNAL_NUMBERS[sig]);
          return;
        }
        interruption = { kind: 'interrupted', reason: `${sig} received` };
        // The shell's code for a signal (130, 143), whatever Vitest sets for the cancelled tests.
        const code = 128 + SIGNAL_NUMBERS[sig];
        process.exitCode = code;
        process.once('exit', () => {
          process.exitCode = code;
        });
        vitest.logger.error(`\nvitest-llm-d: ${sig}: stopping the tests, keeping what finished (${sig} again to exit at once)`);
        void vitest.cancelCurrentRun('keyboard-input');
      };
      process.on(sig, onSignal);
      this.handlers.push([sig, onSignal, previous]);
    }
    vitest.onClose(() => {
      for (const [sig, h, previous] of this.handlers) {
        process.off(sig, h);
        for (const l of previous) if (!process.rawListeners(sig).includes(l)) process.on(sig, l);
      }
      this.handlers.length = 0;
    });
  }

  onTestRunEnd(_modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const died = errors.find((e) => WORKER_DIED.test(`${e.name ?? ''} ${e.message ?? ''} ${(e.cause as SerializedError | undefined)?.message ?? ''}`));
    if (!interruption && died) {
      const why = (died.cause as SerializedError | undefined)?.message ?? died.message ?? '';
      interruption = { kind: 'interrupted', reason: `a test worker died (${why.split('\n')[0]!.replace(/\.$/, '')})` };
    }
    if (!interruption && reason === 'interrupted') interruption = { kind: 'interrupted', reason: 'run cancelled' };
    if (interruption && process.exitCode === undefined) process.exitCode = 1;
  }
}
