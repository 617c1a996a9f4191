/**
 * The simulators a launch starts when nothing is configured: an embedded cluster for the Job and
 * one embedded vLLM simulator for every pod. The caller hands them in (`cli/launch-command.ts`
 * starts the ones in `sim/`), so the engine imports no simulator.
 */
import type { ClusterClockInfo } from '../../k8s/cluster-time.ts';
import type { StartSimulator } from '../../scenario/open-target.ts';

/** A cluster simulator running on this machine. */
export interface StartedClusterSimulator {
  /** API server URL. */
  readonly url: string;
  /** The kubeconfig that points at it. */
  readonly kubeconfigPath: string;
  /** The namespace of the kubeconfig context. */
  readonly namespace: string;
  /** The cluster clock's mapping (its time scale). */
  readonly clockInfo: ClusterClockInfo;
  stop(): Promise<void>;
}

/** How a launch starts the simulators. */
export interface LaunchSimulators {
  /** Starts the vLLM simulator the pods share (the same starter the fixtures pass to `openTarget`). */
  startSimulator: StartSimulator;
  /** Starts a cluster simulator at `timeScale` (real ms per cluster ms) whose harness pods run in `harnessRoot`. */
  startClusterSimulator(options: { timeScale: number; harnessRoot: string }): Promise<StartedClusterSimulator>;
}
