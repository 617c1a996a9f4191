/**
 * Following a launch's Job with watches (never polling): the pods' watch prints one status line
 * per change, starts collecting each pod's log when it runs, stops the launch on a pod that cannot
 * start (image or config), and ends the wait when every index is done, the Job has failed (its
 * deadline), or the wait timeout has passed. A pod that fails or is evicted midway is a missing
 * share: the others go on.
 */
import { join } from 'node:path';
import { Watch } from '@kubernetes/client-node';
import type { ClusterConnection } from '../../k8s/connect.ts';
import { PodWatch } from '../../k8s/pod-watch.ts';
import { runSelector } from '../../k8s/cleanup.ts';
import { PodLogCollector } from './collect.ts';
import { podView, statusLine, type JobPod, type PodView } from './pod-status.ts';

/** How the wait ended. */
export type WaitEnd =
  | { kind: 'done' }
  | { kind: 'job-failed'; reason: string; message: string }
  | { kind: 'start-failure'; view: PodView }
  | { kind: 'timeout' }
  | { kind: 'stopped' };

/** What the follow saw. */
export interface FollowResult {
  end: WaitEnd;
  /** The last view of each index's latest pod. */
  byIndex: Map<number, PodView>;
  collectors: Map<string, PodLogCollector>;
}

export interface FollowOptions {
  conn: ClusterConnection;
  run: string;
  job: string;
  parallelism: number;
  /** `<results>/R`: pod folders go to `pods/<index>/`. */
  runDir: string;
  secrets: readonly string[];
  waitTimeoutMs: number;
  say(line: string): void;
  /** Resolving it stops the wait (Ctrl-C). */
  stop?: Promise<void>;
  /** Longest wait for a finished pod's log stream to end, ms. Default 30000. */
  logGraceMs?: number;
}

/** Follows the Job until it ends (see the module comment), then its pods' log streams. */
export async function followJob(o: FollowOptions): Promise<FollowResult> {
  const byIndex = new Map<number, PodView>();
  const views = new Map<string, PodView>();
  const collectors = new Map<string, PodLogCollector>();
  const reread = new Set<string>();
  let finish!: (end: WaitEnd) => void;
  const ended = new Promise<WaitEnd>((resolve) => (finish = resolve));
  let over = false;
  const end = (e: WaitEnd): void => {
    if (over) return;
    over = true;
    finish(e);
  };

  const collect = (v: PodView): void => {
    let c = collectors.get(v.name);
    if (!c) {
      c = new PodLogCollector(o.conn, v.name, join(o.runDir, 'pods', String(v.index)), o.secrets);
      collectors.set(v.name, c);
      const started = c;
      void c.start(true).then(() => {
        // A follow the server closed before the pod finished: read the whole log once it has.
        if (!views.get(v.name)?.terminal) reread.add(v.name);
        else if (!started.complete && !over) void started.start(false);
      });
    } else if (v.terminal && reread.delete(v.name)) void c.start(false);
  };

  const onPod = (type: string, pod: JobPod): void => {
    const v = podView(pod);
    if (v.index === null) return;
    const prev = views.get(v.name);
    if (type === 'DELETED') {
      if (!prev?.terminal && !over) o.say(`pod ${v.index} (${v.name}): deleted before it finished`);
      const gone = { ...(prev ?? v), deleting: true, reason: prev?.terminal ? prev.reason : (prev?.reason ?? 'Deleted') };
      views.set(v.name, gone);
      if (byIndex.get(v.index)?.name === v.name) byIndex.set(v.index, gone);
    } else {
      views.set(v.name, v);
      byIndex.set(v.index, v);
      const line = statusLine(prev, v);
      if (line && !over) o.say(line);
      if (v.startFailure) end({ kind: 'start-failure', view: v });
      if (v.phase === 'Running' || v.terminal) collect(v);
    }
    if (byIndex.size === o.parallelism && [...byIndex.values()].every((x) => x.terminal)) end({ kind: 'done' });
  };

  const pods = new PodWatch(o.conn, { labelSelector: runSelector(o.run), onEvent: (e) => onPod(e.type, e.pod as JobPod) });
  let jobWatch: AbortController | null = null;
  const timer = setTimeout(() => end({ kind: 'timeout' }), o.waitTimeoutMs);
  void o.stop?.then(() => end({ kind: 'stopped' }));
  try {
    await pods.start();
    jobWatch = await new Watch(o.conn.kc)
      .watch(
        `/apis/batch/v1/namespaces/${encodeURIComponent(o.conn.namespace)}/jobs`,
        { labelSelector: runSelector(o.run) },
        (_type, obj) => {
          const job = obj as { metadata?: { name?: string }; status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } };
          if (job.metadata?.name !== o.job) return;
          const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
          // FailedIndexes comes once every index is done: the pods' own lines have said it all.
          if (failed && failed.reason !== 'FailedIndexes') end({ kind: 'job-failed', reason: failed.reason ?? 'Failed', message: failed.message ?? '' });
          else if (job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')) {
            if ([...byIndex.values()].every((x) => x.terminal || x.deleting)) end({ kind: 'done' });
          }
        },
        () => {},
      )
      .catch(() => null);
    const result = await ended;
    return { end: result, byIndex, collectors };
  } finally {
    clearTimeout(timer);
    pods.stop();
    jobWatch?.abort();
    await settleLogs([...collectors.values()], views, o.logGraceMs ?? 30_000);
  }
}

/** Waits for the streams of finished pods (up to `graceMs`), then stops every stream still open. */
async function settleLogs(collectors: PodLogCollector[], views: Map<string, PodView>, graceMs: number): Promise<void> {
  const finished = collectors.filter((c) => views.get(c.pod)?.terminal);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(finished.map((c) => c.done())), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  await Promise.all(collectors.map((c) => c.stop()));
}
