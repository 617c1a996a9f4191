/**
 * Follows every requester pod of one workload and the provider it gets bound to, from pod watch
 * events only (no polling), and records per requester the moments of protocol section 10.1, each
 * with its timing source:
 * - `client`: the client's monotonic clock at the watch event's arrival (ms resolution, includes
 *   watch delivery delay, no clock offset to the server);
 * - `kube`: a timestamp the API server wrote (`creationTimestamp`, condition
 *   `lastTransitionTime`, container `startedAt`): whole seconds on real clusters.
 * All values are cluster time in ms since 1970 (see `cluster-time.ts`).
 */
import type { ClusterConnection } from './connect.ts';
import { kubeTimeMs } from './cluster-time.ts';
import {
  ACCELERATORS_ANNOTATION,
  boundRequester,
  DUAL_LABEL,
  INFERENCE_SERVER_CONTAINER,
  INSTANCE_LABEL,
  key,
  LAUNCHER_COMPONENT_LABEL,
  legacyProviderName,
  requestStyle,
  SLEEPING_LABEL,
} from './dual-pods.ts';
import type { PodEvent, PodObject } from './pod-watch.ts';

/** A moment seen two ways: when the watch delivered it, and what the API server wrote. */
export interface Moment {
  /** Client clock at watch arrival (cluster ms). */
  client?: number;
  /** API server timestamp (cluster ms). */
  kube?: number;
}

/** What is known about a provider pod (direct provider or launcher). */
export interface ProviderInfo {
  name: string;
  uid: string;
  launcher: boolean;
  /** creationTimestamp (kube). */
  created?: number;
  /** First time the tracker saw it (client). */
  firstSeen: number;
  /** Requester names it was bound to, in order, from its `requester` annotation. */
  boundTo: string[];
  /** Instance ids seen on it (launcher `instance-id` annotation) and when each was first seen (client). */
  instances: Array<{ id: string; at: number }>;
  /** Client time it was last seen labelled `sleeping=true`. */
  lastSleeping?: number;
  node?: string;
}

/** Everything recorded about one requester. */
export interface RequesterTimeline {
  name: string;
  uid: string;
  style: 'direct' | 'launcher';
  convention: 'current' | 'legacy';
  firstSeen: number;
  created?: number;
  scheduled: Moment;
  containerStarted: Moment;
  /** The `dual` label first seen (client) and the provider it named. */
  bound: Moment & { provider?: string };
  ready: Moment;
  deleted?: number;
  node?: string;
  accelerators?: string;
  instance?: string;
  /** Was it already Ready or bound when its step began (then it is not timed). */
  preexisting: boolean;
  /** Last known pod phase, conditions and container waiting reason, for diagnostics. */
  phase?: string;
  waiting?: string;
}

function condition(p: PodObject, type: string): { status: string; at?: number } | undefined {
  const c = p.status?.conditions?.find((x) => x.type === type);
  return c ? { status: c.status, at: kubeTimeMs(c.lastTransitionTime) } : undefined;
}

function inferenceContainer(p: PodObject) {
  const list = p.status?.containerStatuses ?? [];
  return list.find((c) => c.name === INFERENCE_SERVER_CONTAINER) ?? (list.length === 1 ? list[0] : undefined);
}

/**
 * Tracks the requesters whose labels match `selector` (the workload's matchLabels) and the pods
 * they are bound to. Feed it every pod event of the namespace with {@link DuoTracker.onEvent}.
 */
export class DuoTracker {
  readonly requesters = new Map<string, RequesterTimeline>();
  readonly providers = new Map<string, ProviderInfo>();
  private readonly selector: Record<string, string>;
  private readonly toCluster: (hr: bigint) => number;
  private readonly listeners = new Set<() => void>();

  constructor(conn: Pick<ClusterConnection, 'time'>, selector: Record<string, string>) {
    this.selector = selector;
    this.toCluster = (hr) => conn.time.fromHrtime(hr);
  }

  /** Marks the start of a scaling step: requesters already Ready or bound now are not timed in it. */
  beginStep(): void {
    for (const r of this.requesters.values()) {
      if (!r.deleted && (r.ready.client !== undefined || r.bound.client !== undefined)) r.preexisting = true;
    }
  }

