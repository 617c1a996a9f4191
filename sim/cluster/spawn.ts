import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runnableModule } from '../../lib/package/paths.ts';
import { spawnSimChild } from '../child-process.ts';
import { CLUSTER_SIM_OPTIONS_ENV, CLUSTER_SIM_WATCH_STDIN_ENV } from './child-env.ts';
import { resolveClusterSimOptions, type ClusterSimOptions, type ClusterSimOptionsInput } from './cluster-options.ts';

/** How to start the child process. */
export interface SpawnClusterSimOptions {
  /** Give up (and kill the child) when it has not printed its listening line by then, in ms. Default 30000. */
  startTimeoutMs?: number;
  /** Extra environment variables for the child. */
  env?: NodeJS.ProcessEnv;
}

/** What a client needs to map its own `process.hrtime.bigint()` readings to cluster time. */
export interface ClusterClockInfo {
  timeScale: number;
  epochMs: number;
  startHrNs: string;
}

/** A cluster simulator running in a child process. */
export interface ClusterSimProcess {
  /** API server URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The kubeconfig that points at it. */
  readonly kubeconfigPath: string;
  /** The namespace of the kubeconfig context. */
  readonly namespace: string;
  /** The cluster clock's mapping (see `ClusterClock.describe()`). */
  readonly clockInfo: ClusterClockInfo;
  /** Child process id. */
  readonly pid: number;
  /** The resolved options the child was started with. */
  readonly options: ClusterSimOptions;
  /** The folder of PersistentVolumeClaim data (`<pvRoot>/<namespace>/<claim>`): `options.pvRoot`, or a temporary folder removed once the child has exited. */
  readonly pvRoot: string;
  /** The folder harness containers see as `/app`. */
  readonly harnessRoot: string;
  /** SIGTERM, then SIGKILL after a few seconds; resolves when the child has exited (and its temporary kubeconfig is gone). */
  stop(): Promise<void>;
}

/** The child's module: `main.ts` through tsx from sources, `main.js` from the built package. */
const ENTRY = runnableModule(import.meta.url, './main');
const KILL_AFTER_MS = 5000;

/**
 * Starts the cluster simulator in a child process (its own event loop, so the client's timings
 * are not distorted by the cluster's work) and resolves once its API server listens and its
 * kubeconfig is written. Options are validated here first, with the same one-line errors as the
 * CLI. The child exits when stopped, when this process exits, or when its stdin closes (this
 * process crashed); it resets its priority to 0 so a measuring parent's raised priority is not
 * inherited.
 */
export function spawnClusterSim(input: ClusterSimOptionsInput = {}, opts: SpawnClusterSimOptions = {}): Promise<ClusterSimProcess> {
  let options: ClusterSimOptions;
  try {
    options = resolveClusterSimOptions(input);
  } catch (err) {
    return Promise.reject(err);
  }
  // The parent owns a temporary kubeconfig folder, so it is removed even if the child is killed.
  const tempDir = options.kubeconfig ? undefined : mkdtempSync(join(tmpdir(), 'vitest-llm-d-cluster-'));
  // Likewise a temporary pvRoot, so results written there can be read until the child is stopped, and go then.
  const tempPv = options.pvRoot === null ? mkdtempSync(join(tmpdir(), 'vitest-llm-d-pv-')) : undefined;
  const childOptions: ClusterSimOptions = {
    ...options,
    kubeconfig: options.kubeconfig ?? join(tempDir!, 'kubeconfig'),
    pvRoot: options.pvRoot !== null ? resolve(options.pvRoot) : tempPv!,
    harnessRoot: resolve(options.harnessRoot ?? process.cwd()),
  };
  return spawnSimChild({
    entry: ENTRY.file,
    nodeFlags: ENTRY.execArgv,
    env: { ...opts.env, [CLUSTER_SIM_OPTIONS_ENV]: JSON.stringify(childOptions), [CLUSTER_SIM_WATCH_STDIN_ENV]: '1' },
    what: 'embedded cluster simulator',
    startTimeoutMs: opts.startTimeoutMs ?? 30_000,
    killAfterMs: KILL_AFTER_MS,
    validate: (line) => (!line.clock || typeof line.kubeconfigPath !== 'string' ? 'no clock or kubeconfigPath' : undefined),
    onExit: () => {
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      if (tempPv) rmSync(tempPv, { recursive: true, force: true });
    },
  }).then(({ line, pid, stop }) => ({
    url: line.url as string,
    kubeconfigPath: line.kubeconfigPath as string,
    namespace: typeof line.namespace === 'string' ? line.namespace : options.namespace,
    clockInfo: line.clock as ClusterClockInfo,
    pid,
    options,
    pvRoot: childOptions.pvRoot as string,
    harnessRoot: childOptions.harnessRoot as string,
    stop,
  }));
}
