/**
 * Editing `pod.status` the way the kubelet's status manager writes it: conditions whose
 * `lastTransitionTime` changes only when their status does, container statuses in spec order,
 * and the pod phase derived from the containers.
 */
import type { KObject } from '../store-types.ts';
import type { ContainerSpec } from './pod-spec.ts';

/** One pod condition. */
export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime: null;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

/** One container status, as the API serialises it. */
export interface ContainerStatus {
  name: string;
  state: Record<string, Record<string, unknown>>;
  lastState: Record<string, Record<string, unknown>>;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
}

/** `pod.status`, created when missing. */
export function podStatus(pod: KObject): Record<string, unknown> {
  if (!pod.status || typeof pod.status !== 'object') pod.status = {};
  return pod.status as Record<string, unknown>;
}

/**
 * Sets a condition; `lastTransitionTime` is `now` only when the status changes (or the condition
 * is new). Returns whether the status changed.
 */
export function setCondition(pod: KObject, type: string, status: PodCondition['status'], now: string, reason?: string, message?: string): boolean {
  const s = podStatus(pod);
  const list = (Array.isArray(s.conditions) ? s.conditions : []) as PodCondition[];
  s.conditions = list;
  const existing = list.find((c) => c.type === type);
  const next: PodCondition = { type, status, lastProbeTime: null, lastTransitionTime: existing && existing.status === status ? existing.lastTransitionTime : now };
  if (reason) next.reason = reason;
  if (message) next.message = message;
  if (existing) list[list.indexOf(existing)] = next;
  else list.push(next);
  return !existing || existing.status !== status;
}

/** The status of a condition, or undefined. */
export function conditionStatus(pod: KObject, type: string): string | undefined {
  const list = (podStatus(pod).conditions ?? []) as PodCondition[];
  return list.find((c) => c.type === type)?.status;
}

/** A fresh status for a container that is being created. */
export function waitingStatus(c: ContainerSpec, reason = 'ContainerCreating'): ContainerStatus {
  return { name: c.name, state: { waiting: { reason } }, lastState: {}, ready: false, restartCount: 0, image: c.image ?? '', imageID: '', started: false };
}

/** The container statuses of a pod (created from the spec when missing), in spec order. */
export function containerStatuses(pod: KObject, containers: readonly ContainerSpec[]): ContainerStatus[] {
  const s = podStatus(pod);
  const existing = (Array.isArray(s.containerStatuses) ? s.containerStatuses : []) as ContainerStatus[];
  const list = containers.map((c) => existing.find((e) => e.name === c.name) ?? waitingStatus(c));
  s.containerStatuses = list;
  return list;
}

/** The digest-like image ID the runtime reports for an image (deterministic, not a real digest). */
export function imageId(image: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < image.length; i++) h = Math.imul(h ^ image.charCodeAt(i), 0x01000193) >>> 0;
  const hex = h.toString(16).padStart(8, '0').repeat(8);
  return `${image.split(':')[0]}@sha256:${hex}`;
}

/**
 * Recomputes `Ready` and `ContainersReady` from the container statuses (both True when every
 * container is ready, as without readiness gates), with the kubelet's reasons.
 */
export function updateReadiness(pod: KObject, now: string): void {
  const statuses = (podStatus(pod).containerStatuses ?? []) as ContainerStatus[];
  const notReady = statuses.filter((c) => !c.ready).map((c) => c.name);
  if (notReady.length === 0 && statuses.length > 0) {
    setCondition(pod, 'ContainersReady', 'True', now);
    setCondition(pod, 'Ready', 'True', now);
  } else {
    const message = `containers with unready status: [${notReady.join(' ')}]`;
    setCondition(pod, 'ContainersReady', 'False', now, 'ContainersNotReady', message);
    setCondition(pod, 'Ready', 'False', now, 'ContainersNotReady', message);
  }
}

/** The phase the kubelet derives: Running once any container runs; terminal when all ended. */
export function derivePhase(pod: KObject): string {
  const statuses = (podStatus(pod).containerStatuses ?? []) as ContainerStatus[];
  if (statuses.some((c) => c.state.running)) return 'Running';
  if (statuses.length > 0 && statuses.every((c) => c.state.terminated)) {
    return statuses.every((c) => c.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  return 'Pending';
}
