import { connect, createServer, type Server, type Socket } from 'node:net';
import type { KObject, Store } from '../store-types.ts';
import type { ServicePort } from './endpoints-controller.ts';
import { objectKey } from './work-queue.ts';

/**
 * A kube-proxy stand-in: for each TCP port of each Service with a ClusterIP it listens on
 * `<clusterIP>:<port>` (a 127.2.x.y loopback address) and forwards every connection to a ready
 * endpoint `<podIP>:<targetPort>` from the Service's Endpoints, round-robin. Like kube-proxy's
 * REJECT rule, a port with no ready endpoint refuses connections: the listener is open only while
 * there is at least one. A bind failure (address in use, privileged port) is reported by
 * {@link ServiceProxy.status}.
 */

/** One proxied Service port. */
export interface ProxiedPort {
  /** `namespace/name` of the Service. */
  service: string;
  /** `<clusterIP>:<port>`. */
  address: string;
  /** Ready endpoints, `<podIP>:<port>`. */
  endpoints: string[];
  /** Whether connections are accepted now. */
  listening: boolean;
  /** The last bind error, if listening failed. */
  error?: string;
}

interface Listener {
  service: string;
  ip: string;
  port: number;
  portName: string | undefined;
  targets: string[];
  next: number;
  server?: Server;
  error?: string;
}

/** The proxy over one store. */
export class ServiceProxy {
  private readonly listeners = new Map<string, Listener>();
  private readonly sockets = new Set<Socket>();
  private readonly stops: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly store: Store) {}

  /** Starts watching Services and Endpoints. */
  start(): void {
    const refresh = (e: { object: KObject }): void => this.refresh(e.object.metadata.namespace as string, e.object.metadata.name as string);
    this.stops.push(this.store.watch('services', undefined, {}, refresh));
    this.stops.push(this.store.watch('endpoints', undefined, {}, refresh));
  }

  /** Every proxied port and its state. */
  status(): ProxiedPort[] {
    return [...this.listeners.values()].map((l) => ({
      service: l.service,
      address: `${l.ip}:${l.port}`,
      endpoints: [...l.targets],
      listening: Boolean(l.server?.listening),
      ...(l.error ? { error: l.error } : {}),
    }));
  }

  private refresh(namespace: string, name: string): void {
    if (this.stopped) return;
    const key = objectKey(namespace, name);
    const svc = this.store.get('services', namespace, name);
    const spec = (svc?.spec ?? {}) as { clusterIP?: string; ports?: ServicePort[] };
    const ip = spec.clusterIP && spec.clusterIP !== 'None' && !svc?.metadata.deletionTimestamp ? spec.clusterIP : undefined;
    const wanted = new Set<string>();
    const endpoints = this.store.get('endpoints', namespace, name);
    for (const p of ip ? (spec.ports ?? []) : []) {
      if ((p.protocol ?? 'TCP') !== 'TCP') continue;
      const addr = `${ip}:${p.port}`;
      wanted.add(addr);
      let l = this.listeners.get(addr);
      if (!l) {
        l = { service: key, ip: ip as string, port: p.port, portName: p.name, targets: [], next: 0 };
        this.listeners.set(addr, l);
      }
      l.portName = p.name;
      l.targets = readyTargets(endpoints, p.name, (spec.ports ?? []).length);
      this.reconcile(l);
    }
    for (const [addr, l] of this.listeners) {
      if (l.service === key && !wanted.has(addr)) {
        l.targets = [];
        this.reconcile(l);
        this.listeners.delete(addr);
      }
    }
  }

  /** Opens or closes the listener to match whether it has targets (a failed bind is retried on the next change). */
  private reconcile(l: Listener): void {
    const want = l.targets.length > 0 && !this.stopped;
    if (want && !l.server) {
      const server = createServer((socket) => this.forward(l, socket));
      l.server = server;
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (l.server === server) l.server = undefined;
        l.error = `cannot listen on ${l.ip}:${l.port}: ${err.code ?? err.message}`;
      });
      server.listen(l.port, l.ip, () => delete l.error);
    } else if (!want && l.server) {
      const server = l.server;
      l.server = undefined;
      server.close();
    }
  }

  private forward(l: Listener, client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    if (l.targets.length === 0) {
      client.destroy();
      return;
    }
    const target = l.targets[l.next++ % l.targets.length] as string;
    const colon = target.lastIndexOf(':');
    const upstream = connect(Number(target.slice(colon + 1)), target.slice(0, colon));
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    // A refused or reset upstream resets the client too, as a dead pod does behind kube-proxy.
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  }

  /** Stops watching, closes every listener and cuts every proxied connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.stops.splice(0)) s();
    const closing: Array<Promise<void>> = [];
    for (const l of this.listeners.values()) {
      const server = l.server;
      l.server = undefined;
      if (server) closing.push(new Promise((resolve) => server.close(() => resolve())));
    }
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.listeners.clear();
    await Promise.all(closing);
  }
}

/** Ready `<ip>:<port>` targets of a Service port from its Endpoints. */
function readyTargets(endpoints: KObject | undefined, portName: string | undefined, portCount: number): string[] {
  const subsets = (endpoints?.subsets ?? []) as Array<{ addresses?: Array<{ ip: string }>; ports?: Array<{ name?: string; port: number }> }>;
  const out: string[] = [];
  for (const s of subsets) {
    const port = s.ports?.find((p) => (p.name ?? '') === (portName ?? '')) ?? (portCount === 1 ? s.ports?.[0] : undefined);
    if (!port) continue;
    for (const a of s.addresses ?? []) out.push(`${a.ip}:${port.port}`);
  }
  return out;
}
