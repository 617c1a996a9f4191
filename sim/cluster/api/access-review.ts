import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreError } from '../store-types.ts';
import type { Authorizer, Verb } from './authz.ts';
import { readBody, sendJson } from './http-io.ts';

/** The path of `authorization.k8s.io/v1` SelfSubjectAccessReview (create only). */
export const ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

const VERBS = new Set<Verb>(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']);

/**
 * Answers a SelfSubjectAccessReview as the API server does: the same `authorize` hook that guards
 * every request decides `status.allowed` for the asked `resourceAttributes`, so a client can
 * check its permissions before it creates anything. Without a hook everything is allowed.
 */
export async function serveAccessReview(req: IncomingMessage, res: ServerResponse, authorize: Authorizer | undefined, user: string, token: string | undefined): Promise<void> {
  let review: { spec?: { resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string } } };
  try {
    review = JSON.parse(await readBody(req)) as typeof review;
  } catch {
    throw new StoreError(400, 'BadRequest', 'the request body is not valid JSON');
  }
  const attrs = review.spec?.resourceAttributes;
  if (!attrs?.verb || !attrs.resource) throw new StoreError(422, 'Invalid', 'SelfSubjectAccessReview: spec.resourceAttributes.verb and .resource are required');
  const verb = attrs.verb as Verb;
  let denied: string | undefined;
  if (authorize && VERBS.has(verb)) {
    const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    denied = authorize(verb, resource, attrs.namespace || undefined, { user, token, group: attrs.group ?? '', name: attrs.name, subresource: attrs.subresource });
  }
  sendJson(res, 201, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: { creationTimestamp: null },
    spec: review.spec,
    status: denied === undefined ? { allowed: true } : { allowed: false, reason: denied || 'no RBAC rule allows it' },
  });
}
