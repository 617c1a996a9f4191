/**
 * What the launcher makes of a Job pod's status, pure: its completion index, a short view
 * (phase, node, reason), the one status line printed when that view changes, whether the pod
 * cannot start because of its image or its config (the launch stops early), and its terminal
 * outcome for `pods/<index>/launch.json`.
 */
import type { PodObject } from '../../k8s/pod-watch.ts';
import { COMPLETION_INDEX_LABEL } from './manifests.ts';
import { CONTAINER } from './names.ts';

/** Waiting reasons of a container that will not start by waiting longer: the launch stops on the first. */
export const START_FAILURES = ['ErrImagePull', 'ImagePullBackOff', 'CreateContainerConfigError', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerError'] as const;

/** A Job pod's status with the fields the launcher reads (the pod-watch type plus status reason/message). */
export type JobPod = PodObject & { status?: PodObject['status'] & { reason?: string; message?: string } };

/** What the launcher tracks of one pod. */
export interface PodView {
  index: number | null;
  name: string;
  phase: string;
  node: string | null;
  /** The container's waiting reason, the pod's failure reason (Evicted, DeadlineExceeded), or the container's terminated reason. */
  reason: string | null;
  message: string | null;
  exitCode: number | null;
  /** Set when the container cannot start (see {@link START_FAILURES}). */
  startFailure: { reason: string; message: string; image: string } | null;
  terminal: boolean;
  deleting: boolean;
}

/** The pod's completion index from its label or annotation (null for a pod that is not an Indexed Job's). */
export function completionIndex(pod: PodObject): number | null {
  const raw = pod.metadata.labels?.[COMPLETION_INDEX_LABEL] ?? pod.metadata.annotations?.[COMPLETION_INDEX_LABEL];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : null;
}

/** The launcher's view of a pod. */
export function podView(pod: JobPod): PodView {
  const phase = pod.status?.phase ?? 'Pending';
  const cs = pod.status?.containerStatuses?.find((c) => c.name === CONTAINER) ?? pod.status?.containerStatuses?.[0];
  const waiting = cs?.state?.waiting;
  const terminated = cs?.state?.terminated as { reason?: string; exitCode?: number; message?: string } | undefined;
  const image = (cs as { image?: string } | undefined)?.image ?? (pod.spec?.containers?.find((c) => c.name === CONTAINER) as { image?: string } | undefined)?.image ?? '';
  const startFailure = waiting?.reason && (START_FAILURES as readonly string[]).includes(waiting.reason) ? { reason: waiting.reason, message: waiting.message ?? '', image } : null;
  let reason: string | null = null;
  let message: string | null = null;
  if (pod.status?.reason) {
    reason = pod.status.reason;
    message = pod.status.message ?? null;
  } else if (waiting?.reason) {
    reason = waiting.reason;
    message = waiting.message ?? null;
  } else if (terminated && phase === 'Failed') {
    reason = terminated.reason ?? null;
    message = terminated.message ?? null;
  } else if (phase === 'Pending') {
    const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (unscheduled) {
      reason = unscheduled.reason ?? 'Unschedulable';
      message = unscheduled.message ?? null;
    }
  }
  return {
    index: completionIndex(pod),
    name: pod.metadata.name,
    phase,
    node: pod.spec?.nodeName ?? null,
    reason,
    message,
    exitCode: typeof terminated?.exitCode === 'number' ? terminated.exitCode : null,
    startFailure,
    terminal: phase === 'Succeeded' || phase === 'Failed',
    deleting: pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null,
  };
}

/** What identifies a change worth a line. */
function key(v: PodView): string {
  return `${v.phase}|${v.node ?? ''}|${v.reason ?? ''}|${v.exitCode ?? ''}`;
}

/** The status line of `next` when it differs from `prev` in what a user reads (phase, node, reason, exit code), else null. */
export function statusLine(prev: PodView | undefined, next: PodView): string | null {
  if (prev && key(prev) === key(next)) return null;
  const who = `pod ${next.index ?? '?'} (${next.name})`;
  const why = next.reason ? `: ${next.reason}${next.message ? ` (${oneLine(next.message)})` : ''}` : '';
  switch (next.phase) {
    case 'Running':
      return `${who}: Running on node ${next.node ?? '?'}`;
    case 'Succeeded':
      return `${who}: Succeeded${next.node ? ` on node ${next.node}` : ''}`;
    case 'Failed':
      return `${who}: Failed${why || (next.exitCode !== null ? `: exit code ${next.exitCode}` : '')}${why && next.exitCode !== null ? `, exit code ${next.exitCode}` : ''}`;
    default:
      return `${who}: ${next.phase}${next.node ? ` on node ${next.node}` : ''}${why}`;
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

/** The error of a pod that cannot start: names the image and the kubelet's message. */
export function startFailureMessage(v: PodView): string {
  const f = v.startFailure!;
  const hint = f.reason === 'CreateContainerConfigError' || f.reason === 'CreateContainerError'
    ? 'the pod spec refers to something missing (a ConfigMap, Secret or key)'
    : 'build and push the harness image (README: "Running inside the cluster") or pass --image';
  return `pod ${v.index ?? '?'} (${v.name}) cannot start image ${f.image || '?'}: ${f.reason}${f.message ? `: ${oneLine(f.message)}` : ''} (${hint})`;
}
