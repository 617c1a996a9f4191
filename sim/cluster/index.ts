/**
 * The embedded Kubernetes cluster simulator: an API server the real `@kubernetes/client-node`
 * talks to over loopback, nodes with GPUs, a scheduler, a kubelet with real HTTP probes against
 * simulated processes on per-pod loopback IPs (requesters, vLLM servers, launchers), and the
 * dual-pods controller, all on one cluster clock with a time scale. See README.md.
 */
export { ClusterClock } from './clock.ts';
export { ClusterSimOptionsSchema, resolveClusterSimOptions, type ClusterSimOptions, type ClusterSimOptionsInput } from './cluster-options.ts';
export { startClusterSim, type ClusterSim } from './cluster-sim.ts';
export { spawnClusterSim, type ClusterClockInfo, type ClusterSimProcess, type SpawnClusterSimOptions } from './spawn.ts';
export type { SimState, SimVllmState } from './sim-state.ts';
export { TimingOptionsSchema, type TimingOptions, type TimingOptionsInput } from './behaviour/timing.ts';
export { classifyContainer, type ContainerKind } from './behaviour/container-kinds.ts';
export type { KObject, Store } from './store-types.ts';
