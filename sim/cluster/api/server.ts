import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClusterClock } from '../clock.ts';
import { StoreError, type Store } from '../store-types.ts';
import { defaultUser, type Authorizer, type UserResolver } from './authz.ts';
import { serveCollectionGet, serveCreate, serveDeleteCollection } from './collection-handlers.ts';
import { ACCESS_REVIEW_PATH, serveAccessReview } from './access-review.ts';
import { discoveryDoc } from './discovery.ts';
import { methodNotAllowed } from './errors.ts';
import type { HandlerContext, PodLogFollowSource, PodLogSource, ResourceHandler } from './handler-context.ts';
import { bearerToken, boolParam, readBody, sendError, sendJson } from './http-io.ts';
import { serveDelete, serveGet, servePatch, servePut } from './object-handlers.ts';
import { serveBinding, serveLog } from './pod-subresources.ts';
import { PortForwarder } from './port-forward.ts';
import { parsePath, type ResourcePath } from './request-path.ts';
import { serveScale } from './scale.ts';
import { WatchRegistry } from './watch-registry.ts';
import { serveWatch } from './watch-stream.ts';
import { listen } from '../../net-util.ts';

/** A request to an admin route under `/sim/`. */
export interface AdminRequest {
  method: string;
  query: URLSearchParams;
  /** The JSON body, or undefined when there is none. */
  body: unknown;
}

/** An admin route: returns a JSON-serialisable answer (200); a thrown StoreError sets the status. */
export type AdminHandler = (request: AdminRequest) => unknown;

/** Options of {@link startApiServer}. */
export interface ApiServerOptions {
  /** The object store the API serves. */
  store: Store;
  /** Cluster time (for `/sim/clock`, log times). */
  clock: ClusterClock;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** Container logs for `pods/log`; without it every log request answers "waiting to start". */
  logs?: PodLogSource;
  /** Followable container logs for `pods/log?follow=true`; without it a follow answers the current log and ends. */
  followLogs?: PodLogFollowSource;
  /** Extra routes under `/sim/<name>` for test hooks (`clock` and `drop-watches` are built in). */
  admin?: Record<string, AdminHandler>;
  /** Authorization hook: a string denies the request with a 403 (see {@link Authorizer}). */
  authorize?: Authorizer;
  /** Maps a bearer token to the user named in 403 messages (default: any token is `system:serviceaccount:default:default`). */
  user?: UserResolver;
  /** The Kubernetes version `/version` reports (`1.31.0`; default `DEFAULT_KUBE_VERSION` of kube-version.ts). */
  kubernetesVersion?: string;
}

/** A running API server. */
export interface ApiServer {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Ends every watch stream, stops listening and closes every connection. */
  close(): Promise<void>;
  /** Cuts every open watch stream as a dropped connection; returns how many were cut. */
  dropWatches(): number;
}

type Shape = 'collection' | 'object' | 'status' | 'scale' | 'log' | 'binding';

/** Handlers by `METHOD shape`. A missing entry is 405 (or 404 for a subresource the type lacks). */
const ROUTES: Readonly<Record<string, ResourceHandler>> = {
  'GET collection': serveCollectionGet,
  'POST collection': serveCreate,
  'DELETE collection': serveDeleteCollection,
  'GET object': (ctx) => (boolParam(ctx.query, 'watch') || ctx.path.legacyWatch ? serveWatch(ctx) : serveGet(ctx)),
  'PUT object': servePut,
  'PATCH object': servePatch,
  'DELETE object': serveDelete,
  'GET status': serveGet,
  'PUT status': servePut,
  'PATCH status': servePatch,
  'GET scale': serveScale,
  'PUT scale': serveScale,
  'PATCH scale': serveScale,
  'GET log': serveLog,
  'POST binding': serveBinding,
};

function shapeOf(path: ResourcePath): Shape | undefined {
  if (path.name === undefined) return 'collection';
  if (path.subresource === undefined) return 'object';
  const sub = path.subresource;
  if (sub === 'binding') return path.info.plural === 'pods' ? 'binding' : undefined;
  if (!path.info.subresources.includes(sub)) return undefined;
  return sub as Shape;
}

