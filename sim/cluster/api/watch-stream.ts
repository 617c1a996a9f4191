import type { ServerResponse } from 'node:http';
import { StoreError, type WatchEvent } from '../store-types.ts';
import { statusBody } from './errors.ts';
import { authorizeCtx, type HandlerContext } from './handler-context.ts';
import { boolParam, intParam, sendError } from './http-io.ts';

/**
 * Watch over HTTP, as the API server streams it: a 200 response with chunked JSON lines
 * `{"type":"ADDED","object":{...}}`, `BOOKMARK` events when asked for, the stream ended after
 * `timeoutSeconds` (real seconds: the client's own timer). A resourceVersion too old for the
 * history is not an HTTP error: the stream opens and carries one `ERROR` event with a 410 `Status`,
 * then ends, which is what the client library's informer expects.
 */

/** Serves `GET ...?watch=true`. */
export function serveWatch(ctx: HandlerContext): void {
  authorizeCtx(ctx, 'watch');
  const { res, query, path } = ctx;
  const timeoutSeconds = intParam(query, 'timeoutSeconds');
  let fieldSelector = query.get('fieldSelector') ?? undefined;
  if (path.name !== undefined) {
    // A watch on one object (`.../pods/<name>?watch=true`) is a watch with a name field selector.
    fieldSelector = [`metadata.name=${path.name}`, fieldSelector].filter(Boolean).join(',');
  }
  const pending: string[] = [];
  let live = false;
  const write = (ev: WatchEvent | { type: 'ERROR'; object: unknown }): void => {
    const line = `${JSON.stringify(ev)}\n`;
    if (live) res.write(line);
    else pending.push(line);
  };
  let unsubscribe: () => void;
  const resourceVersion = query.get('resourceVersion') ?? undefined;
  try {
    unsubscribe = ctx.store.watch(
      path.info.plural,
      path.namespace,
      {
        ...(query.get('labelSelector') ? { labelSelector: query.get('labelSelector') as string } : {}),
        ...(fieldSelector ? { fieldSelector } : {}),
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
        allowWatchBookmarks: boolParam(query, 'allowWatchBookmarks'),
      },
      write,
    );
  } catch (err) {
    if (err instanceof StoreError && err.code === 410) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
      res.end(`${JSON.stringify({ type: 'ERROR', object: statusBody(err) })}\n`);
      return;
    }
    sendError(res, err, { kind: path.info.plural, group: path.info.group });
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  live = true;
  for (const line of pending) res.write(line);
  pending.length = 0;

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    if (timer) clearTimeout(timer);
    unregister();
  };
  const unregister = ctx.watches.add({ res, stop });
  if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
    timer = setTimeout(() => {
      stop();
      res.end();
    }, timeoutSeconds * 1000);
  }
  // Not req 'close': it fires once the request is read, not when the client goes away.
  res.on('close', stop);
  res.on('error', stop);
}
