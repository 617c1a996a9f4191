/**
 * Pod 0's coordinator of a distributed run (`README.md` of lib/distributed): an HTTP server the pods ask for
 * pod 0's wall clock (`GET /clock`, for the clock offset, `clock-offset.ts`) and wait at to start
 * a stage together (`POST /barrier`).
 *
 * A barrier key is released when every pod still expected has arrived, or when
 * `barrierTimeoutMs` has passed since the first arrival; every waiter then gets the same
 * `startWallMs` (release time plus `marginMs`, on this clock), so each pod, having converted it
 * to its own clock, starts at one instant. A pod missing at a release is taken as gone: later
 * keys are not held for it, until it arrives somewhere again. A pod that arrives after its key
 * was released gets the same start at once, marked `late`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BenchError } from '../errors/bench-error.ts';

/** The coordinator cannot be started, reached or understood; the message names its URL. */
export class CoordinatorError extends BenchError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Options of `startCoordinator`. */
export interface CoordinatorOptions {
  /** Pods in the run (indices 0 .. count-1). */
  count: number;
  /** Address to listen on (`POD_IP`, else `0.0.0.0`); default 127.0.0.1. */
  host?: string;
  /** Port (7070 in a Job); 0 picks a free one. */
  port?: number;
  /** How long a barrier waits after its first arrival before it releases without the others, ms. */
  barrierTimeoutMs?: number;
  /** Time between a release and the common start, ms: covers the answer's trip to the pods. */
  marginMs?: number;
}

/** What every pod at a barrier is told (the JSON answer of `POST /barrier`). */
export interface BarrierRelease {
  key: string;
  /** The common start on the coordinator's wall clock (`performance.timeOrigin + performance.now()`), ms. */
  startWallMs: number;
  /** Indices that had arrived when it was released, ascending. */
  arrived: number[];
  /** Indices it was released without, ascending. */
  missing: number[];
  /** This pod arrived after the release (it was among `missing`). */
  late: boolean;
}

/** A running coordinator. */
export interface Coordinator {
  /** `http://<host>:<port>` (the address it listens on). */
  url: string;
  port: number;
  /** Arrives at barrier `key` as pod `index` in-process (what `POST /barrier` does). */
  arrive(key: string, index: number): Promise<BarrierRelease>;
  /** Stops listening; pods still waiting get a 503. */
  close(): Promise<void>;
}

/** Largest request body accepted, bytes (a barrier body is about 100). */
const MAX_BODY = 4096;
const MAX_KEY = 256;

interface Barrier {
  arrived: Set<number>;
  waiters: Array<{ resolve: (r: BarrierRelease) => void; reject: (e: Error) => void }>;
  timer: NodeJS.Timeout | null;
  release: Omit<BarrierRelease, 'late'> | null;
}

const wallMs = (): number => performance.timeOrigin + performance.now();

/** Starts the coordinator of `count` pods; resolves once it listens. */
export async function startCoordinator(opts: CoordinatorOptions): Promise<Coordinator> {
  const { count, host = '127.0.0.1', port = 0, barrierTimeoutMs = 120_000, marginMs = 250 } = opts;
  if (!Number.isInteger(count) || count < 1) throw new CoordinatorError('COORDINATOR_INVALID', `coordinator: count must be an integer >= 1, got ${count}`);
  const barriers = new Map<string, Barrier>();
  // Pods missing at some release and not seen since: later barriers do not wait for them.
  const gone = new Set<number>();
  let closed = false;

  const releaseIfDue = (key: string, b: Barrier, force: boolean): void => {
    if (b.release) return;
    if (!force) {
      for (let i = 0; i < count; i++) if (!b.arrived.has(i) && !gone.has(i)) return;
    }
    if (b.timer) clearTimeout(b.timer);
    const arrived = [...b.arrived].sort((x, y) => x - y);
    const missing: number[] = [];
    for (let i = 0; i < count; i++) if (!b.arrived.has(i)) missing.push(i);
    b.release = { key, startWallMs: wallMs() + marginMs, arrived, missing };
    const newlyGone = missing.filter((i) => !gone.has(i));
    for (const i of missing) gone.add(i);
    for (const w of b.waiters.splice(0)) w.resolve({ ...b.release, late: false });
    // Barriers held for a pod that is now gone may be complete.
    if (newlyGone.length) for (const [k, other] of barriers) releaseIfDue(k, other, false);
  };

  const arrive = (key: string, index: number): Promise<BarrierRelease> => {
    if (closed) return Promise.reject(new CoordinatorError('COORDINATOR_CLOSED', 'coordinator: closed'));
    gone.delete(index);
    let b = barriers.get(key);
    if (!b) {
      b = { arrived: new Set(), waiters: [], timer: null, release: null };
      barriers.set(key, b);
      const bb = b;
      b.timer = setTimeout(() => releaseIfDue(key, bb, true), barrierTimeoutMs);
    }
    if (b.release) return Promise.resolve({ ...b.release, late: !b.release.arrived.includes(index) });
    b.arrived.add(index);
    const p = new Promise<BarrierRelease>((resolve, reject) => b.waiters.push({ resolve, reject }));
    releaseIfDue(key, b, false);
    return p;
  };

  const server = createServer((req, res) => {
    handle(req, res, count, arrive).catch((err: Error) => reply(res, 500, { error: `coordinator: ${err.message}` }));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: Error) => reject(new CoordinatorError('COORDINATOR_LISTEN', `coordinator: cannot listen on ${host}:${port}: ${err.message}`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}`,
    port: bound,
    arrive,
    close: async () => {
      if (closed) return;
      closed = true;
      const err = new CoordinatorError('COORDINATOR_CLOSED', 'coordinator: closed before the barrier was released');
      for (const b of barriers.values()) {
        if (b.timer) clearTimeout(b.timer);
        for (const w of b.waiters.splice(0)) w.reject(err);
      }
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      // Let the 503 answers reach the sockets before the connections are cut.
      await new Promise((r) => setImmediate(r));
      server.closeAllConnections();
      await done;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, count: number, arrive: Coordinator['arrive']): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/clock') {
    if (req.method !== 'GET') return reply(res, 405, { error: 'GET /clock' });
    return reply(res, 200, { wallMs: wallMs() });
  }
  if (path !== '/barrier') return reply(res, 404, { error: `no ${path} (GET /clock, POST /barrier)` });
  if (req.method !== 'POST') return reply(res, 405, { error: 'POST /barrier {"key", "index"}' });
  const body = await readBody(req);
  if (body === null) return reply(res, 413, { error: `body larger than ${MAX_BODY} bytes` });
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch {
    return reply(res, 400, { error: 'body is not JSON: expected {"key": string, "index": integer}' });
  }
  const { key, index } = (input ?? {}) as { key?: unknown; index?: unknown };
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY) return reply(res, 400, { error: `key: expected a string of 1-${MAX_KEY} characters` });
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count) return reply(res, 400, { error: `index: expected an integer in 0..${count - 1}` });
  let answered = false;
  res.once('close', () => void (answered = true));
  try {
    const r = await arrive(key, index);
    if (!answered) reply(res, 200, r);
  } catch (err) {
    if (!answered) reply(res, 503, { error: (err as Error).message });
  }
}

/** The body as text, or null past `MAX_BODY` bytes (the rest is drained, not kept). */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= MAX_BODY) parts.push(b);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
