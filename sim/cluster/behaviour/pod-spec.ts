/**
 * Reading a Pod spec the way the scheduler and the kubelet do: containers, the `nvidia.com/gpu`
 * request, environment variables (values and the downward API's `fieldRef`), `$(VAR)` expansion
 * in command and args, and named ports. Objects are plain JSON, so everything here is defensive.
 */
import type { KObject } from '../store-types.ts';

/** The GPU extended resource. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** An HTTP probe (`httpGet`) with the kubelet's defaults filled in later. */
export interface ProbeSpec {
  httpGet?: { path?: string; port?: number | string; host?: string; scheme?: string; httpHeaders?: Array<{ name: string; value: string }> };
  tcpSocket?: { port?: number | string; host?: string };
  exec?: { command?: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

/** The container fields the simulator reads. */
export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: {
      fieldRef?: { fieldPath?: string };
      configMapKeyRef?: { name?: string; key?: string; optional?: boolean };
      secretKeyRef?: { name?: string; key?: string; optional?: boolean };
    };
  }>;
  envFrom?: Array<{ prefix?: string; configMapRef?: { name?: string; optional?: boolean }; secretRef?: { name?: string; optional?: boolean } }>;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
  workingDir?: string;
  ports?: Array<{ name?: string; containerPort?: number; protocol?: string }>;
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
  readinessProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
}

/** The pod fields the simulator reads, typed. */
export interface PodView {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName: string | undefined;
  containers: ContainerSpec[];
  initContainers: ContainerSpec[];
  nodeSelector: Record<string, string>;
  affinity: unknown;
  deleting: boolean;
  phase: string | undefined;
}

/** `spec`/`status` as loose records. */
export function spec(pod: KObject): Record<string, unknown> {
  return (pod.spec ?? {}) as Record<string, unknown>;
}

/** A typed view of the fields the simulator reads. */
export function viewPod(pod: KObject): PodView {
  const s = spec(pod);
  const status = (pod.status ?? {}) as Record<string, unknown>;
  return {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name ?? '',
    uid: pod.metadata.uid ?? '',
    labels: pod.metadata.labels ?? {},
    annotations: pod.metadata.annotations ?? {},
    nodeName: typeof s.nodeName === 'string' && s.nodeName !== '' ? s.nodeName : undefined,
    containers: Array.isArray(s.containers) ? (s.containers as ContainerSpec[]) : [],
    initContainers: Array.isArray(s.initContainers) ? (s.initContainers as ContainerSpec[]) : [],
    nodeSelector: (s.nodeSelector ?? {}) as Record<string, string>,
    affinity: s.affinity,
    deleting: Boolean(pod.metadata.deletionTimestamp),
    phase: typeof status.phase === 'string' ? status.phase : undefined,
  };
}

/** A resource quantity as a number (`"1"`, `2`, `"500m"`); 0 when absent or unparsable. */
export function quantity(value: string | number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^([0-9.]+)(m?)$/.exec(value.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === 'm' ? n / 1000 : n;
}

function containerGpus(c: ContainerSpec): number {
  // Extended resources must have limit == request; the limit is what the device plugin honours.
  return Math.floor(quantity(c.resources?.limits?.[GPU_RESOURCE] ?? c.resources?.requests?.[GPU_RESOURCE]));
}

/** GPUs a pod needs: the sum over containers, or the largest init container if more (Kubernetes' effective request). */
export function podGpuRequest(pod: PodView): number {
  const sum = pod.containers.reduce((s, c) => s + containerGpus(c), 0);
  const init = pod.initContainers.reduce((m, c) => Math.max(m, containerGpus(c)), 0);
  return Math.max(sum, init);
}

/** The value of a downward-API field path for this pod (the subset the simulator serves). */
export function fieldValue(pod: KObject, path: string, podIP: string, hostIP: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return String(spec(pod).nodeName ?? '');
    case 'spec.serviceAccountName':
      return String(spec(pod).serviceAccountName ?? 'default');
    case 'status.podIP':
      return podIP;
    case 'status.hostIP':
      return hostIP;
    default:
      return '';
  }
}

/** Expands `$(VAR)` references as the kubelet does (`$$` escapes; unknown references stay verbatim). */
export function expandVars(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && Object.hasOwn(env, name) ? env[name]! : whole;
  });
}

/**
 * A container whose configuration the kubelet cannot build (`CreateContainerConfigError`): a
 * ConfigMap, Secret or key its environment names does not exist. The message is the kubelet's.
 */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/** Where `configMapKeyRef`, `secretKeyRef` and `envFrom` read from; `strict` fails on a missing non-optional reference as the kubelet does. */
