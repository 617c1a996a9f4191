import { parse as parseYaml } from 'yaml';
import type { KObject, PatchType } from '../store-types.ts';
import { deleteOptions, objectBody, refuseDryRun } from './collection-handlers.ts';
import { badRequest, notFound } from './errors.ts';
import { authorizeCtx, nameOf, type HandlerContext } from './handler-context.ts';
import { parseJson, sendJson } from './http-io.ts';
import { applyPatch, patchTypeOf, unsupportedPatch } from './patch.ts';

/**
 * Requests on one object: get, update (PUT), patch and delete, and the same on its `status`
 * subresource. Status subresource semantics are the API server's: a write to the object keeps the
 * stored status, a write to `/status` changes only the status.
 */

/** Whether writes to the main resource leave `status` alone (it has a status subresource). */
function hasStatus(ctx: HandlerContext): boolean {
  return ctx.path.info.subresources.includes('status');
}

function current(ctx: HandlerContext): KObject {
  const o = ctx.store.get(ctx.path.info.plural, ctx.path.namespace, nameOf(ctx));
  if (!o) throw notFound(ctx.path.info, nameOf(ctx));
  return o;
}

/** `GET` an object (or its status, which reads the same). */
export function serveGet(ctx: HandlerContext): void {
  authorizeCtx(ctx, 'get');
  sendJson(ctx.res, 200, current(ctx));
}

function checkName(ctx: HandlerContext, body: KObject): void {
  const name = nameOf(ctx);
  if (body.metadata.name !== undefined && body.metadata.name !== name) {
    throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
  }
  body.metadata.name = name;
  if (ctx.path.namespace !== undefined && body.metadata.namespace !== undefined && body.metadata.namespace !== ctx.path.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

/** Merges `desired` into `existing` for a status write: only the status changes; a resourceVersion in `desired` is a precondition. */
function statusOnly(existing: KObject, desired: KObject): KObject {
  const next = structuredClone(existing);
  if (desired.status === undefined) delete next.status;
  else next.status = desired.status;
  next.metadata.resourceVersion = desired.metadata.resourceVersion ?? existing.metadata.resourceVersion;
  return next;
}

/** `PUT` an object or its status. */
export async function servePut(ctx: HandlerContext): Promise<void> {
  authorizeCtx(ctx, 'update');
  refuseDryRun(ctx);
  const body = await objectBody(ctx);
  checkName(ctx, body);
  const existing = current(ctx);
  let next = body;
  if (ctx.path.subresource === 'status') next = statusOnly(existing, body);
  else if (hasStatus(ctx)) {
    if (existing.status === undefined) delete next.status;
    else next.status = existing.status;
  }
  sendJson(ctx.res, 200, ctx.store.update(ctx.path.info.plural, ctx.path.namespace, next));
}

/** Parses a patch body by type: JSON, or YAML for server-side apply. */
export function parsePatchBody(text: string, type: PatchType): unknown {
  if (type === 'apply') {
    try {
      return parseYaml(text);
    } catch (err) {
      throw badRequest(`the apply patch is not valid YAML: ${(err as Error).message}`);
    }
  }
  return parseJson(text, 'patch');
}

/** `PATCH` an object or its status; the Content-Type selects the patch type. */
export async function servePatch(ctx: HandlerContext): Promise<void> {
  const { info, namespace } = ctx.path;
  const contentType = ctx.req.headers['content-type'];
  const type = patchTypeOf(contentType);
  if (!type || (type === 'strategic' && info.custom)) throw unsupportedPatch(info, contentType);
  authorizeCtx(ctx, 'patch');
  refuseDryRun(ctx);
  const patch = parsePatchBody(await ctx.body(), type);
  const name = nameOf(ctx);
  const existing = ctx.store.get(info.plural, namespace, name);
  if (!existing) {
    if (type !== 'apply' || ctx.path.subresource) throw notFound(info, name);
    // Server-side apply creates what does not exist.
    const created = ctx.store.patch(info.plural, namespace, name, patch, 'apply');
    sendJson(ctx.res, 201, created);
    return;
  }
  const patched = applyPatch(existing, patch, type, info);
  checkName(ctx, patched);
  let next = patched;
  if (ctx.path.subresource === 'status') next = statusOnly(existing, patched);
  else if (hasStatus(ctx)) {
    if (existing.status === undefined) delete next.status;
    else next.status = existing.status;
  }
  sendJson(ctx.res, 200, ctx.store.update(info.plural, namespace, next));
}

/** Resources whose DELETE answers the deleted object itself rather than a `Status` (as the API server does). */
const RETURNS_DELETED_OBJECT = new Set(['pods']);

/**
 * `DELETE` an object: 200 with the object while its deletion is pending (finalizers, graceful pod
 * deletion), 200 with the deleted pod or a `Status` of Success when it went at once.
 */
export async function serveDelete(ctx: HandlerContext): Promise<void> {
  const { info, namespace } = ctx.path;
  authorizeCtx(ctx, 'delete');
  refuseDryRun(ctx);
  const options = await deleteOptions(ctx);
  const name = nameOf(ctx);
  const last = ctx.store.delete(info.plural, namespace, name, options);
  if (!last) throw notFound(info, name);
  const stillThere = ctx.store.get(info.plural, namespace, name)?.metadata.uid === last.metadata.uid;
  if (stillThere || RETURNS_DELETED_OBJECT.has(info.plural) || info.custom) {
    sendJson(ctx.res, 200, last);
  } else {
    sendJson(ctx.res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, ...(info.group ? { group: info.group } : {}), kind: info.plural, uid: last.metadata.uid },
    });
  }
}
