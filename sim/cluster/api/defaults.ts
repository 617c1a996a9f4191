import type { KObject } from '../store-types.ts';
import { ALL_FEATURES, type ApiFeatures } from './kube-version.ts';

/**
 * Defaulting as the API server applies it on every write (idempotent): the fields a real cluster
 * fills in that clients read back, such as a Deployment's strategy, a Pod's restart policy and
 * `status.phase: Pending`, a Service's `targetPort`, a Secret's `stringData` folded into `data`.
 */

type Obj = Record<string, unknown>;

function obj(parent: Obj, key: string): Obj {
  const v = parent[key];
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Obj;
  const fresh: Obj = {};
  parent[key] = fresh;
  return fresh;
}

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function imageTag(image: string): string | undefined {
  if (image.includes('@')) return 'digest';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon >= 0 ? last.slice(colon + 1) : undefined;
}

function defaultContainer(c: Obj): void {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  if (typeof c.image === 'string') {
    const tag = imageTag(c.image);
    setDefault(c, 'imagePullPolicy', tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent');
  }
  setDefault(c, 'resources', {});
  if (Array.isArray(c.ports)) for (const p of c.ports as Obj[]) if (p && typeof p === 'object') setDefault(p, 'protocol', 'TCP');
}

/** Defaults of a pod spec (also applied to the templates of ReplicaSets and Deployments). */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  for (const key of ['containers', 'initContainers']) {
    const list = spec[key];
    if (Array.isArray(list)) for (const c of list as Obj[]) if (c && typeof c === 'object') defaultContainer(c);
  }
}

function qosClass(spec: Obj): string {
  const containers = (Array.isArray(spec.containers) ? spec.containers : []) as Obj[];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const res = (c.resources ?? {}) as { requests?: Obj; limits?: Obj };
    const requests = res.requests ?? {};
    const limits = res.limits ?? {};
    if (Object.keys(requests).length || Object.keys(limits).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (limits[r] === undefined || (requests[r] !== undefined && String(requests[r]) !== String(limits[r]))) guaranteed = false;
    }
  }
  return guaranteed ? 'Guaranteed' : any ? 'Burstable' : 'BestEffort';
}

function defaultTemplate(spec: Obj): void {
  const template = obj(spec, 'template');
  defaultPodSpec(obj(template, 'spec'));
}

const DEFAULTERS: Readonly<Record<string, (o: KObject, features: ApiFeatures) => void>> = {
  namespaces: (o) => {
    o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name ?? '' };
    setDefault(obj(o, 'spec'), 'finalizers', ['kubernetes']);
    setDefault(obj(o, 'status'), 'phase', 'Active');
  },
  pods: (o) => {
    const spec = obj(o, 'spec');
    defaultPodSpec(spec);
    const status = obj(o, 'status');
    setDefault(status, 'phase', 'Pending');
    setDefault(status, 'qosClass', qosClass(spec));
  },
  replicasets: (o) => {
    const spec = obj(o, 'spec');
    setDefault(spec, 'replicas', 1);
    defaultTemplate(spec);
  },
  deployments: (o) => {
    const spec = obj(o, 'spec');
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    const strategy = obj(spec, 'strategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = obj(strategy, 'rollingUpdate');
      setDefault(ru, 'maxSurge', '25%');
      setDefault(ru, 'maxUnavailable', '25%');
    }
    defaultTemplate(spec);
  },
  jobs: (o, features) => {
    const spec = obj(o, 'spec');
    // A disabled feature's fields are dropped, without an error, as the API server does.
    if (!features.jobBackoffLimitPerIndex) {
      delete spec.backoffLimitPerIndex;
      delete spec.maxFailedIndexes;
    }
    if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
    setDefault(spec, 'parallelism', 1);
    setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6);
    setDefault(spec, 'completionMode', 'NonIndexed');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'podReplacementPolicy', spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed');
    // The Job strategy's generated selector (unless spec.manualSelector): the controller uid, and
    // the four labels every pod of the Job carries.
    const template = obj(spec, 'template');
    if (spec.manualSelector !== true && o.metadata.uid) {
      const uid = o.metadata.uid;
      if (spec.selector === undefined) spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      const meta = obj(template, 'metadata');
      meta.labels = { ...(meta.labels as Record<string, string> | undefined), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': o.metadata.name ?? '', 'controller-uid': uid, 'job-name': o.metadata.name ?? '' };
    }
    defaultPodSpec(obj(template, 'spec'));
  },
  persistentvolumeclaims: (o) => {
    const spec = obj(o, 'spec');
    setDefault(spec, 'volumeMode', 'Filesystem');
    setDefault(spec, 'storageClassName', 'standard');
    setDefault(obj(o, 'status'), 'phase', 'Pending');
  },
  services: (o) => {
    const spec = obj(o, 'spec');
    setDefault(spec, 'type', 'ClusterIP');
    setDefault(spec, 'sessionAffinity', 'None');
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
    if (spec.clusterIP !== 'None') {
      setDefault(spec, 'ipFamilies', ['IPv4']);
      setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    }
    if (Array.isArray(spec.ports)) {
      for (const p of spec.ports as Obj[]) {
        if (!p || typeof p !== 'object') continue;
        setDefault(p, 'protocol', 'TCP');
        setDefault(p, 'targetPort', p.port);
      }
    }
    setDefault(obj(o, 'status'), 'loadBalancer', {});
  },
  secrets: (o) => {
    setDefault(o, 'type', 'Opaque');
    const stringData = o.stringData as Record<string, string> | undefined;
    if (stringData && typeof stringData === 'object') {
      const data = obj(o, 'data');
      for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      delete o.stringData;
    }
  },
};

/** Applies the defaults of `resource` to `o` in place (dropping the fields of features that are off). */
export function applyDefaults(resource: string, o: KObject, features: ApiFeatures = ALL_FEATURES): void {
  DEFAULTERS[resource]?.(o, features);
}
