/*
 * Test harness for the cluster simulator's behaviour: starts it in this process and talks to it
 * only through the real `@kubernetes/client-node` (kubeconfig loaded from the file it wrote),
 * plus plain HTTP to pod IPs. Waiting is bounded everywhere, so a broken simulator fails a test
 * with a message instead of hanging it.
 */
import { AppsV1Api, CoreV1Api, KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { startClusterSim, type ClusterSim, type ClusterSimOptionsInput } from '../index.ts';
import type { SimState } from '../sim-state.ts';

/** A running simulator and clients bound to it. */
export interface SimHarness {
  sim: ClusterSim;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  ns: string;
  /** Cluster ms since 1970, now. */
  now(): number;
  /** `GET /sim/state`. */
  state(): Promise<SimState>;
  /** Reads a pod. */
  pod(name: string): Promise<V1Pod>;
  /** Polls `fn` every 10 ms of real time until it returns a value other than undefined/false; fails after `realMs`. */
  until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, realMs?: number): Promise<T>;
  /** Watches pods of the namespace with the client's Watch; records every event with its cluster arrival time. */
  watchPods(): Promise<{ events: Array<{ type: string; pod: V1Pod; atMs: number }>; stop(): void }>;
  close(): Promise<void>;
}

/**
 * Time scale of the tests that bound modelled delays from above: 50 ms of real time per cluster
 * second, so {@link TIMING_SLACK_MS} (200 ms of real event-loop delay on a busy 2-core machine)
 * is 4 cluster seconds.
 */
export const TIMING_SCALE = 0.05;
/** Cluster ms an upper bound allows for real delays at {@link TIMING_SCALE}. */
export const TIMING_SLACK_MS = 200 / TIMING_SCALE;

/** Test defaults: no dual-pods controller, no jitter, 0.01 s of real time per cluster second. */
export async function openSim(options: ClusterSimOptionsInput = {}): Promise<SimHarness> {
  const sim = await startClusterSim({ timeScale: 0.01, dualPods: false, ...options, timing: { jitter: 0, ...options.timing } });
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const ns = sim.namespace;
  const stops: Array<() => void> = [];
  const h: SimHarness = {
    sim,
    kc,
    core,
    apps,
    ns,
    now: () => sim.clock.nowMs(),
    state: async () => (await (await fetch(`${sim.url}/sim/state`)).json()) as SimState,
    pod: (name) => core.readNamespacedPod({ name, namespace: ns }),
    async until(what, fn, realMs = 15_000) {
      const deadline = performance.now() + realMs;
      let last: unknown;
      for (;;) {
        try {
          const v = await fn();
          if (v !== undefined && v !== false) return v as never;
        } catch (err) {
          last = err;
        }
        if (performance.now() > deadline) throw new Error(`timed out after ${realMs} ms of real time waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async watchPods() {
      const events: Array<{ type: string; pod: V1Pod; atMs: number }> = [];
      const req = await new Watch(kc).watch(`/api/v1/namespaces/${ns}/pods`, {}, (type: string, pod: V1Pod) => events.push({ type, pod, atMs: sim.clock.nowMs() }), () => {});
      const stop = () => req.abort();
      stops.push(stop);
      return { events, stop };
    },
    async close() {
      for (const s of stops) s();
      await sim.close();
    },
  };
  return h;
}

/** A pod's condition, or undefined. */
export function condition(pod: V1Pod, type: string): { status: string; lastTransitionTime?: Date; reason?: string; message?: string } | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** Cluster ms of a whole-second API timestamp (the client parses them into Date). */
export function ms(t: Date | string | undefined): number {
  if (t === undefined) throw new Error('timestamp missing');
  return t instanceof Date ? t.getTime() : Date.parse(t);
}

/** A plain container that declares `port` and is probed there. */
export function probedContainer(name: string, port: number, probe: { initialDelaySeconds?: number; periodSeconds?: number; path?: string; probePort?: number } = {}) {
  return {
    name,
    image: 'registry.example/app:1.0',
    ports: [{ containerPort: port }],
    readinessProbe: { httpGet: { path: probe.path ?? '/healthz', port: probe.probePort ?? port }, initialDelaySeconds: probe.initialDelaySeconds ?? 0, periodSeconds: probe.periodSeconds ?? 5 },
  };
}
