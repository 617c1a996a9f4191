/**
 * The resource types the simulated API server serves: one descriptor per plural REST name, the
 * single source for routing, discovery, error messages and the store's scoping rules.
 */

/** One served resource type. */
export interface ResourceInfo {
  /** Plural REST name, the store's `ResourceName` (`pods`). */
  readonly plural: string;
  /** Singular name, as discovery reports it (`pod`). */
  readonly singular: string;
  /** Object kind (`Pod`). */
  readonly kind: string;
  /** API group; `''` is the core group. */
  readonly group: string;
  /** API version within the group (`v1`). */
  readonly version: string;
  /** Whether objects live in a namespace. */
  readonly namespaced: boolean;
  /** Short names kubectl knows (`po`). */
  readonly shortNames: readonly string[];
  /** Subresources served: `status`, `scale`, `log`. */
  readonly subresources: readonly string[];
  /** Custom resource (no strategic merge patch; list items keep `apiVersion`/`kind`). */
  readonly custom: boolean;
  /** Fields a field selector may name besides `metadata.name` and `metadata.namespace`. */
  readonly selectableFields: readonly string[];
  /** DNS rule the object name must follow. */
  readonly nameRule: 'subdomain' | 'label' | 'label1035' | 'path';
}

/** `apiVersion` of a resource (`v1`, `apps/v1`). */
export function apiVersionOf(info: ResourceInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** `pods`, `replicasets.apps`: the qualified resource as Kubernetes error messages write it. */
export function qualifiedResource(info: ResourceInfo): string {
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

/** The group of the fast model actuation custom resources. */
export const FMA_GROUP = 'fma.llm-d.ai';

const POD_FIELDS = [
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
];
const EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

function def(plural: string, singular: string, kind: string, group: string, version: string, namespaced: boolean, extra: Partial<ResourceInfo> = {}): ResourceInfo {
  return {
    plural,
    singular,
    kind,
    group,
    version,
    namespaced,
    shortNames: [],
    subresources: [],
    custom: false,
    selectableFields: [],
    nameRule: 'subdomain',
    ...extra,
  };
}

/** Every resource the simulator serves, keyed by plural name. */
export const RESOURCES: ReadonlyMap<string, ResourceInfo> = new Map(
  [
    def('namespaces', 'namespace', 'Namespace', '', 'v1', false, { shortNames: ['ns'], subresources: ['status'], selectableFields: ['status.phase'], nameRule: 'label' }),
    def('nodes', 'node', 'Node', '', 'v1', false, { shortNames: ['no'], subresources: ['status'], selectableFields: ['spec.unschedulable'] }),
    def('pods', 'pod', 'Pod', '', 'v1', true, { shortNames: ['po'], subresources: ['status', 'log'], selectableFields: POD_FIELDS }),
    def('configmaps', 'configmap', 'ConfigMap', '', 'v1', true, { shortNames: ['cm'] }),
    def('secrets', 'secret', 'Secret', '', 'v1', true, { selectableFields: ['type'] }),
    def('services', 'service', 'Service', '', 'v1', true, { shortNames: ['svc'], subresources: ['status'], nameRule: 'label1035' }),
    def('endpoints', 'endpoints', 'Endpoints', '', 'v1', true, { shortNames: ['ep'] }),
    def('events', 'event', 'Event', '', 'v1', true, { shortNames: ['ev'], selectableFields: EVENT_FIELDS }),
    def('persistentvolumeclaims', 'persistentvolumeclaim', 'PersistentVolumeClaim', '', 'v1', true, { shortNames: ['pvc'], subresources: ['status'] }),
    def('serviceaccounts', 'serviceaccount', 'ServiceAccount', '', 'v1', true, { shortNames: ['sa'] }),
    def('replicasets', 'replicaset', 'ReplicaSet', 'apps', 'v1', true, { shortNames: ['rs'], subresources: ['status', 'scale'] }),
    def('deployments', 'deployment', 'Deployment', 'apps', 'v1', true, { shortNames: ['deploy'], subresources: ['status', 'scale'] }),
    def('jobs', 'job', 'Job', 'batch', 'v1', true, { subresources: ['status'], selectableFields: ['status.successful'] }),
    def('inferenceserverconfigs', 'inferenceserverconfig', 'InferenceServerConfig', FMA_GROUP, 'v1alpha1', true, { subresources: ['status'], custom: true }),
    def('launcherconfigs', 'launcherconfig', 'LauncherConfig', FMA_GROUP, 'v1alpha1', true, { subresources: ['status'], custom: true }),
    def('launcherpopulationpolicies', 'launcherpopulationpolicy', 'LauncherPopulationPolicy', FMA_GROUP, 'v1alpha1', true, { subresources: ['status'], custom: true }),
  ].map((r) => [r.plural, r]),
);

/** The descriptor of a served resource, or undefined. */
export function resourceInfo(plural: string): ResourceInfo | undefined {
  return RESOURCES.get(plural);
}

/** The served resource of `kind` in `apiVersion` (`apps/v1`, `ReplicaSet`), or undefined. */
export function resourceForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  for (const r of RESOURCES.values()) if (r.kind === kind && apiVersionOf(r) === apiVersion) return r;
  return undefined;
}

/** The served resources of one API group version (`''`/`v1` is the core group). */
export function resourcesOf(group: string, version: string): ResourceInfo[] {
  return [...RESOURCES.values()].filter((r) => r.group === group && r.version === version);
}

/** Every served non-core group with its version, in a stable order. */
export function servedGroups(): Array<{ group: string; version: string }> {
  const seen = new Map<string, string>();
  for (const r of RESOURCES.values()) if (r.group && !seen.has(r.group)) seen.set(r.group, r.version);
  return [...seen].map(([group, version]) => ({ group, version }));
}
