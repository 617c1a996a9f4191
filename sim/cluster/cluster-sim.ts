/**
 * The embedded Kubernetes cluster simulator, composed: one cluster clock, the object store, the
 * API server the real `@kubernetes/client-node` talks to over loopback, the generic controllers
 * (ReplicaSet, Deployment, Endpoints, Service ClusterIPs), the nodes with GPUs, the scheduler,
 * the kubelet and its container processes, and the dual-pods controller with the launcher
 * populator. It writes a kubeconfig for itself, so a client loads it as it loads any cluster.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StoreError } from './store-types.ts';
import { writeKubeconfig } from './api/kubeconfig.ts';
import { featuresOf } from './api/kube-version.ts';
import { startApiServer } from './api/server.ts';
import { createStore } from './api/store.ts';
import { EventRecorder } from './behaviour/events.ts';
import { ContainerLogs } from './behaviour/container-log.ts';
import { GpuAllocator } from './behaviour/gpu-allocator.ts';
import { Kubelet } from './behaviour/kubelet.ts';
import { gpuMapConfigMap } from './behaviour/dual-pods/index.ts';
import { buildNodes, registerNodes } from './behaviour/nodes.ts';
import type { ClusterRuntime } from './behaviour/runtime.ts';
import { Scheduler } from './behaviour/scheduler.ts';
import { TimingModel } from './behaviour/timing.ts';
import { ClusterClock } from './clock.ts';
import { resolveClusterSimOptions, type ClusterSimOptions, type ClusterSimOptionsInput } from './cluster-options.ts';
import { startClusterControllers } from './controllers.ts';
import { simState } from './sim-state.ts';
import type { Store } from './store-types.ts';

/** A running cluster simulator (in this process). */
export interface ClusterSim {
  /** API server URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The kubeconfig file that points at it (namespace preselected). */
  readonly kubeconfigPath: string;
  /** The namespace of the kubeconfig context. */
  readonly namespace: string;
  /** The cluster clock (cluster time, time scale, mapping of monotonic readings). */
  readonly clock: ClusterClock;
  /** The object store (for the simulator's own tests). */
  readonly store: Store;
  /** The resolved options. */
  readonly options: ClusterSimOptions;
  /** The folder of PersistentVolumeClaim data (`<pvRoot>/<namespace>/<claim>`): `options.pvRoot`, or a temporary folder removed by close(). */
  readonly pvRoot: string;
  /** The folder harness containers see as `/app` (absolute). */
  readonly harnessRoot: string;
  /** Stops every component, process, server, socket and timer; removes a temporary kubeconfig. */
  close(): Promise<void>;
}

function namespaceObject(name: string) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/**
 * Starts the cluster simulator in this process. Options are validated first (one `ConfigError`
 * naming the bad key). Suites use {@link spawnClusterSim} so the cluster has its own event loop.
 */
export async function startClusterSim(input: ClusterSimOptionsInput = {}): Promise<ClusterSim> {
  const options = resolveClusterSimOptions(input);
  const clock = new ClusterClock(options.timeScale);
  const store = createStore(clock, { features: featuresOf(options.kubernetesVersion) });
  const { namespace } = options;
  if (!store.get('namespaces', undefined, namespace)) store.create('namespaces', undefined, namespaceObject(namespace));
  const nodes = buildNodes({ count: options.nodes, gpusPerNode: options.gpusPerNode, gpuProduct: options.gpuProduct, gpuFamily: options.gpuFamily, gpuMemoryMib: options.gpuMemoryMib, seed: options.seed });
  registerNodes(store, nodes, clock);
  store.create('configmaps', namespace, gpuMapConfigMap(nodes, namespace));
  const harnessRoot = resolve(options.harnessRoot ?? process.cwd());
  const ownPvRoot = options.pvRoot === null;
  const pvRoot = options.pvRoot !== null ? resolve(options.pvRoot) : await mkdtemp(join(tmpdir(), 'vitest-llm-d-pv-'));
  await mkdir(pvRoot, { recursive: true });
  const podsRoot = await mkdtemp(join(tmpdir(), 'vitest-llm-d-pods-'));
  const removeFolders = async (): Promise<void> => {
    await rm(podsRoot, { recursive: true, force: true });
    if (ownPvRoot) await rm(pvRoot, { recursive: true, force: true });
  };
  const timing = new TimingModel(options.timing, options.seed);
  const allocator = new GpuAllocator(nodes, options.gpuPolicy, options.seed);
  const runtime: ClusterRuntime = {
    store,
    clock,
    timing,
    nodes,
    allocator,
    logs: new ContainerLogs(clock),
    events: new EventRecorder(store, clock),
    vllmServers: new Set(),
    vllm: { tokenizer: options.vllmTokenizer, profile: options.vllmProfile, sleepingMemoryMib: options.sleepingMemoryMib },
    gpuMemoryMib: options.gpuMemoryMib,
    seed: options.seed,
    processes: new Map(),
    harness: { root: harnessRoot, pvRoot, podsRoot, missingImages: new Set(options.missingImages), live: new Set() },
  };
  const scheduler = new Scheduler(runtime);
  const kubelet = new Kubelet(runtime);
  scheduler.start();
  kubelet.start();
  const controllers = await startClusterControllers({ store, clock, timing, namespace, dualPods: options.dualPods, processes: runtime.processes });
  let tempDir: string | undefined;
  const stops: Array<() => unknown> = [];
  try {
    const api = await startApiServer({
      store,
      clock,
      kubernetesVersion: options.kubernetesVersion,
      host: options.host,
      port: options.port,
      logs: controllers.logSource(kubelet.logSource),
      followLogs: kubelet.followSource,
      admin: {
        state: () => simState({ store, clock, nodes, allocator, runtime, scheduler }),
        evict: async ({ method, query }) => {
          if (method !== 'POST') throw new StoreError(405, 'MethodNotAllowed', '/sim/evict: use POST /sim/evict?namespace=<ns>&name=<pod>');
          const ns = query.get('namespace') ?? namespace;
          const name = query.get('name') ?? '';
          if (!store.get('pods', ns, name)) throw new StoreError(404, 'NotFound', `pods "${name}" not found`);
          if (!(await kubelet.evict(ns, name))) throw new StoreError(409, 'Conflict', `pod ${ns}/${name} is not running on a simulated node`);
          return { evicted: `${ns}/${name}` };
        },
      },
    });
    stops.push(() => api.close());
    if (!options.kubeconfig) tempDir = await mkdtemp(join(tmpdir(), 'vitest-llm-d-cluster-'));
    const kubeconfigPath = options.kubeconfig ?? join(tempDir!, 'kubeconfig');
    await writeKubeconfig(kubeconfigPath, { url: api.url, namespace });
    let closing: Promise<void> | undefined;
    return {
      url: api.url,
      kubeconfigPath,
      namespace,
      clock,
      store,
      options,
      pvRoot,
      harnessRoot,
      close: () =>
        (closing ??= (async () => {
          await controllers.stop();
          scheduler.close();
          await kubelet.close();
          await api.close();
          store.close();
          clock.stopAll();
          if (tempDir) await rm(tempDir, { recursive: true, force: true });
          await removeFolders();
        })()),
    };
  } catch (err) {
    await controllers.stop();
    scheduler.close();
    await kubelet.close();
    for (const s of stops) await s();
    store.close();
    clock.stopAll();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    await removeFolders();
    throw err;
  }
}
