/**
 * One requester's actuation, as reported: its path (with the signals behind it), and every
 * interval of protocol section 10 in seconds of cluster time, each tagged with where its two
 * ends came from.
 */
import { classify, type ActuationPath, type Classification } from '../k8s/classify.ts';
import type { DpcFacts } from '../k8s/dpc-log.ts';
import type { ProviderInfo, RequesterTimeline } from '../k8s/duo-tracker.ts';

/**
 * Where an interval's ends came from: `client` (the client's monotonic clock: T0 and watch
 * arrivals), `kube` (API server timestamps, whole seconds on real clusters), `dpc_log` (the
 * controller's µs log fields). A mixed source (`kube-client`) includes the offset between the
 * two machines' clocks.
 */
export type TimingSource = 'client' | 'kube' | 'dpc_log' | 'kube-client' | 'kube-dpc_log' | 'dpc_log-client';

export interface Interval {
  seconds: number;
  source: TimingSource;
}

/** The intervals measured per requester (absent when an end is unknown). */
export interface ActuationTimings {
  /** T_total: scale request sent -> requester Ready seen (what a user waits). */
  total?: Interval;
  /** T_actuation: container startedAt -> Ready lastTransitionTime (the FMA benchmark's definition, comparable to fma_actuation_seconds). */
  actuation?: Interval;
  /** T_actuation_dpc: container startedAt -> readiness relayed by the controller (excludes the requester's probe lag). */
  actuationDpc?: Interval;
  /** Requester probe lag: relay -> Ready seen. */
  probeLag?: Interval;
  /** creationTimestamp -> PodScheduled. */
  scheduling?: Interval;
  /** creationTimestamp -> container startedAt. */
  containerStart?: Interval;
  /** Scale request -> `dual` label seen (bound to a provider). */
  bind?: Interval;
  /** The controller's wake call (hot path). */
  wake?: Interval;
  /** Ready seen -> first token of one streamed request through the provider. */
  firstTokenAfterReady?: Interval;
  /** Scale request -> that first token. */
  scaleToFirstToken?: Interval;
  /** TTFT of that request alone: written to the socket -> first token (so the client's own delay before sending is visible). */
  firstTokenTtft?: Interval;
}

/**
 * The raw moments of protocol 10.1 for one requester, as ISO timestamps of cluster time, each
 * with its source: `client` (this tool's monotonic clock at the watch event) and `kube` (what
 * the API server wrote, whole seconds on real clusters). Intervals are derived from these.
 */
export interface RequesterMoments {
  /** When the step's scale request was sent (client). */
  scaleRequest: string;
  /** The pod's `creationTimestamp` (kube). */
  created?: string;
  scheduled: { client?: string; kube?: string };
  containerStarted: { client?: string; kube?: string };
  /** The `dual` label first seen (client). */
  dualLabel?: string;
  ready: { client?: string; kube?: string };
}

export interface RequesterRecord {
  requester: string;
  provider?: string;
  node?: string;
  accelerators?: string;
  style: 'direct' | 'launcher';
  path: ActuationPath | 'unknown';
  classification: Classification;
  ready: boolean;
  timings: ActuationTimings;
  moments?: RequesterMoments;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined || Number.isNaN(ms) ? undefined : new Date(ms).toISOString());

function iv(a: number | undefined, b: number | undefined, source: TimingSource): Interval | undefined {
  if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b)) return undefined;
  return { seconds: (b - a) / 1000, source };
}

/** Builds the record of one requester of a step that began (scale request sent) at `t0` (cluster ms). */
export function requesterRecord(r: RequesterTimeline, provider: ProviderInfo | undefined, facts: DpcFacts | undefined, t0: number): RequesterRecord {
  const c = classify(r, provider, facts);
  const started = r.containerStarted.kube;
  return {
    requester: r.name,
    provider: provider?.name ?? r.bound.provider,
    node: r.node,
    accelerators: r.accelerators,
    style: r.style,
    path: c.path,
    classification: c,
    ready: r.ready.client !== undefined,
    moments: {
      scaleRequest: iso(t0)!,
      created: iso(r.created),
      scheduled: { client: iso(r.scheduled.client), kube: iso(r.scheduled.kube) },
      containerStarted: { client: iso(r.containerStarted.client), kube: iso(r.containerStarted.kube) },
      dualLabel: iso(r.bound.client),
      ready: { client: iso(r.ready.client), kube: iso(r.ready.kube) },
    },
    timings: {
      total: iv(t0, r.ready.client, 'client'),
      actuation: iv(started, r.ready.kube, 'kube'),
      actuationDpc: iv(started, facts?.relayReady, 'kube-dpc_log'),
      probeLag: iv(facts?.relayReady, r.ready.client, 'dpc_log-client'),
      scheduling: iv(r.created, r.scheduled.kube, 'kube'),
      containerStart: iv(r.created, started, 'kube'),
      bind: iv(t0, r.bound.client, 'client'),
      wake: facts?.wake !== undefined && facts.wakeLatencyS !== undefined && Number.isFinite(facts.wakeLatencyS) ? { seconds: facts.wakeLatencyS, source: 'dpc_log' } : undefined,
    },
  };
}
