import { StoreError } from '../store-types.ts';
import { qualifiedResource, type ResourceInfo } from './resources.ts';

/**
 * Authorization of API requests through an optional hook, answered with the 403 the API server's
 * RBAC authorizer produces, for example
 * `pods is forbidden: User "system:serviceaccount:bench:runner" cannot create resource "pods" in API group "" in the namespace "bench"`.
 */

/** Kubernetes authorization verbs. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** What a request does, beyond the verb, resource and namespace. */
export interface RequestAttributes {
  /** The user the bearer token maps to. */
  user: string;
  /** The bearer token, if the request sent one. */
  token: string | undefined;
  /** API group (`''` for core). */
  group: string;
  /** Object name, when the request names one. */
  name: string | undefined;
  /** Subresource (`status`, `scale`, `log`, `binding`). */
  subresource: string | undefined;
}

/**
 * Decides a request: return undefined to allow it, a string to deny it (a non-empty string is
 * appended to the message as the authorizer's reason, as RBAC does). `resource` includes the
 * subresource the way RBAC rules name it (`pods/log`, `deployments/scale`).
 */
export type Authorizer = (verb: Verb, resource: string, namespace: string | undefined, attributes: RequestAttributes) => string | undefined;

/** Maps a bearer token (or none) to a user name. */
export type UserResolver = (token: string | undefined) => string;

/** The default user mapping: any token is the `default` service account of `default`; no token is anonymous. */
export const defaultUser: UserResolver = (token) => (token ? 'system:serviceaccount:default:default' : 'system:anonymous');

/** The 403 StoreError the API server answers when `authorize` denies a request. */
export function forbiddenError(verb: Verb, info: ResourceInfo, namespace: string | undefined, attrs: RequestAttributes, reason: string): StoreError {
  const resource = attrs.subresource ? `${info.plural}/${attrs.subresource}` : info.plural;
  const scope = namespace !== undefined ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const why = `User "${attrs.user}" cannot ${verb} resource "${resource}" in API group "${info.group}" ${scope}${reason ? `: ${reason}` : ''}`;
  const subject = attrs.name ? `${qualifiedResource(info)} "${attrs.name}"` : qualifiedResource(info);
  return new StoreError(403, 'Forbidden', `${subject} is forbidden: ${why}`);
}

/** Runs the hook (if any) and throws the 403 when it denies. */
export function authorizeRequest(authorize: Authorizer | undefined, verb: Verb, info: ResourceInfo, namespace: string | undefined, attrs: RequestAttributes): void {
  if (!authorize) return;
  const resource = attrs.subresource ? `${info.plural}/${attrs.subresource}` : info.plural;
  const denied = authorize(verb, resource, namespace, attrs);
  if (denied !== undefined) throw forbiddenError(verb, info, namespace, attrs, denied);
}
