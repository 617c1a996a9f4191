import type { KObject } from '../store-types.ts';

/**
 * Reading a pod's state the way the controllers do. Readiness is the `Ready` condition the
 * kubelet writes; nothing here derives it from containers.
 */

interface Condition {
  type?: string;
  status?: string;
  lastTransitionTime?: string;
}

interface PodStatusView {
  phase?: string;
  podIP?: string;
  conditions?: Condition[];
  containerStatuses?: Array<{ restartCount?: number }>;
}

function status(pod: KObject): PodStatusView {
  return (pod.status ?? {}) as PodStatusView;
}

/** The pod's `Ready` condition, if any. */
export function readyCondition(pod: KObject): Condition | undefined {
  return status(pod).conditions?.find((c) => c.type === 'Ready');
}

/** Whether the `Ready` condition is `True`. */
export function isPodReady(pod: KObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Cluster ms since 1970 when the pod became Ready, undefined when not ready. */
export function readySinceMs(pod: KObject): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return undefined;
  const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** Whether the pod has been Ready for `minReadySeconds` at cluster time `nowMs`. */
export function isPodAvailable(pod: KObject, minReadySeconds: number, nowMs: number): boolean {
  const since = readySinceMs(pod);
  if (since === undefined) return false;
  return minReadySeconds <= 0 || since + minReadySeconds * 1000 <= nowMs;
}

/** Pod phase (`Pending` when unset). */
export function podPhase(pod: KObject): string {
  return status(pod).phase ?? 'Pending';
}

/** Active: not being deleted and not finished (`Succeeded`/`Failed`): what a ReplicaSet counts. */
export function isPodActive(pod: KObject): boolean {
  const phase = podPhase(pod);
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** The pod's IP, if assigned. */
export function podIP(pod: KObject): string | undefined {
  return status(pod).podIP || undefined;
}

/** The node the pod is bound to, if any. */
export function podNodeName(pod: KObject): string | undefined {
  return ((pod.spec ?? {}) as { nodeName?: string }).nodeName || undefined;
}

/** Sum of the containers' restart counts. */
export function podRestarts(pod: KObject): number {
  return (status(pod).containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}
