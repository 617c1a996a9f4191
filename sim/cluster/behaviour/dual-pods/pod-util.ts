/**
 * Reading Pods as the controller does (`utils.IsPodReady`, `getContainerStatus`,
 * `PodIsInTrouble`, the requester annotation), over the plain JSON objects of the store.
 */
import type { KObject } from '../../store-types.ts';
import { INFERENCE_SERVER_CONTAINER, type DualPodsKeys } from './keys.ts';

/** A container status as the kubelet writes it. */
export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: { running?: { startedAt?: string }; waiting?: unknown; terminated?: unknown };
}

interface PodStatus {
  phase?: string;
  podIP?: string;
  conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }>;
  containerStatuses?: ContainerStatus[];
}

function status(pod: KObject): PodStatus {
  return (pod.status ?? {}) as PodStatus;
}

/** `spec.nodeName`, or '' when unscheduled. */
export function nodeNameOf(pod: KObject): string {
  return String((pod.spec as { nodeName?: string } | undefined)?.nodeName ?? '');
}

/** `status.podIP`, or ''. */
export function podIPOf(pod: KObject): string {
  return status(pod).podIP ?? '';
}

/** `status.phase`. */
export function phaseOf(pod: KObject): string {
  return status(pod).phase ?? '';
}

/** Condition `type` with status True, and its transition time. */
export function condition(pod: KObject, type: string): { true: boolean; lastTransitionTime?: string } {
  const c = status(pod).conditions?.find((x) => x.type === type);
  return { true: c?.status === 'True', lastTransitionTime: c?.lastTransitionTime };
}

/** `utils.IsPodReady`: condition Ready=True. */
export function isPodReady(pod: KObject): boolean {
  return condition(pod, 'Ready').true;
}

/** The status of the named container (default `inference-server`). */
export function containerStatus(pod: KObject, name = INFERENCE_SERVER_CONTAINER): ContainerStatus | undefined {
  return status(pod).containerStatuses?.find((c) => c.name === name);
}

/** `PodIsInTrouble`: some container restarted and the Pod is not Ready (section 9.3 G.5). */
export function isInTrouble(pod: KObject): boolean {
  const restarts = (status(pod).containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
  return restarts > 0 && !isPodReady(pod);
}

/** Whether the Pod is being deleted. */
export function isDeleting(pod: KObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
}

/** The binding a provider records: `"<uid> <name>"` in the `requester` annotation (section 2.4). */
export function boundRequester(pod: KObject, keys: DualPodsKeys): { uid: string; name: string } | undefined {
  const v = pod.metadata.annotations?.[keys.requester];
  if (!v) return undefined;
  const parts = v.split(' ');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { uid: parts[0], name: parts[1] };
}

/** Whether a Pod asks for a server: it carries `server-patch` or `inference-server-config` (`careAbout`). */
export function isRequester(pod: KObject, keys: DualPodsKeys): boolean {
  const a = pod.metadata.annotations ?? {};
  return (a[keys.serverPatch] ?? '').length > 0 || keys.inferenceServerConfig in a;
}

/** Cluster ms of an RFC 3339 timestamp, or undefined. */
export function timeMs(ts: string | undefined | null): number | undefined {
  if (!ts) return undefined;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? undefined : ms;
}
