/**
 * The report of one actuation test (`suites/actuation`: dual-pods fast model actuation): each
 * requester's path and timings, statistics per path, the SLO checks. `lib/actuation` and
 * `lib/k8s` produce it; reporters render it beside the benchmark tests' reports.
 */
import type { Summary } from '../stats/index.ts';
import type { ServerMetricsReport } from './server-metrics.ts';

/** How a requester's server became available (`lib/k8s/classify.ts`). */
export type ActuationPath = 'cold' | 'cold_launcher' | 'warm' | 'hot';
export const PATHS: readonly ActuationPath[] = ['cold', 'cold_launcher', 'warm', 'hot'];

/** One signal's verdict; `not_cold` means warm or hot without telling which. */
export interface Signal {
  source: 'dpc_log' | 'provider_name' | 'provider_age' | 'launcher_age' | 'instance_seen';
  says: ActuationPath | 'not_cold';
  detail: string;
}

export interface Classification {
  path: ActuationPath | 'unknown';
  signals: Signal[];
  /** Signals that contradict the verdict, as readable lines. */
  disagreements: string[];
  /** The controller's `fma_actuation_seconds` path label, when logged (M2 is always "hot" there). */
  controllerMetricPath?: string;
}

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

/** Per-path statistics of the counted requesters (seconds, cluster time). */
export interface PathStats {
  count: number;
  /** T_actuation (startedAt -> Ready). */
  actuation: Summary | null;
  /** T_total (scale request -> Ready seen). */
  total: Summary | null;
  /** T_actuation_dpc (startedAt -> relay), when the controller log was readable. */
  actuationDpc: Summary | null;
  /** Ready -> first token. */
  firstTokenAfterReady: Summary | null;
}

export interface ActuationSummary {
  /** Requesters counted (those of the counted phase). */
  n: number;
  ready: number;
  byPath: Partial<Record<ActuationPath | 'unknown', PathStats>>;
  hitRates: { hot: number; warm: number; cold: number; coldLauncher: number; unknown: number };
  /** Over all paths. */
  total: Summary | null;
  actuation: Summary | null;
  disagreements: number;
}

/** One actuation SLO check. */
export interface SloCheck {
  name: string;
  value: number | null;
  limit: number;
  op: '<=' | '>=';
  pass: boolean;
}

/** The report of one actuation test: `task.meta.llmdActuation`, then `summary.json`. */
export interface ActuationReport {
  suite: string;
  scenario: string;
  matrixRow: string;
  timestamp: string;
  cluster: {
    kind: 'cluster' | 'simulator';
    server: string;
    context: string;
    namespace: string;
    serverVersion: string;
    /** Real seconds per cluster second (1 on a real cluster). */
    timeScale: number;
    /** Where the kubeconfig came from. */
    source: string;
  };
  runId: string;
  steps: Array<{ phase: string; replicas: number; t0: string; preexisting: number; timedOut: boolean; counted: boolean; controllerLog: string; requesters: RequesterRecord[] }>;
  summary: ActuationSummary;
  slo: SloCheck[];
  notes: string[];
  overrides: Array<{ path: string; value: unknown; source: string }>;
  /**
   * GPU, vLLM and dual-pods controller series over the test's window (wall-clock), read from
   * Prometheus after the test (`lib/prom/run-actuation.ts`); absent when no Prometheus is
   * configured. On the simulator, controller latencies are cluster seconds (a note says so).
   */
  serverMetrics?: ServerMetricsReport;
}
