/**
 * The small HTTP servers simulated processes run on their pod IP (requester probes and SPI,
 * launcher API, generic probe targets): bind, route by `METHOD path`, answer, and close with
 * every connection dropped so `close()` leaves no sockets behind.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One route handler. `query` is the parsed query string. */
export type Handler = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => void | Promise<void>;

/** A listening server. */
export interface BoundServer {
  /** `http://<host>:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections; idempotent. */
  close(): Promise<void>;
}

/** Sends a complete response. */
export function send(res: ServerResponse, status: number, body: string | Buffer, contentType = 'application/json', headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': buf.length });
  res.end(buf);
}

/** Sends JSON. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(value), 'application/json', headers);
}

/** Reads a request body as UTF-8 (capped at 8 MiB; more is an error). */
export function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > 8 * 1024 * 1024) req.destroy(new Error('request body too large'));
      else parts.push(b);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts a server on `host:port` with routes keyed `METHOD /path` (exact) and an optional
 * fallback for paths with parameters. Unknown paths get 404, known paths with another method 405.
 */
export function serve(host: string, port: number, routes: Readonly<Record<string, Handler>>, fallback?: Handler): Promise<BoundServer> {
  const paths = new Set(Object.keys(routes).map((k) => k.slice(k.indexOf(' ') + 1)));
  const server: Server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://x');
    const handler = routes[`${req.method} ${url.pathname}`];
    const run = handler ?? (fallback && !paths.has(url.pathname) ? fallback : undefined);
    if (!run) {
      req.resume();
      return paths.has(url.pathname) ? sendJson(res, 405, { detail: 'Method Not Allowed' }) : sendJson(res, 404, { detail: 'Not Found' });
    }
    Promise.resolve()
      .then(() => run(req, res, url.searchParams))
      .catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { detail: (err as Error).message });
        else res.destroy();
      });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as { port: number }).port;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${host}:${bound}`,
        port: bound,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
