import { resourceInfo, type ResourceInfo } from './resources.ts';

/**
 * Parses the REST paths the API server serves into what they address:
 * - discovery: `/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`, `/version`;
 * - resources: `/api/v1/...` (core) and `/apis/<group>/<version>/...` followed by
 *   `[watch/]namespaces/<ns>/<resource>[/<name>[/<subresource>]]`, `<resource>[/<name>[/<subresource>]]`
 *   (cluster-scoped, or every namespace for a list/watch) or `namespaces[/<name>[/<subresource>]]`.
 */

/** A request for an object or a collection. */
export interface ResourcePath {
  kind: 'resource';
  info: ResourceInfo;
  /** The namespace in the path (undefined for cluster-scoped and all-namespace requests). */
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The legacy `/watch/` path form. */
  legacyWatch: boolean;
}

/** A discovery document request. */
export interface DiscoveryPath {
  kind: 'discovery';
  /** `api` (core versions), `core` (`/api/v1`), `groups` (`/apis`), `group` (`/apis/<g>`), `groupVersion`, `version`. */
  doc: 'api' | 'core' | 'groups' | 'group' | 'groupVersion' | 'version';
  group?: string;
  version?: string;
}

/** The outcome of parsing: what the path addresses, or `unknown` (404). */
export type ParsedPath = ResourcePath | DiscoveryPath | { kind: 'unknown' };

function decode(parts: string[]): string[] | undefined {
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

/** Parses a request path (without the query string). */
export function parsePath(pathname: string): ParsedPath {
  const raw = pathname.split('/').filter((p, i) => i > 0 || p !== '');
  if (raw[raw.length - 1] === '') raw.pop();
  const parts = decode(raw);
  if (!parts) return { kind: 'unknown' };
  if (parts.length === 1 && parts[0] === 'version') return { kind: 'discovery', doc: 'version' };
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'discovery', doc: 'api' };
    if (parts[1] !== 'v1') return { kind: 'unknown' };
    group = '';
    version = 'v1';
    rest = parts.slice(2);
    if (rest.length === 0) return { kind: 'discovery', doc: 'core' };
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'discovery', doc: 'groups' };
    group = parts[1] as string;
    if (parts.length === 2) return { kind: 'discovery', doc: 'group', group };
    version = parts[2] as string;
    if (parts.length === 3) return { kind: 'discovery', doc: 'groupVersion', group, version };
    rest = parts.slice(3);
  } else {
    return { kind: 'unknown' };
  }
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && ['status', 'finalize'].includes(rest[2] as string))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (!resource || extra.length) return { kind: 'unknown' };
  const info = resourceInfo(resource);
  if (!info || info.group !== group || info.version !== version) return { kind: 'unknown' };
  if (namespace !== undefined && !info.namespaced) return { kind: 'unknown' };
  if (name !== undefined && info.namespaced && namespace === undefined) return { kind: 'unknown' };
  return { kind: 'resource', info, ...(namespace !== undefined ? { namespace } : {}), ...(name !== undefined ? { name } : {}), ...(subresource !== undefined ? { subresource } : {}), legacyWatch };
}
