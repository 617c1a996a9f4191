import { StoreError, type KObject } from '../store-types.ts';
import { refuseDryRun } from './collection-handlers.ts';
import { badRequest, conflict, notFound } from './errors.ts';
import { authorizeCtx, nameOf, type HandlerContext } from './handler-context.ts';
import { sendJson } from './http-io.ts';
import { formatLabelSelector, structuredRequirements, type StructuredSelector } from './label-selector.ts';
import { parsePatchBody } from './object-handlers.ts';
import { applyPatch, patchTypeOf, unsupportedPatch } from './patch.ts';

/**
 * The `scale` subresource of ReplicaSets and Deployments: an `autoscaling/v1` `Scale` whose
 * `spec.replicas` reads and writes the workload's `spec.replicas`, with `status.replicas` and the
 * selector string from the workload.
 */

/** The `Scale` view of a workload. */
export function scaleOf(o: KObject): KObject {
  const spec = (o.spec ?? {}) as { replicas?: number; selector?: StructuredSelector };
  const status = (o.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: formatLabelSelector(structuredRequirements(spec.selector)) },
  };
}

function workload(ctx: HandlerContext): KObject {
  const o = ctx.store.get(ctx.path.info.plural, ctx.path.namespace, nameOf(ctx));
  if (!o) throw notFound(ctx.path.info, nameOf(ctx));
  return o;
}

/** Writes `scale.spec.replicas` to the workload, with the Scale's resourceVersion as a precondition. */
function applyScale(ctx: HandlerContext, existing: KObject, scale: KObject): KObject {
  const name = nameOf(ctx);
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new StoreError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`);
  }
  const rv = scale.metadata?.resourceVersion;
  if (rv && rv !== existing.metadata.resourceVersion) throw conflict(ctx.path.info, name);
  const next = structuredClone(existing);
  next.spec = { ...(next.spec as object), replicas };
  return ctx.store.update(ctx.path.info.plural, ctx.path.namespace, next);
}

/** `GET`, `PUT` or `PATCH` on `<workload>/scale`. */
export async function serveScale(ctx: HandlerContext): Promise<void> {
  const method = ctx.req.method;
  if (method === 'GET') {
    authorizeCtx(ctx, 'get');
    sendJson(ctx.res, 200, scaleOf(workload(ctx)));
    return;
  }
  if (method === 'PUT') {
    authorizeCtx(ctx, 'update');
    refuseDryRun(ctx);
    const text = await ctx.body();
    let scale: KObject;
    try {
      scale = JSON.parse(text) as KObject;
    } catch (err) {
      throw badRequest(`Scale: the request body is not valid JSON: ${(err as Error).message}`);
    }
    if (!scale || typeof scale !== 'object') throw badRequest('Scale: the request body must be a JSON object');
    const existing = workload(ctx);
    if (scale.metadata?.name !== undefined && scale.metadata.name !== nameOf(ctx)) {
      throw badRequest(`the name of the object (${scale.metadata.name}) does not match the name on the URL (${nameOf(ctx)})`);
    }
    sendJson(ctx.res, 200, scaleOf(applyScale(ctx, existing, scale)));
    return;
  }
  // PATCH: the patch applies to the Scale document.
  const contentType = ctx.req.headers['content-type'];
  const type = patchTypeOf(contentType);
  if (!type) throw unsupportedPatch(ctx.path.info, contentType);
  authorizeCtx(ctx, 'patch');
  refuseDryRun(ctx);
  const patch = parsePatchBody(await ctx.body(), type);
  const existing = workload(ctx);
  const patched = applyPatch(scaleOf(existing), patch, type);
  sendJson(ctx.res, 200, scaleOf(applyScale(ctx, existing, patched)));
}
