/**
 * What the strategic merge patch and the strict Pod decoding need to know about the Pod schema
 * (protocol section 2.1, steps 3-4): which lists merge by which key (the `patchMergeKey` /
 * `patchStrategy:"merge"` tags of `k8s.io/api/core/v1`), and which fields exist, so a patch with
 * a misspelt field fails as `podDecoder.Decode` (strict) fails in the controller.
 */

/** Schema of one JSON value: its object fields, or its list element and merge key. */
export interface SchemaNode {
  /** For an object: the schema of known fields (unlisted fields are opaque values). */
  fields?: Record<string, SchemaNode>;
  /** For a list: the element schema. */
  elem?: SchemaNode;
  /** For a list with `patchStrategy:"merge"`: the merge key (`name`); absent lists are replaced. */
  mergeKey?: string;
  /** For a list of primitives with `patchStrategy:"merge"` (finalizers): set-union. */
  primitiveMerge?: boolean;
  /** Field names a strict decoder accepts (object schemas only); undefined means any. */
  strict?: readonly string[];
}

const CONTAINER_FIELDS = [
  'name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy',
  'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath',
  'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty', 'targetContainerName',
] as const;

const POD_SPEC_FIELDS = [
  'volumes', 'initContainers', 'containers', 'ephemeralContainers', 'restartPolicy', 'terminationGracePeriodSeconds',
  'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken',
  'nodeName', 'hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname',
  'subdomain', 'affinity', 'schedulerName', 'tolerations', 'hostAliases', 'priorityClassName', 'priority', 'dnsConfig',
  'readinessGates', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'overhead', 'topologySpreadConstraints',
  'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims', 'resources',
] as const;

const OBJECT_META_FIELDS = [
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
] as const;

const container: SchemaNode = {
  strict: CONTAINER_FIELDS,
  fields: {
    ports: { mergeKey: 'containerPort', elem: {} },
    env: { mergeKey: 'name', elem: {} },
    volumeMounts: { mergeKey: 'mountPath', elem: {} },
    volumeDevices: { mergeKey: 'devicePath', elem: {} },
    resizePolicy: { elem: {} },
  },
};

/** The Pod's schema as far as the patch and the strict decoder need it. */
export const POD_SCHEMA: SchemaNode = {
  strict: ['apiVersion', 'kind', 'metadata', 'spec', 'status'],
  fields: {
    metadata: {
      strict: OBJECT_META_FIELDS,
      fields: {
        ownerReferences: { mergeKey: 'uid', elem: {} },
        finalizers: { primitiveMerge: true },
      },
    },
    spec: {
      strict: POD_SPEC_FIELDS,
      fields: {
        containers: { mergeKey: 'name', elem: container },
        initContainers: { mergeKey: 'name', elem: container },
        ephemeralContainers: { mergeKey: 'name', elem: container },
        volumes: { mergeKey: 'name', elem: {} },
        imagePullSecrets: { mergeKey: 'name', elem: {} },
        hostAliases: { mergeKey: 'ip', elem: {} },
        topologySpreadConstraints: { mergeKey: 'topologyKey', elem: {} },
        schedulingGates: { mergeKey: 'name', elem: {} },
        resourceClaims: { mergeKey: 'name', elem: {} },
      },
    },
    status: {
      fields: {
        conditions: { mergeKey: 'type', elem: {} },
        podIPs: { mergeKey: 'ip', elem: {} },
      },
    },
  },
};

/**
 * Strict decoding of a patched Pod: the first unknown field, as `"spec.containers[0].imagee"`,
 * or undefined when every field is known (section 2.1, "Decode strictly as a Pod").
 */
export function findUnknownField(value: unknown, schema: SchemaNode = POD_SCHEMA, path = ''): string | undefined {
  if (Array.isArray(value)) {
    if (!schema.elem) return undefined;
    for (let i = 0; i < value.length; i++) {
      const hit = findUnknownField(value[i], schema.elem, `${path}[${i}]`);
      if (hit) return hit;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const where = path ? `${path}.${key}` : key;
    if (schema.strict && !schema.strict.includes(key)) return where;
    const sub = schema.fields?.[key];
    if (sub) {
      const hit = findUnknownField(child, sub, where);
      if (hit) return hit;
    }
  }
  return undefined;
}
