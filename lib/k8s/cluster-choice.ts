/**
 * Which cluster a run's cluster fixtures use, from the environment, and the run id its objects
 * are labelled with. `BENCH_CLUSTER=simulator` (or no kubeconfig anywhere: no `KUBECONFIG`, no
 * `~/.kube/config`, not in a pod) is the embedded cluster simulator at `BENCH_CLUSTER_TIME_SCALE`
 * (default 0.02: 50 cluster seconds per real second); `BENCH_CLUSTER=kubeconfig` (or a
 * kubeconfig found) is the real cluster of the current context (`BENCH_KUBECONFIG`,
 * `BENCH_KUBE_CONTEXT`, `BENCH_NAMESPACE` choose). The caller starts or connects to it.
 */
import { randomBytes } from 'node:crypto';
import { envPositiveNumber, envString } from '../config/env.ts';
import type { Env } from '../config/substitute.ts';
import { ConfigError } from '../errors/config-error.ts';
import { findKubeconfig } from './connect.ts';

/** Default time scale of the embedded cluster: 50 cluster seconds per real second. */
export const DEFAULT_SIM_TIME_SCALE = 0.02;

/** The cluster to use. */
export type ClusterChoice =
  | { kind: 'simulator'; timeScale: number }
  | { kind: 'kubeconfig'; kubeconfig: string | undefined; context: string | undefined; namespace: string | undefined };

/** The cluster `env` names (see the module comment); a bad `BENCH_CLUSTER` is a config error. */
export function chooseCluster(env: Env): ClusterChoice {
  const mode = envString(env, 'BENCH_CLUSTER') ?? (findKubeconfig(env) || env.BENCH_KUBECONFIG ? 'kubeconfig' : 'simulator');
  if (mode === 'simulator') return { kind: 'simulator', timeScale: envPositiveNumber(env, 'BENCH_CLUSTER_TIME_SCALE') ?? DEFAULT_SIM_TIME_SCALE };
  if (mode !== 'kubeconfig') throw new ConfigError('env', 'BENCH_CLUSTER', `expected "simulator" or "kubeconfig", got "${mode}"`);
  return { kind: 'kubeconfig', kubeconfig: envString(env, 'BENCH_KUBECONFIG'), context: envString(env, 'BENCH_KUBE_CONTEXT'), namespace: envString(env, 'BENCH_NAMESPACE') };
}

/** A run id fit for a label value: the run's UTC stamp, lowercased, and 4 random characters (so parallel runs never share one). */
export function newRunId(stamp: string): string {
  return `${stamp.toLowerCase()}-${randomBytes(3).toString('hex').slice(0, 4)}`;
}
