/**
 * Create, read, scale and delete the kinds a benchmark run touches, through the typed APIs of the
 * Kubernetes client (a registry keyed by `kind`, so adding a kind is one entry). Every call's
 * failure becomes one `ClusterError` line naming the object, the namespace and the server.
 */
import { BatchV1Api } from '@kubernetes/client-node';
import type { ClusterConnection } from './connect.ts';
import { apiStatus, clusterError } from './errors.ts';
import type { Manifest } from './template.ts';

const FMA_GROUP = 'fma.llm-d.ai';
const FMA_VERSION = 'v1alpha1';

interface KindOps {
  create(c: ClusterConnection, ns: string, body: Manifest): Promise<Manifest>;
  read(c: ClusterConnection, ns: string, name: string): Promise<Manifest>;
  list(c: ClusterConnection, ns: string, labelSelector: string): Promise<Manifest[]>;
  remove(c: ClusterConnection, ns: string, name: string): Promise<unknown>;
}

const BACKGROUND = 'Background';
const asManifest = (x: unknown): Manifest => x as Manifest;
const items = (x: { items?: unknown[] }): Manifest[] => (x.items ?? []) as Manifest[];

/** The batch API of a connection, made once per connection. */
const batchApis = new WeakMap<ClusterConnection, BatchV1Api>();
function batch(c: ClusterConnection): BatchV1Api {
  let api = batchApis.get(c);
  if (!api) batchApis.set(c, (api = c.kc.makeApiClient(BatchV1Api)));
  return api;
}

function custom(plural: string): KindOps {
  const base = { group: FMA_GROUP, version: FMA_VERSION, plural };
  return {
    create: (c, namespace, body) => c.custom.createNamespacedCustomObject({ ...base, namespace, body }).then(asManifest),
    read: (c, namespace, name) => c.custom.getNamespacedCustomObject({ ...base, namespace, name }).then(asManifest),
    list: (c, namespace, labelSelector) => c.custom.listNamespacedCustomObject({ ...base, namespace, labelSelector }).then(items),
    remove: (c, namespace, name) => c.custom.deleteNamespacedCustomObject({ ...base, namespace, name, propagationPolicy: BACKGROUND }),
  };
}

/** The kinds a run may create, keyed by `kind`. Order matters for deletion: owners before dependents. */
export const KINDS: Record<string, KindOps> = {
  Deployment: {
    create: (c, namespace, body) => c.apps.createNamespacedDeployment({ namespace, body: body as never }).then(asManifest),
    read: (c, namespace, name) => c.apps.readNamespacedDeployment({ namespace, name }).then(asManifest),
    list: (c, namespace, labelSelector) => c.apps.listNamespacedDeployment({ namespace, labelSelector }).then(items),
    remove: (c, namespace, name) => c.apps.deleteNamespacedDeployment({ namespace, name, propagationPolicy: BACKGROUND }),
  },
  ReplicaSet: {
    create: (c, namespace, body) => c.apps.createNamespacedReplicaSet({ namespace, body: body as never }).then(asManifest),
    read: (c, namespace, name) => c.apps.readNamespacedReplicaSet({ namespace, name }).then(asManifest),
    list: (c, namespace, labelSelector) => c.apps.listNamespacedReplicaSet({ namespace, labelSelector }).then(items),
    remove: (c, namespace, name) => c.apps.deleteNamespacedReplicaSet({ namespace, name, propagationPolicy: BACKGROUND }),
  },
  // Before Pod: deleting the Job (in the background) deletes its pods too.
  Job: {
    create: (c, namespace, body) => batch(c).createNamespacedJob({ namespace, body: body as never }).then(asManifest),
    read: (c, namespace, name) => batch(c).readNamespacedJob({ namespace, name }).then(asManifest),
    list: (c, namespace, labelSelector) => batch(c).listNamespacedJob({ namespace, labelSelector }).then(items),
    remove: (c, namespace, name) => batch(c).deleteNamespacedJob({ namespace, name, propagationPolicy: BACKGROUND }),
  },
  Service: {
    create: (c, namespace, body) => c.core.createNamespacedService({ namespace, body: body as never }).then(asManifest),
    read: (c, namespace, name) => c.core.readNamespacedService({ namespace, name }).then(asManifest),
    list: (c, namespace, labelSelector) => c.core.listNamespacedService({ namespace, labelSelector }).then(items),
    remove: (c, namespace, name) => c.core.deleteNamespacedService({ namespace, name }),
  },
  ConfigMap: {
    create: (c, namespace, body) => c.core.createNamespacedConfigMap({ namespace, body: body as never }).then(asManifest),
    read: (c, namespace, name) => c.core.readNamespacedConfigMap({ namespace, name }).then(asManifest),
    list: (c, namespace, labelSelector) => c.core.listNamespacedConfigMap({ namespace, labelSelector }).then(items),
    remove: (c, namespace, name) => c.core.deleteNamespacedConfigMap({ namespace, name }),
  },
  Secret: {
    create: (c, namespace, body) => c.core.createNamespacedSecret({ namespace, body: body as never }).then(asManifest),
    read: (c, namespace, name) => c.core.readNamespacedSecret({ namespace, name }).then(asManifest),
    list: (c, namespace, labelSelector) => c.core.listNamespacedSecret({ namespace, labelSelector }).then(items),
    remove: (c, namespace, name) => c.core.deleteNamespacedSecret({ namespace, name }),
  },
  // Read only: a results claim is the user's (`launch --results-pvc`), so a run never creates,
  // lists as its own or deletes one; what the pods wrote on it must outlive the run's cleanup.
  InferenceServerConfig: custom('inferenceserverconfigs'),
  LauncherPopulationPolicy: custom('launcherpopulationpolicies'),
  LauncherConfig: custom('launcherconfigs'),
  Pod: {
    create: (c, namespace, body) => c.core.createNamespacedPod({ namespace, body: body as never }).then(asManifest),
    read: (c, namespace, name) => c.core.readNamespacedPod({ namespace, name }).then(asManifest),
    list: (c, namespace, labelSelector) => c.core.listNamespacedPod({ namespace, labelSelector }).then(items),
    remove: (c, namespace, name) => c.core.deleteNamespacedPod({ namespace, name }),
  },
};

