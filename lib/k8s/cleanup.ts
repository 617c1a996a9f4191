/**
 * Cleanup of everything a run created in a cluster, selected by the run label
 * (`vitest-llm-d/run=<run id>`) and nothing else: workloads first (their pods go by garbage
 * collection), then the remaining labelled objects, then a wait until none is left. It runs on
 * success, failure and timeout (fixture teardown) and on Ctrl-C / SIGTERM (a signal hook), and
 * the leftover check is what the tests assert on.
 */
import type { ClusterConnection } from './connect.ts';
import { deleteObject, KINDS, listObjects } from './objects.ts';
import { RUN_LABEL } from './template.ts';

/** The label selector of one run's objects. */
export function runSelector(runId: string): string {
  return `${RUN_LABEL}=${runId}`;
}

/** `Kind/name` of every object of the run still present (terminating ones included), among `kinds` (default: every kind a run may create). */
export async function leftovers(c: ClusterConnection, runId: string, kinds: readonly string[] = Object.keys(KINDS)): Promise<string[]> {
  const found: string[] = [];
  for (const kind of kinds) {
    for (const m of await listObjects(c, kind, runSelector(runId))) found.push(`${kind}/${m.metadata.name}`);
  }
  return found;
}

/** What a cleanup did. */
export interface CleanupResult {
  deleted: string[];
  /** Objects still present when the wait ended (should be empty). */
  leftovers: string[];
  errors: string[];
}

/**
 * Deletes the run's objects (kinds in {@link KINDS} order: owners first) and waits up to
 * `waitMs` (real time) until none is left. Never throws: errors are collected so one failing
 * delete does not leave the rest behind. `kinds` limits the kinds looked at (a standalone stack
 * needs no RBAC on the FMA kinds); it is put in {@link KINDS} order.
 */
export async function deleteRun(c: ClusterConnection, runId: string, waitMs = 30_000, kinds: readonly string[] = Object.keys(KINDS)): Promise<CleanupResult> {
  const deleted: string[] = [];
  const errors: string[] = [];
  const ordered = Object.keys(KINDS).filter((k) => kinds.includes(k));
  for (const kind of ordered) {
    let objects;
    try {
      objects = await listObjects(c, kind, runSelector(runId));
    } catch (err) {
      errors.push((err as Error).message);
      continue;
    }
    await Promise.all(
      objects.map(async (m) => {
        if (!m.metadata.name || m.metadata.deletionTimestamp) return;
        try {
          await deleteObject(c, kind, m.metadata.name);
          deleted.push(`${kind}/${m.metadata.name}`);
        } catch (err) {
          errors.push((err as Error).message);
        }
      }),
    );
  }
  const deadline = performance.now() + waitMs;
  let left: string[] = [];
  for (;;) {
    try {
      left = await leftovers(c, runId, ordered);
    } catch (err) {
      errors.push((err as Error).message);
      break;
    }
    if (left.length === 0 || performance.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { deleted, leftovers: left, errors };
}

type Pending = () => Promise<unknown>;
const pending = new Set<Pending>();
let cleaning = false;

/** Whether a signal's cleanup is deleting objects now (this process exits when it is done). */
export function cleaningUpOnSignal(): boolean {
  return cleaning;
}

function onSignal(signal: NodeJS.Signals): void {
  const jobs = [...pending];
  pending.clear();
  unhook();
  cleaning = true;
  process.stderr.write(`vitest-llm-d: ${signal}: deleting what this run created in the cluster\n`);
  const hardStop = setTimeout(() => process.exit(130), 15_000);
  hardStop.unref();
  // Exit once what the cleanups wrote to stderr (a pipe: written asynchronously) has been flushed.
  const exit = (): void => void process.stderr.write('', () => process.exit(signal === 'SIGINT' ? 130 : 143));
  void Promise.allSettled(jobs.map((job) => job())).then(exit);
}

function hook(): void {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function unhook(): void {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/**
 * Registers a cleanup to run if the process gets SIGINT or SIGTERM before `release()` is called
 * (the session calls it after its own cleanup). The handler is installed only while something is
 * registered, so a process with nothing to clean up keeps the default signal behaviour. It runs
 * every registered cleanup, then exits 130 (SIGINT) or 143 (SIGTERM), at the latest 15 s later.
 */
export function cleanupOnSignal(job: Pending): { release(): void } {
  if (pending.size === 0) hook();
  pending.add(job);
  return {
    release: () => {
      if (pending.delete(job) && pending.size === 0) unhook();
    },
  };
}
