import { StoreError, type KObject } from '../store-types.ts';
import { objectBody, refuseDryRun } from './collection-handlers.ts';
import { badRequest, conflict, notFound } from './errors.ts';
import { authorizeCtx, nameOf, type FollowableLog, type HandlerContext, type PodLogLine, type PodLogQuery } from './handler-context.ts';
import { boolParam, intParam, sendJson, sendText } from './http-io.ts';

/**
 * Pod subresources: `log` (from the server's log source, with the API server's errors for a
 * missing or not-yet-started container) and `binding` (the scheduler's way to assign a node).
 */

function pod(ctx: HandlerContext): KObject {
  const o = ctx.store.get('pods', ctx.path.namespace, nameOf(ctx));
  if (!o) throw notFound(ctx.path.info, nameOf(ctx));
  return o;
}

function containerNames(p: KObject): { main: string[]; all: string[] } {
  const spec = (p.spec ?? {}) as { containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
  const main = (spec.containers ?? []).map((c) => c.name);
  return { main, all: [...main, ...(spec.initContainers ?? []).map((c) => c.name)] };
}

function lineTime(line: PodLogLine): number {
  return typeof line.time === 'number' ? line.time : Date.parse(line.time);
}

function renderLines(ctx: HandlerContext, lines: PodLogLine[], q: PodLogQuery): string {
  let out = lines;
  const since = q.sinceTime !== undefined ? Date.parse(q.sinceTime) : q.sinceSeconds !== undefined ? ctx.clock.nowMs() - q.sinceSeconds * 1000 : undefined;
  if (since !== undefined) out = out.filter((l) => lineTime(l) >= since);
  if (q.tailLines !== undefined) out = q.tailLines === 0 ? [] : out.slice(-q.tailLines);
  return out.map((l) => `${q.timestamps ? `${ctx.clock.microTimestamp(lineTime(l))} ` : ''}${l.text.endsWith('\n') ? l.text : `${l.text}\n`}`).join('');
}

function tailText(text: string, tailLines: number | undefined): string {
  if (tailLines === undefined) return text;
  if (tailLines === 0) return '';
  const lines = text.split('\n');
  const trailing = lines[lines.length - 1] === '' ? lines.pop() : undefined;
  const kept = lines.slice(-tailLines);
  return kept.join('\n') + (trailing === '' ? '\n' : '');
}

/** `GET pods/<name>/log`. */
export function serveLog(ctx: HandlerContext): void {
  if (ctx.req.method !== 'GET') throw new StoreError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  authorizeCtx(ctx, 'get');
  const p = pod(ctx);
  const name = nameOf(ctx);
  const names = containerNames(p);
  let container = ctx.query.get('container') ?? undefined;
  if (container === undefined) {
    if (names.main.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.main.join(' ')}]`);
    container = names.main[0];
  } else if (!names.all.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const sinceTime = ctx.query.get('sinceTime') ?? undefined;
  if (sinceTime !== undefined && Number.isNaN(Date.parse(sinceTime))) throw badRequest(`sinceTime: Invalid value: "${sinceTime}": must be an RFC 3339 time`);
  const sinceSeconds = intParam(ctx.query, 'sinceSeconds');
  const tailLines = intParam(ctx.query, 'tailLines');
  const q: PodLogQuery = {
    ...(sinceTime !== undefined ? { sinceTime } : {}),
    ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
    ...(tailLines !== undefined ? { tailLines } : {}),
    timestamps: boolParam(ctx.query, 'timestamps'),
    previous: boolParam(ctx.query, 'previous'),
  };
  if (boolParam(ctx.query, 'follow') && !q.previous) {
    const followable = ctx.followLogs?.(ctx.path.namespace as string, name, container as string);
    if (followable) return followLog(ctx, followable, q);
  }
  const got = ctx.logs?.(ctx.path.namespace as string, name, container, q);
  if (got === undefined) throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
  sendText(ctx.res, 200, typeof got === 'string' ? tailText(got, tailLines) : renderLines(ctx, got, q));
}

/**
 * `follow=true`: a chunked response with the log so far (`tailLines`, `sinceTime`, ... applied),
 * then every line as the container writes it; it ends when the container run ends, or when the
 * client goes away.
 */
function followLog(ctx: HandlerContext, log: FollowableLog, q: PodLogQuery): void {
  const { res } = ctx;
  res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  const head = renderLines(ctx, log.entries(), q);
  if (head) res.write(head);
  const lineQuery: PodLogQuery = { timestamps: q.timestamps, previous: false };
  let unfollow: () => void = () => {};
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    unfollow();
    res.end();
  };
  unfollow = log.follow((entry) => {
    if (!done) res.write(renderLines(ctx, [entry], lineQuery));
  }, finish);
  res.on('close', () => {
    done = true;
    unfollow();
  });
}

/** `POST pods/<name>/binding`: sets `spec.nodeName` and the PodScheduled condition, once. */
export async function serveBinding(ctx: HandlerContext): Promise<void> {
  if (ctx.req.method !== 'POST') throw new StoreError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  authorizeCtx(ctx, 'create');
  refuseDryRun(ctx);
  const body = await objectBody(ctx);
  const node = (body.target as { name?: unknown } | undefined)?.name;
  if (typeof node !== 'string' || !node) throw new StoreError(422, 'Invalid', `Binding "${nameOf(ctx)}" is invalid: target.name: Required value`);
  const name = nameOf(ctx);
  const current = pod(ctx);
  const assigned = (current.spec as { nodeName?: string } | undefined)?.nodeName;
  if (assigned) throw conflict({ ...ctx.path.info, plural: 'pods/binding' }, name, `pod ${name} is already assigned to node "${assigned}"`);
  if (current.metadata.deletionTimestamp) throw conflict({ ...ctx.path.info, plural: 'pods/binding' }, name, `pod ${name} is being deleted, cannot be assigned to a host`);
  ctx.store.mutate('pods', ctx.path.namespace, name, (o) => {
    o.spec = { ...(o.spec as object), nodeName: node };
    const status = (o.status ?? {}) as { conditions?: Array<Record<string, unknown>> };
    const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: ctx.clock.kubeTimestamp() });
    o.status = { ...status, conditions };
  });
  sendJson(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}
