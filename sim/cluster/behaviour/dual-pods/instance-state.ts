/**
 * The desired launcher instance of a requester and the metadata that binds it to a launcher Pod
 * (protocol section 2.4 "Binding" and "Routing labels"; `computeDesiredInstanceState`,
 * `applyControllerMetadataToLauncherPod`, `validateISCRoutingMetadata`,
 * `recoverInstanceStateFromLauncherPod`). The ISC's routing labels and annotations are recorded
 * in `isc-routing-metadata` at bind time and put on the Pod only once the instance serves
 * (FMA#629).
 */
import type { KObject } from '../../store-types.ts';
import { instanceId, vllmConfig, type ModelServerConfig, type VllmConfig } from './instance-id.ts';
import type { DualPodsKeys } from './keys.ts';
import type { ServerData } from './server-data.ts';

/** What a requester wants from a launcher. */
export interface InstancePlan {
  cfg: VllmConfig;
  instanceId: string;
  serverPort: number;
  iscLabels: Record<string, string>;
  iscAnnotations: Record<string, string>;
}

/** `computeDesiredInstanceState` from an ISC and the requester's GPUs. */
export function desiredInstance(isc: KObject, gpuIds: readonly string[]): InstancePlan {
  const msc = ((isc.spec as { modelServerConfig?: ModelServerConfig } | undefined)?.modelServerConfig ?? { port: 0 }) as ModelServerConfig;
  if (!Number.isInteger(msc.port) || msc.port < 1 || msc.port > 65535) throw new Error(`modelServerConfig.port ${String(msc.port)} is not in 1-65535`);
  return {
    cfg: vllmConfig(isc.metadata.name ?? '', msc, gpuIds),
    instanceId: instanceId(msc, gpuIds),
    serverPort: msc.port,
    iscLabels: { ...(msc.labels ?? {}) },
    iscAnnotations: { ...(msc.annotations ?? {}) },
  };
}

const QUALIFIED = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** `validateISCRoutingMetadata`: qualified names, reserved prefixes, collisions, label values. */
export function validateRouting(pod: KObject, keys: DualPodsKeys, labels: Record<string, string>, annotations: Record<string, string>): string[] {
  const reserved = [keys.prefix, 'kubernetes.io/', 'k8s.io/'];
  const problems: string[] = [];
  const check = (kind: 'label' | 'annotation', k: string, existing: Record<string, string> | undefined) => {
    if (!QUALIFIED.test(k) || k.length > 316) problems.push(`ISC ${kind} key "${k}" is not a valid qualified name`);
    else if (reserved.some((p) => k.startsWith(p))) problems.push(`ISC ${kind} key "${k}" uses a reserved prefix`);
    else if (existing && k in existing) problems.push(`ISC ${kind} key "${k}" collides with existing pod ${kind}`);
  };
  for (const [k, v] of Object.entries(labels)) {
    check('label', k, pod.metadata.labels);
    if (v.length > 63 || !LABEL_VALUE.test(v)) problems.push(`ISC label value "${v}" for key "${k}" is not valid`);
  }
  for (const k of Object.keys(annotations)) check('annotation', k, pod.metadata.annotations);
  return problems;
}

/** Writes `instance-id`, `server-port`, `vllm-config`, `isc-routing-metadata` on a launcher Pod (mutates it). */
export function applyInstanceMetadata(pod: KObject, keys: DualPodsKeys, plan: InstancePlan): string[] {
  const problems = validateRouting(pod, keys, plan.iscLabels, plan.iscAnnotations);
  if (problems.length > 0) return problems;
  const routing: Record<string, unknown> = {};
  if (Object.keys(plan.iscLabels).length > 0) routing.labels = plan.iscLabels;
  if (Object.keys(plan.iscAnnotations).length > 0) routing.annotations = plan.iscAnnotations;
  pod.metadata.annotations = {
    ...(pod.metadata.annotations ?? {}),
    [keys.instanceId]: plan.instanceId,
    [keys.serverPort]: String(plan.serverPort),
    [keys.vllmConfig]: JSON.stringify(plan.cfg),
    [keys.iscRoutingMetadata]: JSON.stringify(routing),
  };
  return [];
}

/** `commitInstanceState`. */
export function commitInstance(sd: ServerData, plan: InstancePlan): void {
  sd.instanceId = plan.instanceId;
  sd.instanceConfig = plan.cfg;
  sd.serverPort = plan.serverPort;
  sd.iscLabels = plan.iscLabels;
  sd.iscAnnotations = plan.iscAnnotations;
}

/** `recoverInstanceStateFromLauncherPod` (after a restart the annotations are the memory). Throws on missing data. */
export function recoverInstance(sd: ServerData, pod: KObject, keys: DualPodsKeys): void {
  if (sd.instanceId) return;
  const a = pod.metadata.annotations ?? {};
  const name = pod.metadata.name ?? '';
  for (const key of [keys.instanceId, keys.serverPort, keys.vllmConfig, keys.iscRoutingMetadata]) {
    if (!(key in a) || (key === keys.instanceId && !a[key])) throw new Error(`bound launcher Pod "${name}" is missing annotation "${key}"`);
  }
  const port = Number(a[keys.serverPort]);
  if (!Number.isInteger(port)) throw new Error(`bound launcher Pod "${name}" has invalid annotation "${keys.serverPort}" value "${a[keys.serverPort]}"`);
  let cfg: VllmConfig;
  let routing: { labels?: Record<string, string>; annotations?: Record<string, string> };
  try {
    cfg = JSON.parse(a[keys.vllmConfig]!) as VllmConfig;
    routing = JSON.parse(a[keys.iscRoutingMetadata]!) as typeof routing;
  } catch (err) {
    throw new Error(`bound launcher Pod "${name}" has an invalid instance annotation: ${(err as Error).message}`);
  }
  sd.instanceId = a[keys.instanceId];
  sd.instanceConfig = cfg;
  sd.serverPort = port;
  sd.iscLabels = routing.labels ?? {};
  sd.iscAnnotations = routing.annotations ?? {};
  const labels = pod.metadata.labels ?? {};
  sd.labelsApplied =
    Object.entries(sd.iscLabels).every(([k, v]) => labels[k] === v) && Object.entries(sd.iscAnnotations).every(([k, v]) => a[k] === v);
}
