/**
 * Launcher Pods built from a LauncherConfig (protocol section 2.4 "Cold launcher creation",
 * section 9.1 "Launcher Pod"; `BuildNodeIndependentLauncherTemplate` and
 * `SpecializeLauncherTemplateToNode`), shared by the controller's cold path and the populator.
 *
 * The node-independent template is the LauncherConfig's `podTemplate`, de-individualised, with:
 * labels `app.kubernetes.io/component=launcher` and `<prefix>launcher-config-name`; forced env
 * `PYTHONPATH=/app`, `NVIDIA_VISIBLE_DEVICES=all`, `NVIDIA_DRIVER_CAPABILITIES=compute,utility`,
 * `VLLM_SERVER_DEV_MODE=1` on the `inference-server` container; liveness `GET /health :8001`
 * (10 s initial delay, 20 s period) and readiness `GET /v2/vllm/instances :8001` (2 s, 5 s, 2 s
 * timeout); `nvidia.com/gpu` forced to 0; the `state-change-reflector` sidecar running
 * `launcher_pod_notifier.py`. Its hash is the `launcher-populator-template-hash`.
 * Specialising adds the node: label `node-name`, label `sleeping=true`, `nodeSelector
 * kubernetes.io/hostname`, and the node-specific `launcher-config-hash` by which the controller
 * finds candidates.
 */
import type { KObject } from '../../store-types.ts';
import { base64RawStd, cloneJson, goJson, sha256 } from './canonical-json.ts';
import {
  COMPONENT_LABEL,
  FMA_API_VERSION,
  GPU_RESOURCE,
  HOSTNAME_LABEL,
  INFERENCE_SERVER_CONTAINER,
  LAUNCHER_COMPONENT,
  LAUNCHER_PORT,
  type DualPodsKeys,
} from './keys.ts';
import { deIndividualize } from './nominal-pod.ts';

type JsonMap = Record<string, unknown>;
interface Container extends JsonMap {
  name: string;
  image?: string;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
}

/** The sidecar that reports instance changes as a Pod annotation (section 5, "Notifier sidecar"). */
export const NOTIFIER_CONTAINER = 'state-change-reflector';

const FORCED_ENV: ReadonlyArray<[string, string]> = [
  ['PYTHONPATH', '/app'],
  ['NVIDIA_VISIBLE_DEVICES', 'all'],
  ['NVIDIA_DRIVER_CAPABILITIES', 'compute,utility'],
  ['VLLM_SERVER_DEV_MODE', '1'],
];

/** A LauncherConfig's node-independent launcher template and its hash. */
export interface LauncherTemplate {
  lcName: string;
  template: KObject;
  templateHash: string;
  ownerRef: NonNullable<KObject['metadata']['ownerReferences']>[number];
}

/** Builds the node-independent template (throws with a message for the LauncherConfig's status). */
export function buildLauncherTemplate(lc: KObject, keys: DualPodsKeys, namespace: string): LauncherTemplate {
  const lcName = lc.metadata.name ?? '';
  const spec = (lc.spec ?? {}) as { podTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: JsonMap } };
  const podSpec = deIndividualize((spec.podTemplate?.spec ?? {}) as JsonMap) as JsonMap & { containers?: Container[] };
  const containers = podSpec.containers ?? [];
  const main = containers.find((c) => c.name === INFERENCE_SERVER_CONTAINER);
  if (!main) throw new Error(`container "${INFERENCE_SERVER_CONTAINER}" not found in the podTemplate of LauncherConfig ${lcName}`);
  const env = (main.env ??= []);
  for (const [name, value] of FORCED_ENV) {
    const e = env.find((x) => x.name === name);
    if (e) {
      e.value = value;
      delete e.valueFrom;
    } else env.push({ name, value });
  }
  main.livenessProbe = { httpGet: { path: '/health', port: LAUNCHER_PORT, scheme: 'HTTP' }, initialDelaySeconds: 10, periodSeconds: 20, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
  main.readinessProbe = { httpGet: { path: '/v2/vllm/instances', port: LAUNCHER_PORT, scheme: 'HTTP' }, initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 2, successThreshold: 1, failureThreshold: 3 };
  const resources = (main.resources ??= {});
  (resources.limits ??= {})[GPU_RESOURCE] = '0';
  if (resources.requests) resources.requests[GPU_RESOURCE] = '0';
  if (!containers.some((c) => c.name === NOTIFIER_CONTAINER)) {
    containers.push({
      name: NOTIFIER_CONTAINER,
      image: main.image,
      command: ['python3', '/app/launcher_pod_notifier.py'],
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ],
    });
  }
  podSpec.containers = containers;
  const template: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `launcher-${lcName}-`,
      namespace,
      labels: { ...(spec.podTemplate?.metadata?.labels ?? {}), [COMPONENT_LABEL]: LAUNCHER_COMPONENT, [keys.launcherConfigName]: lcName },
      annotations: { ...(spec.podTemplate?.metadata?.annotations ?? {}) },
    },
    spec: podSpec,
  };
  const ownerRef = { apiVersion: FMA_API_VERSION, kind: 'LauncherConfig', name: lcName, uid: lc.metadata.uid ?? '', controller: false, blockOwnerDeletion: false };
  return { lcName, template, templateHash: base64RawStd(sha256(goJson(template))), ownerRef };
}

/** The node-specific `launcher-config-hash` (section 2.4). */
export function launcherConfigHash(templateHash: string, nodeName: string): string {
  return base64RawStd(sha256(templateHash, ';node=', nodeName));
}

/** A launcher Pod for one node, not yet bound (section 2.4). */
export function specializeLauncherToNode(t: LauncherTemplate, nodeName: string, keys: DualPodsKeys): KObject {
  const pod = cloneJson(t.template);
  const meta = pod.metadata;
  meta.labels = { ...meta.labels, [keys.nodeName]: nodeName, [keys.sleeping]: 'true' };
  meta.annotations = { ...meta.annotations, [keys.launcherPopulatorTemplateHash]: t.templateHash, [keys.launcherConfigHash]: launcherConfigHash(t.templateHash, nodeName) };
  meta.ownerReferences = [{ ...t.ownerRef }];
  const spec = pod.spec as JsonMap & { nodeSelector?: Record<string, string> };
  spec.nodeSelector = { ...(spec.nodeSelector ?? {}), [HOSTNAME_LABEL]: nodeName };
  return pod;
}
