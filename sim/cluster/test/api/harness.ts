/*
 * A simulated control plane for tests: store, kube controllers and HTTP API server, a kubeconfig
 * written to a temporary folder and the REAL @kubernetes/client-node loaded from it. Nothing here
 * mocks the client; tests stand in for the kubelet by writing pod status into the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { ClusterClock } from '../../clock.ts';
import type { KObject } from '../../store-types.ts';
import { createStore, startApiServer, startKubeControllers, writeKubeconfig, type ApiServer, type ApiServerOptions, type ClusterStore, type KubeControllers, type StoreOptions } from '../../api/index.ts';

/** A running simulated control plane with real clients. */
export interface Plane {
  clock: ClusterClock;
  store: ClusterStore;
  server: ApiServer;
  controllers: KubeControllers | undefined;
  kubeconfigPath: string;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  close(): Promise<void>;
}

/** Options: time scale (default 0.01), store options, whether to run the controllers (default true), server hooks. */
export interface PlaneOptions {
  timeScale?: number;
  store?: StoreOptions;
  controllers?: boolean;
  server?: Partial<Omit<ApiServerOptions, 'store' | 'clock'>>;
  namespace?: string;
}

/** Starts a control plane, creates `namespace` (default `bench`) and returns clients for it. */
export async function startPlane(opts: PlaneOptions = {}): Promise<Plane> {
  const clock = new ClusterClock(opts.timeScale ?? 0.01);
  const store = createStore(clock, opts.store);
  const controllers = opts.controllers === false ? undefined : startKubeControllers({ store, clock });
  const server = await startApiServer({ store, clock, ...opts.server });
  const dir = mkdtempSync(join(tmpdir(), 'sim-api-'));
  const kubeconfigPath = join(dir, 'kubeconfig.yaml');
  const namespace = opts.namespace ?? 'bench';
  await writeKubeconfig(kubeconfigPath, { url: server.url, namespace, token: 'test-token' });
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  return {
    clock,
    store,
    server,
    controllers,
    kubeconfigPath,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    async close() {
      await controllers?.stop();
      await server.close();
      store.close();
      clock.stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a value other than undefined/false (or throws the last error after `timeoutMs`). */
export async function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      lastErr = undefined;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The error a client call rejected with (fails the test when it resolved). */
export async function apiError(p: Promise<unknown>): Promise<{ code: number; status: { message: string; reason: string; code: number; details?: Record<string, unknown> } }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return { code: err.code, status: body };
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** Stands in for the scheduler and kubelet: binds the pod, gives it an IP and sets Running + Ready (or not ready). */
export function runPod(store: ClusterStore, clock: ClusterClock, namespace: string, name: string, ip: string, ready = true): KObject | undefined {
  return store.mutate('pods', namespace, name, (o) => {
    (o.spec as Record<string, unknown>).nodeName = 'node-1';
    const now = clock.kubeTimestamp();
    o.status = {
      ...(o.status as object),
      phase: 'Running',
      podIP: ip,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
      ],
    };
  });
}

/** A minimal pod template with labels. */
export function podTemplate(labels: Record<string, string>, image = 'registry.example/app:1', httpPort = 8000): { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ name: string; image: string; ports?: Array<{ name: string; containerPort: number }> }> } } {
  return { metadata: { labels }, spec: { containers: [{ name: 'app', image, ports: [{ name: 'http', containerPort: httpPort }] }] } };
}

/** A port unlikely to be taken on loopback addresses by other simulators running on the machine. */
export function oddPort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}
