import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { addSecrets, urlSecrets } from '../config/secrets.ts';
import { settings } from '../settings/registry.ts';
import type { Env } from '../config/substitute.ts';
import { ClusterTime, type ClusterClockInfo } from './cluster-time.ts';
import { apiStatus, ClusterError, clusterError } from './errors.ts';

/** Where a pod's service-account token is mounted (in-cluster configuration). */
export const SERVICEACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where the kubeconfig came from. */
export type KubeconfigSource = 'KUBECONFIG' | 'default file' | 'in-cluster' | 'simulator' | 'file';

/** How to reach a cluster. */
export interface ClusterSpec {
  /** A kubeconfig file; default: `KUBECONFIG`, then `~/.kube/config`, then the in-cluster service account. */
  kubeconfig?: string;
  /** Context name; default: the kubeconfig's current context. */
  context?: string;
  /** Namespace; default: the context's namespace, then `default`. */
  namespace?: string;
  /** Preflight timeout in ms (real time). Default 10000. */
  timeoutMs?: number;
  /** Set by the fixture when the cluster is the embedded simulator: its clock (time scale). */
  simulator?: { clock: ClusterClockInfo };
}

/** A checked connection to one namespace of a cluster. */
export interface ClusterConnection {
  readonly kind: 'cluster' | 'simulator';
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  readonly namespace: string;
  /** API server URL (never carries credentials). */
  readonly server: string;
  readonly context: string;
  readonly source: KubeconfigSource;
  /** Server version as `/version` reports it (`v1.31.2`). */
  readonly serverVersion: string;
  /** The time axis of this cluster (scaled for the simulator). */
  readonly time: ClusterTime;
}

/** Default time scale of the embedded cluster: 50 cluster seconds per real second. */
export const DEFAULT_SIM_TIME_SCALE = 0.02;

/** The cluster to use. */
export type ClusterChoice =
  | { kind: 'simulator'; timeScale: number }
  | { kind: 'kubeconfig'; kubeconfig: string | undefined; context: string | undefined; namespace: string | undefined };

/**
 * The cluster a run's cluster fixtures use: `BENCH_CLUSTER=simulator` (or no kubeconfig anywhere:
 * no `KUBECONFIG`, no `~/.kube/config`, not in a pod) is the embedded cluster simulator at
 * `BENCH_CLUSTER_TIME_SCALE`; `BENCH_CLUSTER=kubeconfig` (or a kubeconfig found) is the real
 * cluster of the current context (`BENCH_KUBECONFIG`, `BENCH_KUBE_CONTEXT`, `BENCH_NAMESPACE`
 * choose). The caller starts or connects to it. A bad `BENCH_CLUSTER` is a config error.
 */
export function chooseCluster(env: Env): ClusterChoice {
  const s = settings(env);
  const mode = s.get('BENCH_CLUSTER') ?? (findKubeconfig(env) || s.has('BENCH_KUBECONFIG') ? 'kubeconfig' : 'simulator');
  if (mode === 'simulator') return { kind: 'simulator', timeScale: s.get('BENCH_CLUSTER_TIME_SCALE') ?? DEFAULT_SIM_TIME_SCALE };
  return { kind: 'kubeconfig', kubeconfig: s.get('BENCH_KUBECONFIG'), context: s.get('BENCH_KUBE_CONTEXT'), namespace: s.get('BENCH_NAMESPACE') };
}

/** A run id fit for a label value: the run's UTC stamp, lowercased, and 4 random characters (so parallel runs never share one). */
export function newRunId(stamp: string): string {
  return `${stamp.toLowerCase()}-${randomBytes(3).toString('hex').slice(0, 4)}`;
}

/** The kubeconfig that `loadFromDefault` would use, or null when there is none (never the localhost:8080 fallback). */
export function findKubeconfig(env: NodeJS.ProcessEnv = process.env): { source: KubeconfigSource; path?: string } | null {
  const s = settings(env);
  const fromEnv = s.get('KUBECONFIG')?.split(delimiter).filter(Boolean) ?? [];
  if (fromEnv.length > 0) return { source: 'KUBECONFIG', path: fromEnv.join(delimiter) };
  const file = join(homedir(), '.kube', 'config');
  if (existsSync(file)) return { source: 'default file', path: file };
  if (existsSync(SERVICEACCOUNT_TOKEN) && s.has('KUBERNETES_SERVICE_HOST')) return { source: 'in-cluster' };
  return null;
}

