/**
 * A cluster for the controller's integration tests: the simulator (store, API server, nodes,
 * scheduler, kubelet with the real requester, vLLM and launcher processes on 127.x pod IPs)
 * started without its own dual-pods controller, and this controller started on its store and
 * clock, exactly as the composer wires it. Requester Pods are created directly, as a ReplicaSet
 * would create them; "scaling down" deletes one.
 */
import { startClusterSim, type ClusterSim } from '../../cluster-sim.ts';
import { dualPodsKeys, startDualPodsController, type DualPodsController, type DualPodsOptionsInput } from '../../behaviour/dual-pods/index.ts';
import type { KObject } from '../../store-types.ts';

/** One test cluster. */
export interface Harness {
  sim: ClusterSim;
  dpc: DualPodsController;
  ns: string;
  keys: ReturnType<typeof dualPodsKeys>;
  pod(name: string): KObject | undefined;
  pods(): KObject[];
  create(resource: string, obj: KObject): KObject;
  /** Polls `fn` until it returns a truthy value; fails after `clusterMs` of cluster time with the controller's log tail. */
  waitFor<T>(what: string, fn: () => T | undefined | false, clusterMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** Starts the simulator and the controller. */
export async function startHarness(opts: { dpc?: DualPodsOptionsInput; gpusPerNode?: number; nodes?: number; timeScale?: number } = {}): Promise<Harness> {
  const sim = await startClusterSim({ timeScale: opts.timeScale ?? 0.01, nodes: opts.nodes ?? 1, gpusPerNode: opts.gpusPerNode ?? 1, dualPods: false, seed: 7 });
  const dpc = startDualPodsController({ store: sim.store, clock: sim.clock, namespace: sim.namespace, options: opts.dpc });
  const ns = sim.namespace;
  const h: Harness = {
    sim,
    dpc,
    ns,
    keys: dualPodsKeys(opts.dpc?.legacyNaming ?? false),
    pod: (name) => sim.store.get('pods', ns, name),
    pods: () => sim.store.list('pods', ns).items,
    create: (resource, obj) => sim.store.create(resource, ns, obj),
    async waitFor<T>(what: string, fn: () => T | undefined | false, clusterMs = 600_000): Promise<T> {
      const deadline = sim.clock.nowMs() + clusterMs;
      for (;;) {
        const v = fn();
        if (v) return v;
        if (sim.clock.nowMs() > deadline) {
          const tail = (text: string) => text.split('\n').slice(-15).join('\n');
          throw new Error(`timed out after ${clusterMs / 1000} cluster s waiting for ${what}; controller log tail:\n${tail(dpc.logText())}\npopulator log tail:\n${tail(dpc.populatorLogText())}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      dpc.stop();
      await sim.close();
    },
  };
  return h;
}

/** Whether a Pod's Ready condition is True. */
export function isReady(pod: KObject | undefined): boolean {
  return ((pod?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Log lines containing every fragment. */
export function logLines(log: string, ...fragments: string[]): string[] {
  return log.split('\n').filter((l) => fragments.every((f) => l.includes(f)));
}

/** The value of one sample in a Prometheus exposition, or undefined. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A direct-path `server-patch`: vLLM with sleep mode on port 8000, the `app` label taken away. */
export function directPatch(model = 'ibm-granite/granite-3.3-2b-instruct'): string {
  return [
    'metadata:',
    '  labels:',
    '    app: null',
    '    role: provider',
    'spec:',
    '  containers:',
    '  - name: inference-server',
    '    image: vllm/vllm-openai:v0.10.2',
    `    command: ["vllm", "serve", "--port=8000", "--model=${model}", "--enable-sleep-mode", "--gpu-memory-utilization=0.8"]`,
    '    env:',
    '    - name: VLLM_SERVER_DEV_MODE',
    '      value: "1"',
    '    readinessProbe:',
    '      httpGet: {path: /health, port: 8000}',
    '      initialDelaySeconds: 5',
    '      periodSeconds: 5',
    '    resources:',
    '      limits: {cpu: "2", memory: 9Gi}',
    '',
  ].join('\n');
}

/** A requester Pod as a ReplicaSet of the FMA examples creates it (protocol 2.3, 6.1). */
export function requesterPod(name: string, annotations: Record<string, string>): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'dp-example' }, annotations },
    spec: {
      containers: [
        {
          name: 'inference-server',
          image: 'ghcr.io/llm-d-incubation/llm-d-fast-model-actuation/requester:latest',
          ports: [
            { name: 'probes', containerPort: 8080 },
            { name: 'spi', containerPort: 8081 },
          ],
          readinessProbe: { httpGet: { path: '/ready', port: 8080 }, initialDelaySeconds: 2, periodSeconds: 5 },
          resources: { limits: { 'nvidia.com/gpu': '1', cpu: '1', memory: '250Mi' } },
        },
      ],
    },
  };
}

/** A LauncherConfig whose launcher runs the FMA launcher (protocol 5, "CRDs"). */
export function launcherConfig(name: string, maxInstances: number): KObject {
  return {
    apiVersion: 'fma.llm-d.ai/v1alpha1',
    kind: 'LauncherConfig',
    metadata: { name },
    spec: {
      maxInstances,
      podTemplate: {
        spec: {
          containers: [
            {
              name: 'inference-server',
              image: 'ghcr.io/llm-d-incubation/llm-d-fast-model-actuation/launcher:latest',
              command: ['python3', 'launcher.py', '--mock-gpus'],
              resources: { limits: { cpu: '2', memory: '8Gi' } },
            },
          ],
        },
      },
    },
  };
}

/** An InferenceServerConfig serving `model` with sleep mode on `port` (protocol 5, "CRDs"). */
export function inferenceServerConfig(name: string, lcName: string, port: number, model: string): KObject {
  return {
    apiVersion: 'fma.llm-d.ai/v1alpha1',
    kind: 'InferenceServerConfig',
    metadata: { name },
    spec: {
      launcherConfigName: lcName,
      modelServerConfig: {
        port,
        options: `--model ${model} --enable-sleep-mode --gpu-memory-utilization 0.4`,
        env_vars: { VLLM_SERVER_DEV_MODE: '1' },
        labels: { 'llm-d.ai/inferenceServing': 'true' },
      },
    },
  };
}
