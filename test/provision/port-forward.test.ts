import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCluster, type ClusterConnection } from '../../lib/k8s/connect.ts';
import { startPortForward } from '../../lib/k8s/port-forward.ts';
import { ClusterClock } from '../../sim/cluster/clock.ts';
import { createStore, startApiServer, writeKubeconfig, type ApiServer } from '../../sim/cluster/api/index.ts';

/*
 * The simulator's pods/portforward endpoint against the client library's PortForward, with a
 * local TCP echo server standing in for the pod's port (a pod object with podIP 127.0.0.1).
 */
const dir = mkdtempSync(join(tmpdir(), 'llmd-portforward-'));
let api: ApiServer;
let store: ReturnType<typeof createStore>;
let conn: ClusterConnection;
let echo: Server;
let echoPort: number;

function pod(name: string, phase: string): void {
  store.create('pods', 'bench', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'echo' }] } });
  store.mutate('pods', 'bench', name, (o) => {
    o.status = { phase, ...(phase === 'Running' ? { podIP: '127.0.0.1' } : {}) };
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** Sends `data` through a local connection and collects what comes back until `data.length` bytes or the connection closes. */
function roundTrip(port: number, data: Buffer): Promise<{ back: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    let n = 0;
    s.on('data', (b: Buffer) => {
      parts.push(b);
      n += b.length;
      if (n >= data.length) {
        s.end();
        resolve({ back: Buffer.concat(parts), closed: false });
      }
    });
    s.on('error', () => {});
    s.on('close', () => resolve({ back: Buffer.concat(parts), closed: true }));
    s.write(data);
  });
}

/** A raw WebSocket upgrade request: the HTTP status and body the API server answers with when it refuses. */
function upgrade(path: string, protocol = 'v4.channel.k8s.io'): Promise<{ status: number; body: string }> {
  const url = new URL(api.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': protocol },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const clock = new ClusterClock(1);
  store = createStore(clock, { namespaces: ['default', 'bench'] });
  api = await startApiServer({ store, clock, authorize: (verb, resource, _ns, attrs) => (verb === 'create' && resource === 'pods/portforward' && attrs.name === 'locked' ? '' : undefined) });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, { url: api.url, namespace: 'bench' });
  conn = await connectCluster({ kubeconfig });
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as { port: number }).port;
  pod('echo', 'Running');
  pod('waiting', 'Pending');
  pod('locked', 'Running');
});

afterAll(async () => {
  await api.close();
  store.close();
  await new Promise((r) => echo.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('port-forward through the simulator API server', () => {
  it('relays bytes both ways, intact, one WebSocket per local connection', async () => {
    const fwd = await startPortForward(conn, 'echo', echoPort);
    try {
      const big = randomBytes(1 << 20);
      const [a, b] = await Promise.all([roundTrip(fwd.localPort, big), roundTrip(fwd.localPort, Buffer.from('hello'))]);
      expect(a.back.equals(big)).toBe(true);
      expect(b.back.toString()).toBe('hello');
      expect(fwd.connections).toBe(2);
      expect(fwd.errors).toEqual([]);
    } finally {
      await fwd.close();
    }
    // Closed: nothing listens on the local port any more.
    expect((await roundTrip(fwd.localPort, Buffer.from('x'))).closed).toBe(true);
  });

  it('a refused pod port is reported on the error channel with the kubelet wording, and the local connection closes', async () => {
    const closed = await freePort();
    const fwd = await startPortForward(conn, 'echo', closed);
    try {
      const r = await roundTrip(fwd.localPort, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
      expect(r).toMatchObject({ closed: true });
      expect(r.back.length).toBe(0);
      expect(fwd.errors).toEqual([`error forwarding port ${closed} to pod bench/echo: dial tcp 127.0.0.1:${closed}: connect: connection refused`]);
    } finally {
      await fwd.close();
    }
  });

  it('refuses a pod that is not running, an RBAC denial, a missing pod, no subprotocol and a plain request, each with the API server status', async () => {
    const base = '/api/v1/namespaces/bench/pods';
    expect(await upgrade(`${base}/echo/portforward?ports=${echoPort}`)).toMatchObject({ status: 101 });
    const pending = await upgrade(`${base}/waiting/portforward?ports=8000`);
    expect(pending.status).toBe(400);
    expect(JSON.parse(pending.body).message).toBe('unable to upgrade connection: pod waiting is not running (phase Pending)');
    const denied = await upgrade(`${base}/locked/portforward?ports=8000`);
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body).message).toMatch(/^pods "locked" is forbidden: User "system:anonymous" cannot create resource "pods\/portforward"/);
    expect((await upgrade(`${base}/nope/portforward?ports=8000`)).status).toBe(404);
    expect(JSON.parse((await upgrade(`${base}/echo/portforward`)).body).message).toBe('"ports" query parameter is required');
    expect((await upgrade(`${base}/echo/portforward?ports=8000`, 'v5.channel.k8s.io')).status).toBe(400);
    const plain = await fetch(`${api.url}${base}/echo/portforward?ports=8000`, { method: 'POST' });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { message: string }).message).toBe('Upgrade request required');

    // Through the client library, a refused upgrade is a recorded error and a closed local connection.
    const fwd = await startPortForward(conn, 'locked', echoPort);
    try {
      expect((await roundTrip(fwd.localPort, Buffer.from('x'))).closed).toBe(true);
      expect(fwd.errors).toEqual([`port-forward to locked:${echoPort} via ${api.url}: Unexpected server response: 403`]);
    } finally {
      await fwd.close();
    }
  });

  it('closing the API server cuts live forwards instead of hanging', async () => {
    const second = await startApiServer({ store, clock: new ClusterClock(1) });
    const kubeconfig = join(dir, 'kubeconfig-2');
    await writeKubeconfig(kubeconfig, { url: second.url, namespace: 'bench' });
    const fwd = await startPortForward(await connectCluster({ kubeconfig }), 'echo', echoPort);
    const s = connect(fwd.localPort, '127.0.0.1');
    s.on('error', () => {});
    const first = new Promise<string>((r) => s.once('data', (b: Buffer) => r(b.toString())));
    s.write('ping');
    expect(await first).toBe('ping');
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    const started = performance.now();
    await second.close();
    await closed;
    expect(performance.now() - started).toBeLessThan(2000);
    await fwd.close();
  });
});
