/**
 * One actuation test: runs a scenario of an actuation file against the cluster and reports it,
 * also when it fails after measuring (a step that timed out fails the test with the diagnostic
 * after the run's objects were deleted; what was measured before is still reported). With
 * Prometheus configured (`BENCH_PROMETHEUS_URL` or `BENCH_PROMETHEUS_CLUSTER_DOMAIN`), the
 * report also carries `serverMetrics`: the GPU, vLLM and controller series over the scenario's
 * window (`lib/prom/run-actuation.ts`); without it, none.
 */
import type { ConfigOverride } from '../config/env.ts';
import type { Env } from '../config/substitute.ts';
import type { ClusterConnection } from '../k8s/connect.ts';
import { startActuationMetrics } from '../prom/run-actuation.ts';
import type { ActuationFile } from './config.ts';
import { type ActuationReport, buildActuationReport } from './report.ts';
import type { ActuationResult } from './result.ts';
import { runActuationScenario } from './run.ts';

/** What one actuation test needs. */
export interface ActuationTestInput {
  conn: ClusterConnection;
  suite: string;
  name: string;
  file: { config: ActuationFile; path: string; source: string; overrides: ConfigOverride[] };
  /** Identifies this run in the cluster (`vitest-llm-d/run` label). */
  runId: string;
  /** Where the Prometheus settings are read. */
  env: Env;
  /** Leftover checks of each iteration. */
  onCleanup(leftovers: string[]): void;
  /** Receives the test's report. */
  record(report: ActuationReport): void;
}

/** Runs the scenario `input.name` and returns its result for `toMeetSLO`; its report goes to `input.record` first. */
export async function runActuationTest(input: ActuationTestInput): Promise<ActuationResult> {
  const { conn, file, name } = input;
  const scenario = file.config.scenarios[name]!;
  // A bad BENCH_PROMETHEUS_* setting fails here, before anything is created.
  const metrics = startActuationMetrics(input.env);
  const start = new Date();
  /** The server metrics over the test's window, when Prometheus is configured. */
  const serverMetricsOf = async (result: ActuationResult) => {
    if (!metrics) return undefined;
    // Step times are cluster ms; the window is wall-clock (they differ on the simulator's time scale).
    const wallNow = Date.now();
    const clusterNow = conn.time.nowMs();
    const wall = (clusterMs: number): number => wallNow - (clusterNow - clusterMs) * conn.time.timeScale;
    return metrics.finish({
      namespace: conn.namespace,
      pods: result.steps.flatMap((s) => s.requesters.map((r) => r.provider).filter((x): x is string => x !== undefined)),
      start,
      end: new Date(wallNow),
      steps: result.steps.map((s) => ({ phase: s.phase, t0: wall(s.t0) })),
      ...(conn.kind === 'simulator' ? { simulatorTimeScale: conn.time.timeScale } : {}),
    });
  };
  const record = async (result: ActuationResult) => {
    const serverMetrics = await serverMetricsOf(result);
    const slo = result.evaluate(result.configuredSlo);
    input.record(buildActuationReport(result, conn, { matrixRow: scenario.matrix_row ?? name, runId: input.runId, slo, overrides: file.overrides, ...(serverMetrics ? { serverMetrics } : {}) }));
  };
  try {
    const result = await runActuationScenario({ conn, suite: input.suite, name, scenario, file, runId: input.runId, onCleanup: (left) => input.onCleanup(left) });
    await record(result);
    return result;
  } catch (err) {
    const partial = (err as { result?: ActuationResult }).result;
    if (partial) await record(partial);
    throw err;
  }
}
