/**
 * The target the pods measure. A configured one (`BENCH_BASE_URL`, `BENCH_TARGET`, a targets
 * file) goes to the pods as it is. With none, on the embedded cluster, the launcher starts one
 * embedded vLLM simulator on 127.0.0.1 (as the fixtures would, with the suite file's
 * `simulator:` settings) and hands its URL to every pod as `BENCH_SIMULATOR_URL`, so every pod
 * sends to the same server and each pod's report still says the target is the simulator. On a
 * real cluster a simulator on this machine is not reachable from the pods: that is an error.
 */
import { resolveTarget, type TargetSelection } from '../../config/resolve-target.ts';
import type { LoadedScenarioFile } from '../../config/resolve-scenarios.ts';
import { BenchError } from '../../errors/bench-error.ts';
import { LaunchUsageError } from './errors.ts';
import type { LaunchSimulators } from './simulators.ts';

/** The pods' target. */
export interface LaunchTarget {
  /** One line for the output: what the pods measure. */
  description: string;
  /** Settings the pods need besides the caller's (`BENCH_SIMULATOR_URL`). */
  settings: Record<string, string>;
  /** The name of the variable holding the target's API key, for the Secret. */
  apiKeyEnv?: string;
  /** Stops what was started for it. */
  stop(): Promise<void>;
}

/** Which target the pods will use; throws {@link LaunchUsageError} for a bad configuration or a simulator on a real cluster. */
export function selectLaunchTarget(input: { cwd: string; env: NodeJS.ProcessEnv; cluster: 'simulator' | 'real' }): TargetSelection {
  let selection: TargetSelection;
  try {
    selection = resolveTarget({ cwd: input.cwd, env: input.env });
  } catch (err) {
    if (err instanceof BenchError) throw new LaunchUsageError(err.message, { cause: err });
    throw err;
  }
  if (selection.kind === 'simulator' && !selection.url && input.cluster === 'real') {
    throw new LaunchUsageError(
      'no target configured: the pods would each start an embedded vLLM simulator inside the cluster; set BENCH_BASE_URL to the in-cluster URL of the gateway (e.g. http://<gateway service>.<namespace>.svc.cluster.local) and BENCH_MODEL',
    );
  }
  return selection;
}

/** Starts what the selected target needs (the shared simulator) and returns the pods' settings. */
export async function openLaunchTarget(input: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  cluster: 'simulator' | 'real';
  files: LoadedScenarioFile[];
  /** Starts the shared simulator when nothing is configured. */
  startSimulator?: LaunchSimulators['startSimulator'];
}): Promise<LaunchTarget> {
  const selection = selectLaunchTarget(input);
  if (selection.kind === 'endpoint') {
    return { description: `target ${selection.target.name} at ${selection.target.base_url} (${selection.origin})`, settings: {}, apiKeyEnv: selection.target.api_key_env, stop: async () => {} };
  }
  if (selection.url) return { description: `the embedded simulator at ${selection.url} (BENCH_SIMULATOR_URL)`, settings: { BENCH_SIMULATOR_URL: selection.url }, stop: async () => {} };
  // The suite file's simulator settings apply when no targets file tunes the simulator (as in the fixtures).
  const suiteSim = input.files.find((f) => f.config.simulator)?.config.simulator;
  const settings = Object.keys(selection.simulator).length > 0 ? selection.simulator : (suiteSim ?? {});
  if (!input.startSimulator) throw new LaunchUsageError('no target configured and no simulator to start: set BENCH_BASE_URL (or BENCH_TARGET) and BENCH_MODEL');
  const model = selection.target.model;
  const sim = await input.startSimulator({ ...(model ? { models: [model] } : {}), ...settings, host: '127.0.0.1', port: 0 });
  return {
    description: `the embedded vLLM simulator at ${sim.url} (started for every pod; nothing configured)`,
    settings: { BENCH_SIMULATOR_URL: sim.url },
    stop: () => sim.stop(),
  };
}