export interface EnvSources {
  configMap(name: string): Record<string, string> | undefined;
  /** The secret's data, decoded. */
  secret(name: string): Record<string, string> | undefined;
  strict: boolean;
}

/** ConfigMap and Secret readers over the store, for {@link containerEnv}. */
export function storeEnvSources(store: { get(resource: string, namespace: string | undefined, name: string): KObject | undefined }, namespace: string, strict: boolean): EnvSources {
  return {
    strict,
    configMap(name) {
      const cm = store.get('configmaps', namespace, name);
      if (!cm) return undefined;
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries((cm.data ?? {}) as Record<string, string>)) out[k] = String(v);
      for (const [k, v] of Object.entries((cm.binaryData ?? {}) as Record<string, string>)) out[k] = Buffer.from(String(v), 'base64').toString('utf8');
      return out;
    },
    secret(name) {
      const s = store.get('secrets', namespace, name);
      if (!s) return undefined;
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries((s.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(String(v), 'base64').toString('utf8');
      return out;
    },
  };
}

/**
 * A container's environment as the kubelet builds it: `envFrom` first (ConfigMaps and Secrets,
 * with `prefix`), then `env` in declaration order (`value` with `$(VAR)` expanded against earlier
 * entries, `fieldRef`, `configMapKeyRef`, `secretKeyRef`). Without `sources` (or when not
 * strict) a missing reference gives an empty value; strict, it throws a
 * {@link ContainerConfigError} with the kubelet's message unless the reference is `optional`.
 */
export function containerEnv(pod: KObject, c: ContainerSpec, podIP: string, hostIP: string, base: Record<string, string> = {}, sources?: EnvSources): Record<string, string> {
  const env: Record<string, string> = { ...base };
  const namespace = pod.metadata.namespace ?? 'default';
  const fail = (optional: boolean | undefined, message: string): void => {
    if (sources?.strict && !optional) throw new ContainerConfigError(message);
  };
  for (const from of c.envFrom ?? []) {
    const prefix = from?.prefix ?? '';
    if (from?.configMapRef?.name !== undefined) {
      const data = sources?.configMap(from.configMapRef.name);
      if (!data) fail(from.configMapRef.optional, `configmap "${from.configMapRef.name}" not found`);
      for (const [k, v] of Object.entries(data ?? {})) env[prefix + k] = v;
    } else if (from?.secretRef?.name !== undefined) {
      const data = sources?.secret(from.secretRef.name);
      if (!data) fail(from.secretRef.optional, `secret "${from.secretRef.name}" not found`);
      for (const [k, v] of Object.entries(data ?? {})) env[prefix + k] = v;
    }
  }
  for (const e of c.env ?? []) {
    if (!e?.name) continue;
    const vf = e.valueFrom;
    if (e.value !== undefined) env[e.name] = expandVars(String(e.value), env);
    else if (vf?.fieldRef?.fieldPath) env[e.name] = fieldValue(pod, vf.fieldRef.fieldPath, podIP, hostIP);
    else if (vf?.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const data = sources?.configMap(ref.name ?? '');
      const value = data?.[ref.key ?? ''];
      if (!data) fail(ref.optional, `configmap "${ref.name ?? ''}" not found`);
      else if (value === undefined) fail(ref.optional, `couldn't find key ${ref.key ?? ''} in ConfigMap ${namespace}/${ref.name ?? ''}`);
      if (value !== undefined) env[e.name] = value;
      else if (!ref.optional) env[e.name] = '';
    } else if (vf?.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const data = sources?.secret(ref.name ?? '');
      const value = data?.[ref.key ?? ''];
      if (!data) fail(ref.optional, `secret "${ref.name ?? ''}" not found`);
      else if (value === undefined) fail(ref.optional, `couldn't find key ${ref.key ?? ''} in Secret ${namespace}/${ref.name ?? ''}`);
      if (value !== undefined) env[e.name] = value;
      else if (!ref.optional) env[e.name] = '';
    } else env[e.name] = '';
  }
  return env;
}

/** The container's command line (command then args) with `$(VAR)` expanded. */
export function commandLine(c: ContainerSpec, env: Readonly<Record<string, string>>): string[] {
  return [...(c.command ?? []), ...(c.args ?? [])].map((a) => expandVars(String(a), env));
}

/** A probe's port: a number, a numeric string, or the name of one of the container's ports (`http` alone maps to 80 when undeclared). */
export function resolvePort(c: ContainerSpec, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port)?.containerPort;
  if (named !== undefined) return named;
  return port === 'http' ? 80 : undefined;
}
