/**
 * The controllers of the simulated control plane, started and stopped together: the generic
 * kube controllers (ReplicaSet, Deployment, Endpoints, Service proxy) and the dual-pods
 * controller with its launcher populator.
 *
 * The dual-pods controller and the populator also appear as Pods in the watched namespace
 * (`dual-pods-controller-sim`, `launcher-populator-sim`, labelled
 * `app.kubernetes.io/component=dual-pods-controller` / `launcher-populator` as the Helm chart
 * labels them), so a benchmark reads their klog through `pods/log` exactly as on a cluster, and
 * the controller's Prometheus metrics at `<podIP>:8002/metrics` once the kubelet runs its pod.
 */
import { startKubeControllers } from './api/kube-controllers.ts';
import type { PodLogSource } from './api/handler-context.ts';
import { startDualPodsController, type DualPodsOptionsInput } from './behaviour/dual-pods/index.ts';
import { send, serve } from './behaviour/http-serve.ts';
import type { ContainerBehaviour } from './behaviour/runtime.ts';
import type { TimingModel } from './behaviour/timing.ts';
import type { ClusterClock } from './clock.ts';
import type { KObject, Store } from './store-types.ts';

/** What the controllers run on. */
export interface ControllerDeps {
  store: Store;
  clock: ClusterClock;
  timing: TimingModel;
  /** The namespace the dual-pods controller watches. */
  namespace: string;
  /** The dual-pods controller's options, or false to leave it out. */
  dualPods: false | DualPodsOptionsInput;
  /** Where the controllers register the processes of their pods' containers (the kubelet runs them). */
  processes: Map<string, ContainerBehaviour>;
}

/** Running controllers. */
export interface RunningControllers {
  /** Serves the controller pods' logs; defers to `fallback` for every other pod. */
  logSource(fallback: PodLogSource): PodLogSource;
  /** Stops every controller (idempotent). */
  stop(): Promise<void>;
}

/** The controllers' Prometheus port (`FMA:pkg/observability/prom-and-debug.go`). */
const METRICS_PORT = 8002;

/** A controller pod's process: its metrics on :8002 (the log is the controller's klog, served separately). */
function metricsProcess(metrics: () => string): ContainerBehaviour {
  return (ctx) => {
    const server = serve(ctx.podIP, METRICS_PORT, { 'GET /metrics': (_req, res) => send(res, 200, metrics(), 'text/plain; version=0.0.4; charset=utf-8') }).catch(() => undefined);
    return { stop: async () => void (await (await server)?.close()) };
  };
}

/** Names of the Pods that stand for the dual-pods controller and the populator. */
export const DPC_POD = 'dual-pods-controller-sim';
export const POPULATOR_POD = 'launcher-populator-sim';

function controllerPod(name: string, component: string, namespace: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'fma-controllers', 'app.kubernetes.io/component': component } },
    spec: {
      containers: [
        {
          name: component,
          image: `ghcr.io/llm-d-incubation/llm-d-fast-model-actuation/${component}:simulated`,
          ports: [{ name: 'metrics', containerPort: METRICS_PORT }],
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
      ],
    },
  };
}

/** Starts the controllers. Bad dual-pods options throw before anything starts. */
export async function startClusterControllers(deps: ControllerDeps): Promise<RunningControllers> {
  const { store, clock, timing, namespace } = deps;
  const kube = startKubeControllers({ store, clock });
  let dpc: ReturnType<typeof startDualPodsController> | undefined;
  try {
    if (deps.dualPods !== false) {
      dpc = startDualPodsController({ store, clock, namespace, options: deps.dualPods, apiWriteMs: () => timing.apiWriteMs() });
      const controller = dpc;
      deps.processes.set(`${namespace}/${DPC_POD}/dual-pods-controller`, metricsProcess(() => controller.metricsText()));
      deps.processes.set(`${namespace}/${POPULATOR_POD}/launcher-populator`, metricsProcess(() => ''));
      store.create('pods', namespace, controllerPod(DPC_POD, 'dual-pods-controller', namespace));
      store.create('pods', namespace, controllerPod(POPULATOR_POD, 'launcher-populator', namespace));
    }
  } catch (err) {
    dpc?.stop();
    await kube.stop();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    logSource: (fallback) => (ns, pod, container, query) => {
      if (dpc && ns === namespace && pod === DPC_POD) return dpc.logText();
      if (dpc && ns === namespace && pod === POPULATOR_POD) return dpc.populatorLogText();
      return fallback(ns, pod, container, query);
    },
    stop: () =>
      (stopping ??= (async () => {
        dpc?.stop();
        await kube.stop();
      })()),
  };
}
