/**
 * Starting one container: its environment, command line, kind, GPUs, log, and the process of
 * that kind. The kinds and their rules are in `container-kinds.ts`; this is the registry from
 * kind to behaviour.
 */
import type { KObject } from '../store-types.ts';
import { classifyContainer, isHarnessImage, type ContainerKind } from './container-kinds.ts';
import type { LogBuffer } from './container-log.ts';
import { startGeneric } from './generic-process.ts';
import { prepareMounts, startHarness } from './harness-process.ts';
import { startLauncher } from './launcher-process.ts';
import { startNotifier } from './notifier-process.ts';
import { commandLine, containerEnv, storeEnvSources, type ContainerSpec } from './pod-spec.ts';
import { startRequester } from './requester-process.ts';
import type { ClusterRuntime, ContainerBehaviour, ContainerProcess } from './runtime.ts';
import { mountedGpus, startVllmContainer } from './vllm-container.ts';

/** The behaviour of each container kind. */
export const CONTAINER_BEHAVIOURS: Readonly<Record<Exclude<ContainerKind, 'control-plane'>, ContainerBehaviour>> = {
  harness: startHarness,
  requester: startRequester,
  'launcher-notifier': startNotifier,
  launcher: startLauncher,
  vllm: startVllmContainer,
  generic: startGeneric,
};

/** A started container. */
export interface StartedContainer {
  kind: ContainerKind;
  process: ContainerProcess;
  /** The run's log (ended by the kubelet when the run ends). */
  log: LogBuffer;
}

/** Where a container runs. */
export interface Placement {
  nodeName: string;
  podIP: string;
  hostIP: string;
}

/**
 * Starts the process of one container of a pod (its log starts afresh; the previous run's stays
 * readable as `previous`). A process the simulator registered for that container wins over the
 * kind rules.
 */
export function runContainer(runtime: ClusterRuntime, pod: KObject, c: ContainerSpec, at: Placement, exited: (code: number, detail?: { reason: string; message: string }) => void): StartedContainer {
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  const nodeGpus = runtime.allocator.gpusOf(at.nodeName);
  const allocated = runtime.allocator.of(pod.metadata.uid ?? '')?.gpus ?? [];
  // What the NVIDIA device plugin injects for an allocation, and what every pod gets from Kubernetes.
  const base: Record<string, string> = {
    HOSTNAME: name,
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: '443',
  };
  if (allocated.length > 0) base.NVIDIA_VISIBLE_DEVICES = allocated.map((g) => g.uuid).join(',');
  const provided = runtime.processes.get(`${namespace}/${name}/${c.name}`);
  // ConfigMap and Secret references are resolved for every container; a harness container (a real
  // process) fails with CreateContainerConfigError on a missing one, as the kubelet does.
  const env = containerEnv(pod, c, at.podIP, at.hostIP, base, storeEnvSources(runtime.store, namespace, !provided && isHarnessImage(c.image)));
  const argv = commandLine(c, env);
  const classified = provided ? undefined : classifyContainer(pod, c, argv);
  const kind: ContainerKind = classified ?? 'control-plane';
  if (classified === 'harness') prepareMounts({ runtime, pod, container: c }); // a MountError leaves the previous log in place
  const log = runtime.logs.start(namespace, name, c.name);
  const process = (provided ?? CONTAINER_BEHAVIOURS[classified!])({
    runtime,
    pod: structuredClone(pod),
    container: c,
    podIP: at.podIP,
    hostIP: at.hostIP,
    nodeName: at.nodeName,
    env,
    argv,
    gpus: mountedGpus(nodeGpus, allocated, env),
    log,
    exited,
  });
  return { kind, process, log };
}
