/**
 * The state a Vitest worker process shares across all its tests: the stop signal that SIGINT or
 * SIGTERM raises while a test measures, and the open `requests.jsonl` files. Both are
 * process-wide by nature: a signal is delivered to the process, not to a test, and every test of
 * a suite appends to its run folder's one `requests.jsonl`, which must stay open across tests
 * and be closed once as the process exits. This module is their one owner; importing it installs
 * the signal handlers and the exit hook.
 */
import { join } from 'node:path';
import { cleaningUpOnSignal } from '../k8s/cleanup.ts';
import type { Interruption } from '../report/model.ts';
import { RequestsFile } from '../run-folder/requests-file.ts';

/**
 * Aborted when this worker gets SIGINT or SIGTERM while a test measures (a terminal's Ctrl-C
 * reaches every process of the group; a SIGTERM may be sent to the worker alone): the test stops,
 * its report is built from the requests that finished and marked interrupted, and later tests of
 * this worker do not start measuring. A second signal, or a SIGTERM while nothing measures (how
 * Vitest ends its workers), ends the worker as usual (its exit handlers close requests.jsonl).
 */
const workerStop = new AbortController();
/** Runs measuring in this worker. */
let measuring = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  const onSignal = (): void => {
    if (measuring > 0 && !workerStop.signal.aborted) workerStop.abort(new WorkerSignal(sig));
    // A cluster cleanup hook (lib/k8s/cleanup.ts) ends the process itself when it is done.
    else if (cleaningUpOnSignal() || process.listeners(sig).some((l) => l !== onSignal)) return;
    // SIGINT with nothing measuring: the main process got it too and ends the run in order.
    else if (sig === 'SIGTERM' || workerStop.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on(sig, onSignal);
}

/** The reason of the worker's stop signal. */
class WorkerSignal extends Error {
  constructor(readonly signalName: string) {
    super(`${signalName} received`);
  }
}

/** This worker's stop signal (see above). */
export const workerStopSignal: AbortSignal = workerStop.signal;

/**
 * Runs `measure` as a measuring run of this worker (a signal then stops it rather than the
 * worker). @throws Error when the worker was already interrupted: nothing more is measured.
 */
export function measuringRun<T>(measure: () => Promise<T>): Promise<T> {
  if (workerStop.signal.aborted) throw new Error(`not run: this worker was interrupted (${(workerStop.signal.reason as Error).message})`);
  measuring++;
  return measure().finally(() => measuring--);
}

/**
 * How a test was ended from outside, from the reason of the signal that stopped it: Vitest's test
 * timeout, Vitest cancelling the run (Ctrl-C or SIGTERM to the main process), or a signal to
 * this worker.
 */
export function interruptionOf(reason: unknown): Interruption {
  const message = reason instanceof Error ? reason.message : String(reason);
  if (/timed out/i.test(message)) return { kind: 'timed out', reason: firstLine(message) };
  if (reason instanceof WorkerSignal) return { kind: 'interrupted', reason: message };
  return { kind: 'interrupted', reason: `run cancelled: ${firstLine(message)}` };
}

/** The first line of a message, without its closing full stop (it goes inside a sentence). */
function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/\.$/, '');
}

/** Open `requests.jsonl` files of this worker, one per run folder. */
const files = new Map<string, RequestsFile>();
process.once('exit', () => {
  for (const f of files.values()) f.close();
});

/** The `requests.jsonl` of run folder `dir`, opened once per worker. */
export function requestsFile(dir: string): RequestsFile {
  const path = join(dir, 'requests.jsonl');
  let f = files.get(path);
  if (!f) files.set(path, (f = new RequestsFile(path)));
  return f;
}