function ops(kind: string): KindOps {
  const found = KINDS[kind];
  if (!found) throw clusterError('CLUSTER_KIND', `kind ${kind}`, '', new Error(`not supported in templates (supported: ${Object.keys(KINDS).join(', ')})`));
  return found;
}

/** What `createObject` did. */
export interface CreateResult {
  object: Manifest;
  /** False when an object of that name already existed and was left as it was (not this run's). */
  created: boolean;
}

/**
 * Creates `body` in the connection's namespace. When an object of that name already exists and
 * was not created by this run (its run label differs), it is used as it is and not touched, so
 * shared objects installed by the platform (an InferenceServerConfig, a LauncherConfig) are never
 * changed or deleted by a benchmark.
 */
export async function createObject(c: ClusterConnection, body: Manifest, runLabel: string): Promise<CreateResult> {
  const kind = ops(body.kind);
  const name = body.metadata.name ?? body.metadata.generateName ?? '';
  try {
    return { object: await kind.create(c, c.namespace, body), created: true };
  } catch (err) {
    if (apiStatus(err) === 409 && body.metadata.name) {
      const existing = await kind.read(c, c.namespace, body.metadata.name).catch(() => undefined);
      const ours = existing?.metadata.labels?.[runLabel] === body.metadata.labels?.[runLabel];
      if (existing && !ours) return { object: existing, created: false };
    }
    throw clusterError('CLUSTER_CREATE', `creating ${body.kind} ${name}`, `in namespace ${c.namespace} on ${c.server}`, err);
  }
}

/** Sets the replicas of a ReplicaSet or Deployment through its scale subresource (PUT of a Scale). */
export async function scaleWorkload(c: ClusterConnection, kind: 'ReplicaSet' | 'Deployment', name: string, replicas: number): Promise<void> {
  const body = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace: c.namespace }, spec: { replicas } };
  try {
    if (kind === 'ReplicaSet') await c.apps.replaceNamespacedReplicaSetScale({ name, namespace: c.namespace, body });
    else await c.apps.replaceNamespacedDeploymentScale({ name, namespace: c.namespace, body });
  } catch (err) {
    throw clusterError('CLUSTER_SCALE', `scaling ${kind} ${name} to ${replicas}`, `in namespace ${c.namespace} on ${c.server}`, err);
  }
}

/** Lists objects of `kind` matching `labelSelector` in the connection's namespace. */
export async function listObjects(c: ClusterConnection, kind: string, labelSelector: string): Promise<Manifest[]> {
  try {
    return await ops(kind).list(c, c.namespace, labelSelector);
  } catch (err) {
    // A cluster without the FMA CRDs installed has none of them.
    if (apiStatus(err) === 404 && !['Pod', 'ReplicaSet', 'Deployment', 'Service', 'ConfigMap'].includes(kind)) return [];
    throw clusterError('CLUSTER_LIST', `listing ${kind}s (${labelSelector})`, `in namespace ${c.namespace} on ${c.server}`, err);
  }
}

/** Deletes one object; an object already gone is not an error. */
export async function deleteObject(c: ClusterConnection, kind: string, name: string): Promise<void> {
  try {
    await ops(kind).remove(c, c.namespace, name);
  } catch (err) {
    if (apiStatus(err) === 404) return;
    throw clusterError('CLUSTER_DELETE', `deleting ${kind} ${name}`, `in namespace ${c.namespace} on ${c.server}`, err);
  }
}
