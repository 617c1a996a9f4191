/**
 * The timeout diagnostic: when requesters do not become Ready in time, which pods were waiting
 * on what (phase, the conditions that are not True with their reasons, container waiting
 * reasons), and the namespace's last events, as readable lines for the test failure.
 */
import type { ClusterConnection } from './connect.ts';
import type { DuoTracker } from './duo-tracker.ts';
import type { PodObject } from './pod-watch.ts';

/** One line for a pod: node, phase, the conditions that are not True with their reasons, containers not ready and why. */
export function podLine(p: PodObject): string {
  const phase = p.status?.phase ?? 'Unknown';
  const notTrue = (p.status?.conditions ?? []).filter((c) => c.status !== 'True').map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`);
  const waiting = (p.status?.containerStatuses ?? []).filter((c) => c.state?.waiting || !c.ready).map((c) => `${c.name}: ${c.state?.waiting?.reason ?? (c.state?.running ? 'running, not ready' : c.state?.terminated ? `terminated ${c.state.terminated.reason ?? ''}` : 'not started')}`);
  const node = p.spec?.nodeName ? ` on ${p.spec.nodeName}` : ' (not scheduled)';
  return `  pod ${p.metadata.name}${node}: ${phase}${notTrue.length ? `; ${notTrue.join(', ')}` : ''}${waiting.length ? `; ${waiting.join(', ')}` : ''}`;
}

/**
 * Lines describing the run's unready requesters and their providers, plus the last `events`
 * events of the namespace. Never throws (a diagnostic that fails says so in a line).
 */
export async function diagnose(c: ClusterConnection, tracker: DuoTracker, pods: ReadonlyMap<string, PodObject>, events = 12): Promise<string[]> {
  const lines: string[] = [];
  const unready = [...tracker.requesters.values()].filter((r) => r.deleted === undefined && r.ready.client === undefined);
  lines.push(`${unready.length} requester(s) not Ready:`);
  for (const r of unready) {
    const p = pods.get(r.name);
    lines.push(p ? podLine(p) : `  pod ${r.name}: gone`);
    const provider = r.bound.provider ? pods.get(r.bound.provider) : undefined;
    if (provider) lines.push(`  ${podLine(provider).trim().replace(/^pod/, '  provider')}`);
    else lines.push(`    no provider bound yet${r.node ? '' : ' (the requester is not scheduled)'}`);
  }
  lines.push(...(await lastEvents(c, events)));
  return lines;
}

/** The namespace's last `count` events as lines (a heading first); never throws. */
export async function lastEvents(c: ClusterConnection, count = 12): Promise<string[]> {
  try {
    const list = await c.core.listNamespacedEvent({ namespace: c.namespace });
    const sorted = [...list.items].sort((a, b) => time(a) - time(b)).slice(-count);
    const lines = [`last ${sorted.length} events in namespace ${c.namespace}:`];
    for (const e of sorted) lines.push(`  ${e.type ?? ''} ${e.reason ?? ''} ${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}: ${e.message ?? ''}`.replace(/\s+/g, ' ').trimEnd());
    return lines;
  } catch (err) {
    return [`events could not be read: ${(err as Error).message.split('\n')[0]}`];
  }
}

function time(e: { lastTimestamp?: Date | string; eventTime?: Date | string; metadata?: { creationTimestamp?: Date | string } }): number {
  const v = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  return v ? new Date(v).getTime() : 0;
}