  /** Calls `fn` after every event (for waits). Returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private isRequester(p: PodObject): boolean {
    const labels = p.metadata.labels ?? {};
    for (const [k, v] of Object.entries(this.selector)) if (labels[k] !== v) return false;
    return requestStyle(p.metadata.annotations) !== null;
  }

  onEvent(e: PodEvent): void {
    const at = this.toCluster(e.arrivalHr);
    const p = e.pod;
    if (this.isRequester(p)) this.onRequester(e, at);
    else this.onOther(e, at);
    for (const fn of this.listeners) fn();
  }

  private onRequester(e: PodEvent, at: number): void {
    const p = e.pod;
    let r = this.requesters.get(p.metadata.uid);
    if (!r) {
      const style = requestStyle(p.metadata.annotations)!;
      r = {
        name: p.metadata.name,
        uid: p.metadata.uid,
        style: style.style,
        convention: style.convention,
        firstSeen: at,
        scheduled: {},
        containerStarted: {},
        bound: {},
        ready: {},
        preexisting: e.fromList && condition(p, 'Ready')?.status === 'True',
      };
      this.requesters.set(p.metadata.uid, r);
    }
    r.created ??= kubeTimeMs(p.metadata.creationTimestamp);
    r.node = p.spec?.nodeName ?? r.node;
    r.phase = p.status?.phase;
    const sched = condition(p, 'PodScheduled');
    if (sched?.status === 'True' && r.scheduled.client === undefined) r.scheduled = { client: at, kube: sched.at };
    const c = inferenceContainer(p);
    r.waiting = c?.state?.waiting?.reason;
    const started = kubeTimeMs(c?.state?.running?.startedAt);
    if (started !== undefined && r.containerStarted.client === undefined) r.containerStarted = { client: at, kube: started };
    const labels = p.metadata.labels ?? {};
    const dual = labels[key(r.convention, 'dual')] ?? labels[DUAL_LABEL];
    if (dual && r.bound.client === undefined) r.bound = { client: at, provider: dual };
    r.instance = labels[INSTANCE_LABEL] ?? r.instance;
    r.accelerators = p.metadata.annotations?.[ACCELERATORS_ANNOTATION] ?? r.accelerators;
    const ready = condition(p, 'Ready');
    if (ready?.status === 'True' && r.ready.client === undefined) r.ready = { client: at, kube: ready.at };
    if (e.type === 'DELETED' || p.metadata.deletionTimestamp) r.deleted ??= at;
  }

  private onOther(e: PodEvent, at: number): void {
    const p = e.pod;
    const labels = p.metadata.labels ?? {};
    const launcher = labels[LAUNCHER_COMPONENT_LABEL] === 'launcher';
    const bound = boundRequester(p.metadata.annotations) ?? boundRequester(p.metadata.annotations, 'legacy');
    const isProvider = launcher || bound !== null || labels[SLEEPING_LABEL] !== undefined || p.metadata.name.endsWith('-server');
    if (!isProvider) return;
    let info = this.providers.get(p.metadata.name);
    if (!info || info.uid !== p.metadata.uid) {
      info = { name: p.metadata.name, uid: p.metadata.uid, launcher, firstSeen: at, boundTo: [], instances: [] };
      this.providers.set(p.metadata.name, info);
    }
    info.created ??= kubeTimeMs(p.metadata.creationTimestamp);
    info.node = p.spec?.nodeName ?? info.node;
    if (bound?.name && info.boundTo.at(-1) !== bound.name) info.boundTo.push(bound.name);
    const instance = p.metadata.annotations?.['dual-pods.llm-d.ai/instance-id'];
    if (instance && !info.instances.some((i) => i.id === instance)) info.instances.push({ id: instance, at });
    if (labels[SLEEPING_LABEL] === 'true') info.lastSleeping = at;
  }

  /** The provider pod a requester is bound to (its `dual` label, else the older `<name>-server`). */
  providerOf(r: RequesterTimeline): ProviderInfo | undefined {
    if (r.bound.provider) return this.providers.get(r.bound.provider);
    if (r.convention === 'legacy') return this.providers.get(legacyProviderName(r.name));
    return undefined;
  }

  /** Requesters of the current step: not preexisting, not deleted. */
  stepRequesters(): RequesterTimeline[] {
    return [...this.requesters.values()].filter((r) => !r.preexisting && r.deleted === undefined);
  }
}
