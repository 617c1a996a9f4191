import type { KObject } from '../store-types.ts';
import type { DeleteOptions } from './deletion.ts';
import { badRequest, methodNotAllowed } from './errors.ts';
import { authorizeCtx, listBody, type HandlerContext } from './handler-context.ts';
import { boolParam, intParam, parseJson, sendJson } from './http-io.ts';
import type { ResourceInfo } from './resources.ts';
import { serveWatch } from './watch-stream.ts';

/**
 * Requests on a collection: list (with `limit`/`continue` pages), watch, create and
 * deletecollection; plus the request-body helpers the object handlers share.
 */

/** Resources whose `status` a create may set (everything else with a status subresource starts with an empty status). */
const STATUS_ON_CREATE = new Set(['nodes', 'namespaces']);

/** Rejects `?dryRun=`: the simulator cannot evaluate a request without applying it. */
export function refuseDryRun(ctx: HandlerContext): void {
  if (ctx.query.get('dryRun')) throw badRequest('dryRun is not supported by the cluster simulator');
}

/** Reads a JSON object body (400 when it is missing, not JSON, or not an object). */
export async function objectBody(ctx: HandlerContext): Promise<KObject> {
  const parsed = parseJson(await ctx.body(), `${ctx.req.method} ${ctx.path.info.plural}`);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('the request body must be a JSON object');
  const o = parsed as KObject;
  if (o.metadata === undefined || o.metadata === null) o.metadata = {};
  if (typeof o.metadata !== 'object') throw badRequest('metadata must be an object');
  return o;
}

/** DeleteOptions from the body (if any) and the query (`gracePeriodSeconds`, `propagationPolicy`, `orphanDependents`). */
export async function deleteOptions(ctx: HandlerContext): Promise<DeleteOptions> {
  const text = await ctx.body();
  const body = (text.trim() ? parseJson(text, 'DeleteOptions') : {}) as {
    gracePeriodSeconds?: number;
    propagationPolicy?: string;
    orphanDependents?: boolean;
    preconditions?: { uid?: string; resourceVersion?: string };
  };
  if (body === null || typeof body !== 'object') throw badRequest('DeleteOptions must be a JSON object');
  const grace = intParam(ctx.query, 'gracePeriodSeconds') ?? body.gracePeriodSeconds;
  let policy = ctx.query.get('propagationPolicy') ?? body.propagationPolicy;
  if (policy === undefined && (boolParam(ctx.query, 'orphanDependents') || body.orphanDependents === true)) policy = 'Orphan';
  if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
    throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  if (grace !== undefined && (typeof grace !== 'number' || grace < 0)) throw badRequest(`gracePeriodSeconds: Invalid value: ${grace}: must be greater than or equal to 0`);
  return {
    ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    ...(policy !== undefined ? { propagationPolicy: policy as NonNullable<DeleteOptions['propagationPolicy']> } : {}),
    ...(body.preconditions ? { preconditions: body.preconditions } : {}),
  };
}

function itemKey(info: ResourceInfo, o: KObject): string {
  return info.namespaced ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name as string);
}

function encodeContinue(rv: string, key: string): string {
  return Buffer.from(JSON.stringify({ rv, key })).toString('base64url');
}

function decodeContinue(token: string): { rv: string; key: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; key?: unknown };
    if (typeof t.rv === 'string' && typeof t.key === 'string') return { rv: t.rv, key: t.key };
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: the provided continue parameter was not produced by this server');
}

function serveList(ctx: HandlerContext): void {
  authorizeCtx(ctx, 'list');
  const { info } = ctx.path;
  const labelSelector = ctx.query.get('labelSelector') ?? undefined;
  const fieldSelector = ctx.query.get('fieldSelector') ?? undefined;
  const { items, resourceVersion } = ctx.store.list(info.plural, ctx.path.namespace, { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) });
  const limit = intParam(ctx.query, 'limit');
  const cont = ctx.query.get('continue');
  let rv = resourceVersion;
  let rest = items;
  if (cont) {
    // Pages after the first read the current state past the last key (not a snapshot at rv).
    const token = decodeContinue(cont);
    rv = token.rv;
    rest = items.filter((o) => itemKey(info, o) > token.key);
  }
  if (limit !== undefined && limit > 0 && rest.length > limit) {
    const page = rest.slice(0, limit);
    const last = page[page.length - 1] as KObject;
    sendJson(ctx.res, 200, listBody(info, page, rv, { continue: encodeContinue(rv, itemKey(info, last)), remainingItemCount: rest.length - limit }));
    return;
  }
  sendJson(ctx.res, 200, listBody(info, rest, rv));
}

/** `GET` on a collection: a list, or a watch with `?watch=true` (or the legacy `/watch/` path). */
export function serveCollectionGet(ctx: HandlerContext): void {
  if (ctx.path.legacyWatch || boolParam(ctx.query, 'watch')) serveWatch(ctx);
  else serveList(ctx);
}

/** `POST` on a collection: create. */
export async function serveCreate(ctx: HandlerContext): Promise<void> {
  const { info, namespace } = ctx.path;
  if (info.namespaced && namespace === undefined) throw methodNotAllowed();
  authorizeCtx(ctx, 'create');
  refuseDryRun(ctx);
  const body = await objectBody(ctx);
  if (info.subresources.includes('status') && !STATUS_ON_CREATE.has(info.plural)) delete body.status;
  const created = ctx.store.create(info.plural, namespace, body);
  sendJson(ctx.res, 201, created);
}

/** `DELETE` on a collection: deletes every selected object; answers the list of what was deleted. */
export async function serveDeleteCollection(ctx: HandlerContext): Promise<void> {
  const { info, namespace } = ctx.path;
  if (info.namespaced && namespace === undefined) throw methodNotAllowed();
  authorizeCtx(ctx, 'deletecollection');
  refuseDryRun(ctx);
  const options = await deleteOptions(ctx);
  const labelSelector = ctx.query.get('labelSelector') ?? undefined;
  const fieldSelector = ctx.query.get('fieldSelector') ?? undefined;
  const { items } = ctx.store.list(info.plural, namespace, { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) });
  const deleted: KObject[] = [];
  for (const o of items) {
    const last = ctx.store.delete(info.plural, namespace, o.metadata.name as string, options);
    if (last) deleted.push(last);
  }
  sendJson(ctx.res, 200, listBody(info, deleted, ctx.store.resourceVersion()));
}
