/**
 * `kubectl port-forward` through the client library: a local TCP server on 127.0.0.1 whose every
 * connection becomes one `PortForward` WebSocket (`pods/<pod>/portforward`, subprotocol
 * `v4.channel.k8s.io`) to the pod's port, through the API server and the kubelet. Every byte
 * crosses two extra hops and WebSocket framing, so latency measured through it includes their
 * noise; reports say so.
 *
 * Closing stops the listener, ends every local connection and closes every WebSocket, so a test
 * or a run that tears down leaves no socket open.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { PortForward } from '@kubernetes/client-node';
import type { ClusterConnection } from './connect.ts';
import { ClusterError } from './errors.ts';

/** The WebSocket the client library returns (the `ws` package's; typed loosely to avoid a second copy of its types). */
interface ForwardSocket {
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  close(): void;
  terminate(): void;
}

/** A running local forward. */
export interface LocalForward {
  /** `http://127.0.0.1:<local port>`. */
  readonly url: string;
  readonly localPort: number;
  /** The pod and port forwarded to. */
  readonly pod: string;
  readonly podPort: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** What went wrong on forwarded connections (the error channel, failed upgrades), first 20, one line each. */
  readonly errors: readonly string[];
  /** Stops listening and closes every connection and WebSocket. */
  close(): Promise<void>;
}

const MAX_ERRORS = 20;

/**
 * Starts forwarding `127.0.0.1:<free port>` to `podPort` of `pod` in the connection's
 * namespace. A failing forward shows as a reset local connection (as with kubectl), with the
 * reason kept in `errors`.
 */
export async function startPortForward(c: ClusterConnection, pod: string, podPort: number): Promise<LocalForward> {
  const forward = new PortForward(c.kc, true);
  const sockets = new Set<Socket>();
  const webSockets = new Set<ForwardSocket>();
  const errors: string[] = [];
  let connections = 0;
  let closed = false;
  const record = (line: string): void => {
    if (errors.length < MAX_ERRORS) errors.push(line.split('\n')[0]!.trim());
  };

  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    const errSink = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (chunk.length > 0) record(chunk.toString('utf8'));
        done();
      },
    });
    forward.portForward(c.namespace, pod, [podPort], socket, errSink, socket).then(
      (result) => {
        const ws = result as unknown as ForwardSocket;
        if (closed || socket.destroyed) {
          ws.terminate();
          return;
        }
        webSockets.add(ws);
        ws.on('error', (err) => record(`port-forward to ${pod}:${podPort}: ${err.message}`));
        // The pod's side ended (or the API server closed the stream): end the local connection too.
        ws.on('close', () => {
          webSockets.delete(ws);
          socket.end();
        });
        socket.on('close', () => ws.close());
      },
      (err: unknown) => {
        const message = (err as { message?: string })?.message ?? String(err);
        record(`port-forward to ${pod}:${podPort} via ${c.server}: ${message}`);
        socket.destroy();
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ClusterError('PORT_FORWARD', `port-forward to pod ${pod}:${podPort}: cannot listen on 127.0.0.1: ${err.message}`)));
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const localPort = (server.address() as { port: number }).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${localPort}`,
    localPort,
    pod,
    podPort,
    get connections() {
      return connections;
    },
    errors,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        closed = true;
        server.close(() => resolve());
        for (const ws of webSockets) ws.terminate();
        webSockets.clear();
        for (const s of sockets) s.destroy();
        sockets.clear();
      })),
  };
}
