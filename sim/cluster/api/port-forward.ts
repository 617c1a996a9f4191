import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { StoreError, type Store } from '../store-types.ts';
import { authorizeRequest, type Authorizer, type UserResolver } from './authz.ts';
import { badRequest, notFound } from './errors.ts';
import { bearerToken } from './http-io.ts';
import { parsePath } from './request-path.ts';

/**
 * `pods/<name>/portforward` over WebSocket, as the API server and kubelet serve it to
 * `kubectl port-forward` and the client library's `PortForward`: an HTTP upgrade (GET or POST,
 * `?ports=N`) with subprotocol `v4.channel.k8s.io` (or the unversioned `channel.k8s.io`, same
 * framing). Every binary message starts with a channel byte: per forwarded port, channel 2i
 * carries data and 2i+1 errors, and the server's first message on each channel is the port as 2
 * little-endian bytes. Data is relayed to a TCP connection to `<podIP>:<port>`, opened for this
 * WebSocket; a refused connection is reported on the error channel with the kubelet's wording and
 * the WebSocket closed. Authorization is `create` on `pods/portforward`.
 */

/** Subprotocols served, in order of preference. */
const PROTOCOLS = ['v4.channel.k8s.io', 'channel.k8s.io'];

/** Options of {@link PortForwarder}. */
export interface PortForwarderOptions {
  store: Store;
  authorize?: Authorizer;
  user: UserResolver;
}

/** A live forward: the WebSocket and its upstream connections. */
interface Forward {
  ws: WebSocket;
  upstreams: Socket[];
}

/** Answers a refused upgrade with a `Status` body, as the API server does, and closes the socket. */
function refuse(socket: Duplex, err: StoreError): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: err.message, reason: err.reason, code: err.code });
  const head = `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  socket.end(head + body, () => socket.destroy());
}

function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = channel;
  payload.copy(out, 1);
  return out;
}

function portPrefix(channel: number, port: number): Buffer {
  const b = Buffer.alloc(3);
  b[0] = channel;
  b.writeUInt16LE(port, 1);
  return b;
}

/** The ports of `?ports=` (repeated or comma-separated), each 1-65535. */
function parsePorts(query: URLSearchParams): number[] {
  const raw = query.getAll('ports').flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  if (raw.length === 0) throw badRequest('"ports" query parameter is required');
  return raw.map((p) => {
    const n = /^\d+$/.test(p) ? Number(p) : NaN;
    if (!(n >= 1 && n <= 65535)) throw badRequest(`invalid port "${p}": must be an integer 1-65535`);
    return n;
  });
}

/** The port-forward endpoint of one API server. */
export class PortForwarder {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false });
  private readonly live = new Set<Forward>();
  private closed = false;

  constructor(private readonly opts: PortForwarderOptions) {}

  /** Handles an HTTP `upgrade` event: a port-forward request is served, anything else is refused with a Status. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    try {
      const { namespace, name, podIP, ports } = this.admit(req);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, `${namespace}/${name}`, podIP, ports));
    } catch (err) {
      refuse(socket, err instanceof StoreError ? err : new StoreError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`));
    }
  }

  /** Checks path, authorization, subprotocol, ports and the pod; throws the StoreError to answer with. */
  private admit(req: IncomingMessage): { namespace: string; name: string; podIP: string; ports: number[] } {
    if (this.closed) throw new StoreError(503, 'ServiceUnavailable', 'the API server is shutting down');
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = parsePath(url.pathname);
    if (path.kind !== 'resource' || path.info.plural !== 'pods' || path.subresource !== 'portforward' || !path.namespace || !path.name) {
      throw new StoreError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const token = bearerToken(req);
    authorizeRequest(this.opts.authorize, 'create', path.info, path.namespace, { user: this.opts.user(token), token, group: '', name: path.name, subresource: 'portforward' });
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!PROTOCOLS.some((p) => offered.includes(p))) throw badRequest(`unable to upgrade connection: no supported WebSocket subprotocol in [${offered.join(', ')}] (supported: ${PROTOCOLS.join(', ')})`);
    const ports = parsePorts(url.searchParams);
    const pod = this.opts.store.get('pods', path.namespace, path.name);
    if (!pod) throw notFound(path.info, path.name);
    const status = (pod.status ?? {}) as { phase?: string; podIP?: string };
    if (status.phase !== 'Running' || !status.podIP || pod.metadata.deletionTimestamp) {
      throw badRequest(`unable to upgrade connection: pod ${path.name} is not running (phase ${status.phase ?? 'Unknown'}${pod.metadata.deletionTimestamp ? ', terminating' : ''})`);
    }
    return { namespace: path.namespace, name: path.name, podIP: status.podIP, ports };
  }

  private serve(ws: WebSocket, pod: string, podIP: string, ports: number[]): void {
    const fwd: Forward = { ws, upstreams: [] };
    this.live.add(fwd);
    ws.on('error', () => {});
    ports.forEach((port, i) => {
      const data = 2 * i;
      const error = data + 1;
      ws.send(portPrefix(data, port));
      ws.send(portPrefix(error, port));
      const upstream = connect(port, podIP);
      fwd.upstreams[i] = upstream;
      upstream.setNoDelay(true);
      upstream.on('data', (chunk: Buffer) => {
        if (ws.readyState === ws.OPEN) ws.send(frame(data, chunk));
      });
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        const reason = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : (err.code ?? err.message);
        if (ws.readyState === ws.OPEN) ws.send(frame(error, `error forwarding port ${port} to pod ${pod}: dial tcp ${podIP}:${port}: ${reason}`));
      });
      // The pod's side closed (or never opened): the stream ends, and with one port the WebSocket.
      upstream.on('close', () => {
        if (ws.readyState === ws.OPEN) ws.close(1000);
      });
    });
    ws.on('message', (msg: Buffer, isBinary: boolean) => {
      const buf = isBinary ? msg : Buffer.from(msg);
      if (buf.length < 1) return;
      const channel = buf[0]!;
      if (channel % 2 !== 0) return;
      const upstream = fwd.upstreams[channel / 2];
      if (upstream && !upstream.destroyed && buf.length > 1) upstream.write(buf.subarray(1));
    });
    ws.on('close', () => {
      this.live.delete(fwd);
      for (const u of fwd.upstreams) u.end();
      setTimeout(() => {
        for (const u of fwd.upstreams) u.destroy();
      }, 100).unref();
    });
  }

  /** Refuses new forwards and cuts every live one. */
  close(): void {
    this.closed = true;
    for (const f of this.live) {
      f.ws.terminate();
      for (const u of f.upstreams) u.destroy();
    }
    this.live.clear();
    this.wss.close();
  }
}
