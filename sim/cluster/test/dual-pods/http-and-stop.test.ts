/**
 * The controller's HTTP behaviour against bare servers that misbehave, on a store alone (no
 * kubelet): the 30 s client timeout (in cluster time), Go-worded errors in the requester's status,
 * and `stop()` aborting an in-flight call and leaving nothing running.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore, type ClusterStore } from '../../api/store.ts';
import { dualPodsKeys, gpuMapConfigMap, startDualPodsController, type DualPodsController } from '../../behaviour/dual-pods/index.ts';
import { ClusterClock } from '../../clock.ts';
import { directPatch, logLines, requesterPod } from './harness.ts';

const NS = 'ns';
const IP = '127.1.200.7';
const keys = dualPodsKeys();

let server: Server | undefined;
let store: ClusterStore | undefined;
let dpc: DualPodsController | undefined;
let clock: ClusterClock | undefined;
/** The controller's own view of the same cluster time, so its timers can be counted apart from the store's. */
let dpcClock: ClusterClock | undefined;
afterEach(async () => {
  dpc?.stop();
  store?.close();
  clock?.stopAll();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  dpcClock?.stopAll();
  server = dpc = store = clock = dpcClock = undefined;
});

/** A store with a node, the gpu-map and a scheduled requester whose SPI is served at IP:8081 by `handler`. */
async function setup(handler: Parameters<typeof createServer>[1], timeScale = 0.005): Promise<{ sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  server = createServer(handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server!.listen(8081, IP, r));
  clock = new ClusterClock(timeScale);
  store = createStore(clock);
  store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  store.create('nodes', undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: {} }, spec: {} });
  store.create('configmaps', NS, gpuMapConfigMap([{ name: 'n1', gpus: [{ uuid: 'GPU-0', index: 0 }] }], NS));
  const pod = requesterPod('req-x', { [keys.serverPatch]: directPatch() });
  (pod.spec as Record<string, unknown>).nodeName = 'n1';
  const created = store.create('pods', NS, pod);
  store.mutate('pods', NS, created.metadata.name!, (p) => {
    p.status = { phase: 'Running', podIP: IP };
  });
  dpcClock = new ClusterClock(clock.timeScale, clock.epochMs, clock.startHrNs);
  dpc = startDualPodsController({ store, clock: dpcClock, namespace: NS, options: { populator: { enabled: false } } });
  return { sockets };
}

async function until(what: string, fn: () => boolean, realMs = 5000): Promise<void> {
  const end = Date.now() + realMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('controller HTTP client (protocol 3: doHTTP, 30 s timeout) and stop()', () => {
  it('times a silent server out after 30 cluster seconds and records the Go-worded error in the status', async () => {
    await setup(() => {
      /* never answers */
    });
    const status = () => store!.get('pods', NS, 'req-x')?.metadata.annotations?.[keys.status] ?? '';
    await until('the timeout error in the status', () => status().includes('Client.Timeout exceeded'));
    const line = logLines(dpc!.logText(), '"HTTP call done"', 'purpose="get_gpu_uuids"')[0]!;
    expect(line).toContain('statusCode=0');
    expect(line).toContain('err="failed to do HTTP GET \\"http://127.1.200.7:8081/v1/dual-pods/accelerators\\": Get ');
    const latency = Number(/latencySecs=([0-9.e+-]+)/.exec(line)![1]);
    expect(latency).toBeGreaterThanOrEqual(30);
    expect(latency).toBeLessThan(60);
    expect(JSON.parse(status()).Errors[0]).toMatch(/^GET "http:\/\/127\.1\.200\.7:8081\/v1\/dual-pods\/accelerators" fails: /);
    expect(dpc!.metricsText()).toContain(`fma_http_latency_seconds_count{purpose="get_gpu_uuids",method="GET",exported_namespace="${NS}",isc_name="",status_code="0"} 1`);
  });

  it('reports an empty GPU list as a status error, as the real controller', async () => {
    await setup((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('[]');
    });
    await until('the empty-GPU error', () => store!.get('pods', NS, 'req-x')?.metadata.annotations?.[keys.status] === '{"Errors":["the assigned set of GPUs is empty"]}');
  });

  it('stop() aborts the in-flight call, and nothing runs or logs afterwards', async () => {
    const { sockets } = await setup(() => {
      /* never answers */
    }, 1);
    await until('the call to arrive', () => sockets.size > 0);
    const before = dpc!.logText();
    dpc!.stop();
    await until('the connection to close', () => sockets.size === 0, 1000);
    expect((dpcClock as unknown as { timers: Set<unknown> }).timers.size).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(dpc!.logText()).toBe(before);
    // Later events are ignored: no work, no log.
    store!.mutate('pods', NS, 'req-x', (p) => {
      p.metadata.labels = { ...p.metadata.labels, poke: '1' };
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(dpc!.logText()).toBe(before);
    dpc!.stop(); // idempotent
  });
});
