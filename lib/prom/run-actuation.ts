/**
 * Server metrics of one actuation test (`ActuationReport.serverMetrics`): the GPU, vLLM and
 * dual-pods controller series over the test's window, read from Prometheus with the same
 * machinery as a benchmark test's ({@link readPrometheusWindow}), in the same
 * {@link ServerMetricsReport} shape.
 *
 * - Window: from just before the first scale request to the end of the scenario (cleanup of the
 *   last iteration included); one stage per step (its phase, e.g. `up#1`), each from its scale request to the
 *   next step's (the last one to the window end).
 * - Filters: the run's namespace (the controller's `fma_actuation_seconds` carries it as
 *   `exported_namespace`) and, where known, the providers the test's requesters were bound to
 *   (vLLM and GPU series by `pod`). Before querying, the run waits for Prometheus to scrape the
 *   namespace's targets past the window end (bounded, as for benchmark tests).
 * - Only with Prometheus configured (`BENCH_PROMETHEUS_URL` / `BENCH_PROMETHEUS_CLUSTER_DOMAIN`):
 *   the controller's metrics are histograms, which only PromQL turns into per-window quantiles, so
 *   there is no scrape fallback for actuation tests; without Prometheus the report has no
 *   `serverMetrics`.
 * - On the embedded cluster simulator, `fma_actuation_seconds` values are cluster seconds (the
 *   simulator's time scale), while the window and point times are wall-clock: a note says so.
 */
import type { MetricsSection } from '../config/schema/scenario.ts';
import type { Env } from '../config/substitute.ts';
import { flattenMetrics } from './metric-sets.ts';
import { readPrometheusWindow } from './run-prometheus.ts';
import { metricSetsOf, missingOf, reportWindow, type ServerMetricsFilters, type ServerMetricsReport, type TestWindow } from './run-metrics.ts';
import { promSettings, type PromSettings } from './settings.ts';
import type { MetricWindowResult } from './window.ts';

/** What an actuation test tells the metrics reader about itself. */
export interface ActuationMetricsInput {
  /** The namespace the requesters ran in. */
  namespace: string;
  /** Names of the provider pods (direct providers or launchers) bound to the test's requesters. */
  pods: readonly string[];
  /** Wall-clock window of the test. */
  start: Date;
  end: Date;
  /** The scenario's steps: phase (`up#1`) and scale-request time (wall ms since the epoch), in order. */
  steps: ReadonlyArray<{ phase: string; t0: number }>;
  /** Set on the embedded cluster simulator: real seconds per cluster second. */
  simulatorTimeScale?: number;
}

/** Server metrics being collected for one actuation test. */
export interface ActuationMetricsSession {
  /** Reads the series over the test's window; never rejects (failures become `error` metrics). */
  finish(input: ActuationMetricsInput, signal?: AbortSignal): Promise<ServerMetricsReport>;
}

/**
 * The session for one actuation test, or undefined when no Prometheus is configured.
 * @throws ConfigError for a bad `BENCH_PROMETHEUS_*` setting or metric definition (before anything runs).
 */
export function startActuationMetrics(env: Env = process.env, config?: MetricsSection): ActuationMetricsSession | undefined {
  const settings = promSettings(env);
  if (!settings) return undefined;
  const sets = metricSetsOf(config);
  return {
    finish: async (input, signal) => {
      // The last actuation is observed just before the test ends and stored only at the next
      // scrape, and range points fall at start + k x step: the queried end is one scrape interval
      // past the test's end, rounded up to a step, so the last point (whose `$window` queries
      // cover the whole test) counts it.
      const stepMs = Math.max(1, Math.min(settings.scrapeIntervalS, 15)) * 1000;
      const durMs = Math.ceil((input.end.getTime() - input.start.getTime() + settings.scrapeIntervalS * 1000) / stepMs) * stepMs;
      const win = actuationWindow({ ...input, end: new Date(input.start.getTime() + durMs) });
      const filters = actuationFilters(input);
      let report: ServerMetricsReport;
      try {
        report = await readPrometheusWindow(settings, sets, win, filters, { waitFilters: { namespace: input.namespace }, ...(signal ? { signal } : {}) });
      } catch (err) {
        report = failedReport(settings, flattenMetrics(sets), win, filters, err);
      }
      if (input.simulatorTimeScale !== undefined) {
        report.notes.push(`embedded cluster simulator: controller latencies (fma_actuation_seconds, controller.*) are cluster seconds at time scale ${input.simulatorTimeScale}; the window and point times are wall-clock`);
      }
      return report;
    },
  };
}

/** The test's window with one stage per step. */
export function actuationWindow(input: ActuationMetricsInput): TestWindow {
  const end = input.end.getTime();
  const stages = input.steps.map((s, k) => {
    const next = input.steps[k + 1]?.t0 ?? end;
    return { label: s.phase, start: new Date(Math.max(input.start.getTime(), s.t0)), end: new Date(Math.min(end, Math.max(s.t0, next))) };
  });
  return { start: input.start, end: input.end, stages };
}

/** Namespace always; the provider pods when the test had any (an empty list would match nothing). */
export function actuationFilters(input: ActuationMetricsInput): ServerMetricsFilters {
  const pods = [...new Set(input.pods)].sort();
  return { namespace: input.namespace, ...(pods.length ? { pods } : {}) };
}

function failedReport(settings: PromSettings, defs: ReturnType<typeof flattenMetrics>, win: TestWindow, filters: ServerMetricsFilters, err: unknown): ServerMetricsReport {
  const reason = `could not read server metrics: ${(err as Error).message}`;
  const metrics: MetricWindowResult[] = defs.map((m) => ({ name: m.name, unit: m.unit, query: m.query, status: 'error', reason, series: [], summary: { min: null, max: null, mean: null, last: null } }));
  return { source: 'prometheus', endpoint: settings.url, window: reportWindow(win, 0), filters, metrics, missing: missingOf(metrics), notes: [] };
}
