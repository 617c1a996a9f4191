/**
 * The JSON report of one actuation test (`task.meta.llmdActuation`, then `summary.json`); its
 * terminal renderings are in `lib/render/actuation-table.ts`. Every figure is seconds of cluster
 * time; reports from the embedded cluster simulator say so, with the time scale.
 */
import type { ServerMetricsReport } from '../prom/run-metrics.ts';
import type { ClusterConnection } from '../k8s/connect.ts';
import type { RequesterRecord } from './record.ts';
import type { ActuationResult, ActuationSummary, SloCheck } from './result.ts';
import type { ActuationReport } from '../report/actuation.ts';

export type { ActuationReport };

export function buildActuationReport(
  result: ActuationResult,
  conn: ClusterConnection,
  extra: { matrixRow: string; runId: string; slo: SloCheck[]; overrides: ActuationReport['overrides']; serverMetrics?: ActuationReport['serverMetrics'] },
): ActuationReport {
  return {
    suite: result.suite,
    scenario: result.scenario,
    matrixRow: extra.matrixRow,
    timestamp: new Date().toISOString(),
    cluster: {
      kind: conn.kind,
      server: conn.server,
      context: conn.context,
      namespace: conn.namespace,
      serverVersion: conn.serverVersion,
      timeScale: conn.time.timeScale,
      source: conn.source,
    },
    runId: extra.runId,
    steps: result.steps.map((s) => ({
      phase: s.phase,
      replicas: s.replicas,
      t0: new Date(s.t0).toISOString(),
      preexisting: s.preexisting,
      timedOut: s.timedOut,
      counted: result.countedPhases.includes(s.phase),
      controllerLog: s.dpcLog,
      requesters: s.requesters,
    })),
    summary: result.summary,
    slo: extra.slo,
    notes: result.notes,
    overrides: extra.overrides,
    ...(extra.serverMetrics ? { serverMetrics: extra.serverMetrics } : {}),
  };
}