function loadKubeConfig(spec: ClusterSpec): { kc: KubeConfig; source: KubeconfigSource } {
  const kc = new KubeConfig();
  let source: KubeconfigSource;
  try {
    if (spec.kubeconfig) {
      if (!existsSync(spec.kubeconfig)) throw new ClusterError('CLUSTER_CONFIG', `kubeconfig ${spec.kubeconfig}: file not found`);
      kc.loadFromFile(spec.kubeconfig);
      source = spec.simulator ? 'simulator' : 'file';
    } else {
      const found = findKubeconfig();
      if (!found) {
        throw new ClusterError(
          'CLUSTER_CONFIG',
          'no Kubernetes cluster configured: set KUBECONFIG, create ~/.kube/config, or run inside a cluster (unset BENCH_CLUSTER to use the embedded cluster simulator)',
        );
      }
      kc.loadFromDefault();
      source = found.source;
    }
  } catch (err) {
    if (err instanceof ClusterError) throw err;
    throw new ClusterError('CLUSTER_CONFIG', `kubeconfig: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (spec.context) {
    if (!kc.getContextObject(spec.context)) {
      const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
      throw new ClusterError('CLUSTER_CONFIG', `kubeconfig: no context "${spec.context}" (contexts: ${known})`);
    }
    kc.setCurrentContext(spec.context);
  }
  if (!kc.getCurrentCluster()) throw new ClusterError('CLUSTER_CONFIG', `kubeconfig (${source}): the current context names no cluster`);
  registerKubeconfigSecrets(kc);
  return { kc, source };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms / 1000} s`), { code: 'ETIMEDOUT_PREFLIGHT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer)) as Promise<T>;
}

/** The kubeconfig's credentials (tokens, passwords, client keys, URL credentials) are secrets of the run. */
function registerKubeconfigSecrets(kc: KubeConfig): void {
  for (const u of kc.getUsers()) {
    const user = u as { token?: string; password?: string; keyData?: string; certData?: string };
    addSecrets(user.token, user.password, user.keyData);
  }
  for (const c of kc.getClusters()) addSecrets(...urlSecrets(c.server));
}

/** The server URL without any userinfo. */
function safeServer(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * Loads the kubeconfig, then checks before anything is created: the API server answers
 * `/version` within the timeout, and the namespace exists and is readable. Every failure is one
 * `ClusterError` line naming the server and namespace.
 */
export async function connectCluster(spec: ClusterSpec = {}): Promise<ClusterConnection> {
  const { kc, source } = loadKubeConfig(spec);
  const server = safeServer(kc.getCurrentCluster()?.server ?? '');
  const contextNs = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const namespace = spec.namespace ?? contextNs ?? 'default';
  const timeoutMs = spec.timeoutMs ?? 10_000;
  let serverVersion: string;
  try {
    const v = await withTimeout(kc.makeApiClient(VersionApi).getCode(), timeoutMs, 'version');
    serverVersion = v.gitVersion;
  } catch (err) {
    throw clusterError('CLUSTER_UNREACHABLE', 'cluster', `${server} (${source})`, err);
  }
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await withTimeout(core.readNamespace({ name: namespace }), timeoutMs, 'namespace');
  } catch (err) {
    if (apiStatus(err) === 404) throw new ClusterError('CLUSTER_NAMESPACE', `namespace "${namespace}" not found on ${server} (set BENCH_NAMESPACE or the context's namespace)`);
    // 403 on reading the namespace object itself is common for namespace-scoped users: go on, the permission check decides.
    if (apiStatus(err) !== 403) throw clusterError('CLUSTER_NAMESPACE', `reading namespace "${namespace}"`, `on ${server}`, err);
  }
  return {
    kind: spec.simulator ? 'simulator' : 'cluster',
    kc,
    core,
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    namespace,
    server,
    context: kc.getCurrentContext(),
    source,
    serverVersion,
    time: spec.simulator ? new ClusterTime(spec.simulator.clock) : ClusterTime.wall(),
  };
}

/** A permission a suite needs: `verb` on `resource` (with `subresource`) in API `group`. */
export interface Permission {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
}

/**
 * Asks the API server (SelfSubjectAccessReview) whether the kubeconfig user may do each of
 * `needs` in the connection's namespace, and throws one error listing every denied permission.
 * A server without the authorization API (404) is not checked; the first denied call then fails.
 */
export async function checkPermissions(conn: ClusterConnection, needs: Permission[]): Promise<void> {
  const authz = conn.kc.makeApiClient(AuthorizationV1Api);
  const denied: string[] = [];
  for (const need of needs) {
    try {
      const review = await authz.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace: conn.namespace, verb: need.verb, resource: need.resource, group: need.group ?? '', subresource: need.subresource } },
        },
      });
      if (!review.status?.allowed) denied.push(`${need.verb} ${need.resource}${need.subresource ? `/${need.subresource}` : ''}${need.group ? ` (${need.group})` : ''}`);
    } catch (err) {
      if (apiStatus(err) === 404) return;
      throw clusterError('CLUSTER_RBAC', 'checking permissions', `in namespace ${conn.namespace} on ${conn.server}`, err);
    }
  }
  if (denied.length > 0) {
    throw new ClusterError('CLUSTER_RBAC', `RBAC: the kubeconfig user may not ${denied.join(', ')} in namespace ${conn.namespace} on ${conn.server} (the README lists the verbs the suites need)`);
  }
}
