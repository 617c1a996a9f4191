/**
 * One requester's actuation, as reported: its path (with the signals behind it), and every
 * interval of protocol section 10 in seconds of cluster time, each tagged with where its two
 * ends came from.
 */
import { classify, type ActuationPath, type Classification } from '../k8s/classify.ts';
import type { DpcFacts } from '../k8s/dpc-log.ts';
import type { ProviderInfo, RequesterTimeline } from '../k8s/duo-tracker.ts';
import type { ActuationTimings, Interval, RequesterMoments, RequesterRecord, TimingSource } from '../report/actuation.ts';

export type { ActuationTimings, Interval, RequesterMoments, RequesterRecord, TimingSource };

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
