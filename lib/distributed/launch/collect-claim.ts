/**
 * Reading a run's results back from `--results-pvc`: once the Job's pods are done, the pod
 * `N-collect` (`claimReaderPod`) mounts the claim read-only and writes `/results/R` to its log as
 * frames (`vitest-llm-d pod-export`); its log is followed like a Job pod's (`PodLogCollector`)
 * and decoded into the local run folder, so `pods/<index>/...` arrive where the log path puts
 * them. The launcher's machine needs no access to the volume, only to the pod's log.
 *
 * Whatever goes wrong (the image cannot start, the pod fails, a file arrives damaged, the wait
 * passes) is one line naming the claim and the folder on it, where the results stay: nothing on
 * the claim is ever changed or deleted.
 */
import { join } from 'node:path';
import type { ClusterConnection } from '../../k8s/connect.ts';
import { createObject } from '../../k8s/objects.ts';
import { PodWatch } from '../../k8s/pod-watch.ts';
import { RUN_LABEL } from '../../k8s/template.ts';
import { PodLogCollector } from './collect.ts';
import { ROLE_LABEL, claimReaderPod } from './manifests.ts';
import type { LaunchNames } from './names.ts';
import { podView, startFailureMessage, type JobPod, type PodView } from './pod-status.ts';

/** The reader's log lines (other than frames) in the local run folder. */
export const COLLECT_LOG = 'collect.log';

export interface ClaimReadOptions {
  conn: ClusterConnection;
  names: LaunchNames;
  image: string;
  claim: string;
  /** `<results>/R`: the claim's `R/` is rebuilt here. */
  runDir: string;
  secrets: readonly string[];
  /** Longest wait for the reader to finish, ms (real time). */
  timeoutMs: number;
  /** The reader's `activeDeadlineSeconds`, in the cluster's seconds. */
  activeDeadlineSeconds: number;
  /** The `vitest-llm-d` script in the image (`harnessScript`); default `bin/vitest-llm-d.js`. */
  script?: string;
  /** Longest wait for a finished reader's log stream to end, ms. Default 30000. */
  logGraceMs?: number;
  /** Resolving it stops the wait (Ctrl-C). */
  stop?: Promise<void>;
}

/** What came back from the claim. */
export interface ClaimReadResult {
  /** Files rebuilt and verified. */
  files: number;
  /** Why not everything came back (null: every file did). */
  problem: string | null;
}

/** Runs the reader pod and decodes its log into `runDir` (see the module comment). */
export async function readClaim(o: ClaimReadOptions): Promise<ClaimReadResult> {
  const where = `PersistentVolumeClaim ${o.claim} (folder ${o.names.run}/ on it)`;
  const collector = new PodLogCollector(o.conn, o.names.collector, o.runDir, o.secrets, COLLECT_LOG);
  let last: PodView | null = null;
  let finish!: (why: string | null) => void;
  const ended = new Promise<string | null>((resolve) => (finish = resolve));
  let following = false;
  const watch = new PodWatch(o.conn, {
    labelSelector: `${RUN_LABEL}=${o.names.run},${ROLE_LABEL}=collect`,
    onEvent: (e) => {
      if (e.pod.metadata.name !== o.names.collector) return;
      if (e.type === 'DELETED') return finish(`pod ${o.names.collector} was deleted before it finished`);
      const v = podView(e.pod as JobPod);
      last = v;
      if (v.startFailure) return finish(startFailureMessage(v));
      if (!following && (v.phase === 'Running' || v.terminal)) {
        following = true;
        void collector.start(true);
      }
      if (v.terminal) finish(null);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await watch.start();
    await createObject(o.conn, claimReaderPod(o.names, { image: o.image, resultsPvc: o.claim, activeDeadlineSeconds: o.activeDeadlineSeconds, ...(o.script ? { script: o.script } : {}) }), RUN_LABEL);
    timer = setTimeout(() => finish(`pod ${o.names.collector} did not finish within ${Math.round(o.timeoutMs / 1000)} s`), o.timeoutMs);
    void o.stop?.then(() => finish('interrupted'));
    const why = await ended;
    if (why) return { files: collector.report?.files.length ?? 0, problem: `${why}; the results stay on ${where}` };
    // Terminal: the follow ends with the container; one that the server closed early is read again, whole.
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([collector.done(), new Promise((r) => (grace = setTimeout(r, o.logGraceMs ?? 30_000)))]);
    clearTimeout(grace);
    if (!collector.complete) await collector.start(false);
    const report = collector.report;
    const files = report?.files.length ?? 0;
    const v = last as PodView | null;
    if (v?.exitCode !== 0) {
      const said = v?.reason ? `${v.reason}${v.message ? `: ${v.message}` : ''}` : v?.phase ?? 'unknown';
      return { files, problem: `pod ${o.names.collector} ended with exit code ${v?.exitCode ?? '?'} (${said}; its log is ${join(o.runDir, COLLECT_LOG)}); the results stay on ${where}` };
    }
    if (!report?.complete) {
      const detail = report ? [...report.errors, ...report.incomplete.map((p) => `${p}: cut off`), ...(report.done ? [] : ['the log ended before the last frame'])].join('; ') : (collector.error ?? 'no log');
      return { files, problem: `not every file arrived intact (${detail}); the results stay on ${where}` };
    }
    return { files, problem: null };
  } catch (err) {
    return { files: collector.report?.files.length ?? 0, problem: `${(err as Error).message}; the results stay on ${where}` };
  } finally {
    clearTimeout(timer);
    watch.stop();
    await collector.stop();
  }
}
