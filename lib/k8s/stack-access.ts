/**
 * How the client reaches a provisioned stack, in order of preference:
 * - `url`: a URL the user gives (`BENCH_PROVISION_URL`: an inference gateway, an OpenShift route,
 *   an ingress), the path real traffic takes;
 * - `cluster-ip`: the Service's ClusterIP, when it is reachable from here: in the embedded cluster
 *   simulator, where ClusterIPs are loopback addresses (127.2.x.y) with a proxy behind them;
 * - `service-dns`: `http://<service>.<namespace>.svc:<port>`, when this process runs in a pod
 *   of the cluster (`KUBERNETES_SERVICE_HOST` set and a service-account token mounted);
 * - `port-forward`: through the API server and the kubelet (`pods/portforward`) to one pod, from
 *   anywhere the kubeconfig works. It adds latency noise, and reports warn about it.
 */
import { existsSync } from 'node:fs';
import { ACCESS_MODES as SETTING_ACCESS_MODES } from '../settings/setting.ts';
import { settings } from '../settings/registry.ts';
import type { AccessMode } from '../report/model.ts';
import { SERVICEACCOUNT_TOKEN, type ClusterConnection } from './connect.ts';
import { clusterError, ClusterError } from './errors.ts';
import type { PodObject } from './pod-watch.ts';
import { startPortForward } from './port-forward.ts';
import type { StandaloneStack } from './standalone-template.ts';

export type { AccessMode } from '../report/model.ts';

/** Every access mode, as `BENCH_PROVISION_ACCESS` takes them. */
export const ACCESS_MODES: readonly AccessMode[] = SETTING_ACCESS_MODES;

/** The warning every report of a port-forwarded run carries. */
export const PORT_FORWARD_WARNING =
  'reached by port-forward: every request goes through the API server and the kubelet over a WebSocket, which adds latency noise; give a gateway or route URL (BENCH_PROVISION_URL) or run the suite inside the cluster for numbers to rely on';

/** Whether this process runs in a pod: `KUBERNETES_SERVICE_HOST` set and a service-account token mounted. */
export function runsInCluster(env: NodeJS.ProcessEnv = process.env, tokenPath = SERVICEACCOUNT_TOKEN): boolean {
  return settings(env).has('KUBERNETES_SERVICE_HOST') && existsSync(tokenPath);
}

/** The access mode when none is forced: a given URL, else the simulator's ClusterIP, else service DNS in a pod, else port-forward. */
export function chooseAccess(opts: { url?: string | undefined; simulator: boolean; inCluster: boolean }): AccessMode {
  if (opts.url) return 'url';
  if (opts.simulator) return 'cluster-ip';
  if (opts.inCluster) return 'service-dns';
  return 'port-forward';
}

/** An open way to the stack. */
export interface StackAccess {
  mode: AccessMode;
  /** Base URL of the OpenAI-compatible server. */
  baseUrl: string;
  /** What it goes through, for reports. */
  detail: string;
  /** Set for port-forward. */
  warning: string | null;
  /** Connection failures seen on the way (port-forward's error channel). */
  errors(): readonly string[];
  /** Releases it (stops a port-forward). */
  close(): Promise<void>;
}

function isReady(p: PodObject): boolean {
  return !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A Ready pod of the stack (the first by name, for a stable choice), or a `ClusterError`. */
async function readyPod(c: ClusterConnection, stack: StandaloneStack): Promise<string> {
  let pods: PodObject[];
  try {
    pods = (await c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: stack.selector })).items as unknown as PodObject[];
  } catch (err) {
    throw clusterError('CLUSTER_LIST', `listing pods (${stack.selector})`, `in namespace ${c.namespace} on ${c.server}`, err);
  }
  const ready = pods.filter(isReady).map((p) => p.metadata.name).sort();
  if (!ready[0]) throw new ClusterError('PORT_FORWARD', `port-forward: no Ready pod of Deployment ${stack.deployment.metadata.name} (${stack.selector}) in namespace ${c.namespace}`);
  return ready[0];
}

/** Opens `mode` to a rolled-out stack. `url` is required for mode `url`. */
export async function openAccess(c: ClusterConnection, stack: StandaloneStack, mode: AccessMode, url?: string): Promise<StackAccess> {
  const svc = stack.service.metadata.name ?? '';
  const base = { mode, warning: null, errors: () => [], close: async () => {} };
  switch (mode) {
    case 'url':
      if (!url) throw new ClusterError('PROVISION_ACCESS', 'access mode "url" needs a URL (BENCH_PROVISION_URL)');
      return { ...base, baseUrl: url.replace(/\/+$/, ''), detail: `given URL (in front of Service ${svc})` };
    case 'service-dns':
      return { ...base, baseUrl: `http://${svc}.${c.namespace}.svc:${stack.servicePort}`, detail: `Service ${svc} by cluster DNS` };
    case 'cluster-ip': {
      let ip: string | undefined;
      try {
        ip = ((await c.core.readNamespacedService({ namespace: c.namespace, name: svc })).spec as { clusterIP?: string } | undefined)?.clusterIP;
      } catch (err) {
        throw clusterError('CLUSTER_READ', `reading Service ${svc}`, `in namespace ${c.namespace} on ${c.server}`, err);
      }
      if (!ip || ip === 'None') throw new ClusterError('PROVISION_ACCESS', `Service ${svc} in namespace ${c.namespace} has no ClusterIP (headless): use port-forward or a URL`);
      const host = ip.includes(':') ? `[${ip}]` : ip;
      return { ...base, baseUrl: `http://${host}:${stack.servicePort}`, detail: `Service ${svc} ClusterIP ${ip}:${stack.servicePort}` };
    }
    case 'port-forward': {
      const pod = await readyPod(c, stack);
      const fwd = await startPortForward(c, pod, stack.podPort);
      return {
        mode,
        baseUrl: fwd.url,
        detail: `pod ${pod}:${stack.podPort} via the API server`,
        warning: PORT_FORWARD_WARNING,
        errors: () => fwd.errors,
        close: () => fwd.close(),
      };
    }
  }
}
