/*
 * Drives requests through the real client (runLoad → Exchange → undici → SSE parser → adapters)
 * against a server on 127.0.0.1, collecting the records. Shared by test/http, test/apis,
 * test/load and test/scenario.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { API_ADAPTERS, type Capabilities, capabilitiesFor } from '../../lib/apis/index.ts';
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../../lib/config/schema/limits.ts';
import { HttpTarget, type TimeoutsMs, type TlsOptions } from '../../lib/http/target.ts';
import { type LoadOutcome, type RetryPolicy, runLoad } from '../../lib/load/runner.ts';
import type { Schedule } from '../../lib/load/schedule.ts';
import type { RequestRecord } from '../../lib/metrics/record.ts';

export const MODEL = 'Qwen/Qwen3-0.6B';

/** Generous defaults: a test that wants a timeout to fire sets that one short. */
export const TIMEOUTS: TimeoutsMs = { connect: 2000, firstToken: 5000, idle: 5000, total: 10_000 };

/** What one driven run sends. */
export interface DriveOptions {
  /** Base URL (`http://127.0.0.1:PORT`). */
  url: string;
  api?: 'completions' | 'chat';
  stream?: boolean;
  /** Measured requests (default 1). */
  requests?: number;
  warmup?: number;
  /** Default: closed loop, concurrency 1. */
  schedule?: Schedule;
  timeouts?: Partial<TimeoutsMs>;
  /** Response size limits (default the defaults). */
  limits?: Partial<ResponseLimits>;
  /** Certificate verification of an https URL. */
  tls?: TlsOptions;
  retry?: RetryPolicy;
  /** Extra request headers of every request (e.g. `x-sim-fault`). */
  headers?: Record<string, string>;
  apiKey?: string;
  /** Overrides of vLLM's capabilities. */
  caps?: Partial<Capabilities>;
  /** max_tokens of request i (default 8). */
  maxTokens?: number | ((i: number) => number);
  /** Prompt of request i. */
  prompt?: (i: number) => string;
  signal?: AbortSignal;
  unreachableAfter?: number;
  requestIdPrefix?: string;
  keepText?: boolean;
  /** Called with each record as the runner hands it over (after it was collected). */
  onRecord?(r: RequestRecord, text: string): void;
}

/** Records in the order the runner handed them over, the outcome, and wall time of the run. */
export interface Driven {
  records: RequestRecord[];
  /** Texts kept (`keepText`), parallel to `records`. */
  texts: string[];
  outcome: LoadOutcome;
  elapsedMs: number;
  target: HttpTarget;
}

/** Runs `runLoad` with completions/chat bodies built by the real adapters. */
export async function drive(o: DriveOptions): Promise<Driven> {
  const api = o.api ?? 'completions';
  const adapter = API_ADAPTERS[api];
  const caps = capabilitiesFor('vllm', o.caps);
  const stream = o.stream ?? true;
  const target = new HttpTarget({
    baseUrl: o.url,
    ...(o.apiKey ? { apiKey: o.apiKey } : {}),
    headers: o.headers ?? {},
    timeouts: { ...TIMEOUTS, ...o.timeouts },
    limits: { ...DEFAULT_RESPONSE_LIMITS, ...o.limits },
    ...(o.tls ? { tls: o.tls } : {}),
  });
  const records: RequestRecord[] = [];
  const texts: string[] = [];
  const maxTokensOf = (i: number): number => (typeof o.maxTokens === 'function' ? o.maxTokens(i) : (o.maxTokens ?? 8));
  const started = performance.now();
  const outcome = await runLoad({
    target,
    adapter,
    model: MODEL,
    stream,
    schedule: o.schedule ?? { kind: 'closed', concurrency: 1, description: 'concurrency 1' },
    warmup: o.warmup ?? 0,
    requests: o.requests ?? 1,
    requestIdPrefix: o.requestIdPrefix ?? 'test',
    keepText: o.keepText ?? false,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.retry ? { retry: o.retry } : {}),
    ...(o.unreachableAfter !== undefined ? { unreachableAfter: o.unreachableAfter } : {}),
    request(i) {
      const maxTokens = maxTokensOf(i);
      const prompt = o.prompt ? o.prompt(i) : `request ${i} tell me about the sea`;
      return { body: adapter.body({ model: MODEL, prompt, maxTokens, stream }, caps), cell: `max_tokens=${maxTokens}`, promptTokens: 7, maxTokens };
    },
    onRecord(r, text) {
      records.push(r);
      texts.push(text);
      o.onRecord?.(r, text);
    },
  });
  return { records, texts, outcome, elapsedMs: performance.now() - started, target };
}

/** The single record of a one-request run. */
export async function driveOne(o: DriveOptions): Promise<RequestRecord & { elapsedMs: number }> {
  const { records, elapsedMs } = await drive({ ...o, requests: 1 });
  if (records.length !== 1) throw new Error(`expected one record, got ${records.length}`);
  return Object.assign(records[0]!, { elapsedMs });
}

/** A `node:http` server of our own on 127.0.0.1 (for conditions the simulator cannot produce). */
export async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createHttpServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A raw TCP server that accepts connections, reads everything and never answers. */
export async function silentServer(): Promise<{ port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: NetServer = createNetServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => {});
    s.resume();
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
