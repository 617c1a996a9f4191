import { apiVersionOf, resourcesOf, servedGroups, type ResourceInfo } from './resources.ts';
import { DEFAULT_KUBE_VERSION, versionInfo } from './kube-version.ts';
import type { DiscoveryPath } from './request-path.ts';

/**
 * Discovery documents: what `kubectl api-resources` and the client library's
 * `KubernetesObjectApi` read to map a kind to its REST path (`APIVersions`, `APIGroupList`,
 * `APIGroup`, `APIResourceList`), and `/version`.
 */

/** The Kubernetes version the simulator reports (`/version`) unless configured otherwise. */
export const SIMULATED_KUBE_VERSION = versionInfo(DEFAULT_KUBE_VERSION);

const OBJECT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourceEntries(info: ResourceInfo): unknown[] {
  const out: unknown[] = [
    {
      name: info.plural,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: OBJECT_VERBS,
      ...(info.shortNames.length ? { shortNames: info.shortNames } : {}),
      storageVersionHash: '',
    },
  ];
  for (const sub of info.subresources) {
    if (sub === 'status') out.push({ name: `${info.plural}/status`, singularName: '', namespaced: info.namespaced, kind: info.kind, verbs: ['get', 'patch', 'update'] });
    if (sub === 'scale') out.push({ name: `${info.plural}/scale`, singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    if (sub === 'log') out.push({ name: `${info.plural}/log`, singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
  }
  if (info.plural === 'pods') out.push({ name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] });
  return out;
}

function groupDoc(group: string, version: string): unknown {
  const gv = { groupVersion: `${group}/${version}`, version };
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: [gv], preferredVersion: gv };
}

/** The document at a discovery path, or undefined (404) for an unknown group or version. */
export function discoveryDoc(path: DiscoveryPath, serverAddress: string, kubeVersion = DEFAULT_KUBE_VERSION): unknown {
  switch (path.doc) {
    case 'version':
      return { ...versionInfo(kubeVersion), gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.22.0', compiler: 'gc', platform: `${process.platform}/${process.arch}` };
    case 'api':
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
    case 'core':
      return { kind: 'APIResourceList', groupVersion: 'v1', resources: resourcesOf('', 'v1').flatMap(resourceEntries) };
    case 'groups':
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: servedGroups().map((g) => groupDoc(g.group, g.version)) };
    case 'group': {
      const g = servedGroups().find((x) => x.group === path.group);
      return g ? groupDoc(g.group, g.version) : undefined;
    }
    case 'groupVersion': {
      const resources = resourcesOf(path.group ?? '', path.version ?? '');
      if (!resources.length) return undefined;
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(resources[0] as ResourceInfo), resources: resources.flatMap(resourceEntries) };
    }
  }
}