const NOT_FOUND = new StoreError(404, 'NotFound', 'the server could not find the requested resource');

async function serveAdmin(handlers: Record<string, AdminHandler>, name: string, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const handler = handlers[name];
  if (!handler) throw new StoreError(404, 'NotFound', `no admin route /sim/${name} (have: ${Object.keys(handlers).sort().join(', ')})`);
  const text = await readBody(req);
  let body: unknown;
  if (text.trim()) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new StoreError(400, 'BadRequest', `/sim/${name}: the request body is not valid JSON`);
    }
  }
  const answer = await handler({ method: req.method ?? 'GET', query, body });
  sendJson(res, 200, answer ?? {});
}

/**
 * Starts the simulated Kubernetes API server over `store`: plain HTTP on 127.0.0.1 (a random
 * port by default), serving discovery, CRUD, patch, watch and the status, scale, log and binding
 * subresources for the real `@kubernetes/client-node`, `pods/portforward` over WebSocket, plus
 * admin routes under `/sim/`.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const watches = new WatchRegistry();
  const userOf = opts.user ?? defaultUser;
  const admin: Record<string, AdminHandler> = {
    clock: () => opts.clock.describe(),
    'drop-watches': () => ({ dropped: watches.drop() }),
    ...opts.admin,
  };
  const server = createServer({ keepAliveTimeout: 65_000 });
  let serverAddress = '';

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, parsed: ReturnType<typeof parsePath>): Promise<void> {
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/sim/')) return serveAdmin(admin, url.pathname.slice(5), req, res, url.searchParams);
    if (url.pathname === ACCESS_REVIEW_PATH) {
      if (method !== 'POST') throw methodNotAllowed();
      const token = bearerToken(req);
      return serveAccessReview(req, res, opts.authorize, userOf(token), token);
    }
    if (parsed.kind === 'unknown') throw NOT_FOUND;
    if (parsed.kind === 'discovery') {
      if (method !== 'GET') throw methodNotAllowed();
      const doc = discoveryDoc(parsed, serverAddress, opts.kubernetesVersion);
      if (doc === undefined) throw NOT_FOUND;
      return sendJson(res, 200, doc);
    }
    if (parsed.info.plural === 'pods' && parsed.subresource === 'portforward' && parsed.name) throw new StoreError(400, 'BadRequest', 'Upgrade request required');
    const shape = shapeOf(parsed);
    if (!shape) throw NOT_FOUND;
    const handler = ROUTES[`${method} ${shape}`];
    if (!handler) throw methodNotAllowed();
    const token = bearerToken(req);
    let bodyPromise: Promise<string> | undefined;
    const ctx: HandlerContext = {
      store: opts.store,
      clock: opts.clock,
      req,
      res,
      query: url.searchParams,
      path: parsed,
      attrs: { user: userOf(token), token, group: parsed.info.group, name: parsed.name, subresource: parsed.subresource },
      authorize: opts.authorize,
      logs: opts.logs,
      followLogs: opts.followLogs,
      watches,
      body: () => (bodyPromise ??= readBody(req)),
    };
    return handler(ctx);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://simulator');
    const parsed = parsePath(url.pathname);
    // What a failure's Status.details names: the resource (as a plural) and the object.
    const target = parsed.kind === 'resource' ? { ...(parsed.name ? { name: parsed.name } : {}), group: parsed.info.group, kind: parsed.info.plural } : undefined;
    handle(req, res, url, parsed).catch((err: unknown) => sendError(res, err, target));
  });
  // pods/<name>/portforward arrives as a WebSocket upgrade, not as a request.
  const portForward = new PortForwarder({ store: opts.store, authorize: opts.authorize, user: userOf });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => portForward.handleUpgrade(req, socket, head));
  await listen(server, opts.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  serverAddress = `${urlHost}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${serverAddress}`,
    port,
    dropWatches: () => watches.drop(),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        // Watch streams get their final chunk; connections still busy after a moment are cut.
        watches.endAll();
        portForward.close();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 50).unref();
      })),
  };
}
