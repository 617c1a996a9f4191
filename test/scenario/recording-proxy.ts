/**
 * A recording proxy in front of a server: keeps what each POST said (body and headers) as the
 * server got it, when it arrived, when its response ended, and the response's text (the
 * streamed chunks' `text` or `delta.content` joined, or a whole body's choice).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the proxy saw it. */
export interface Seen {
  headers: IncomingMessage['headers'];
  body: { prompt?: string; messages?: { role: string; content: string }[] };
  /** Arrival and response end, `performance.now()` ms. */
  at: number;
  endAt: number;
  /** The response's output text. */
  text: string;
}

/** A running proxy: its URL, what it saw in arrival order, and how to close it. */
export interface RecordingProxy {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** The output text of a response body: SSE chunks or one JSON body. */
function outputText(raw: string): string {
  type Choice = { text?: string; delta?: { content?: string }; message?: { content?: string } };
  const pieces = (c: Choice | undefined): string => c?.text ?? c?.delta?.content ?? c?.message?.content ?? '';
  if (!raw.startsWith('data:')) return pieces((JSON.parse(raw) as { choices?: Choice[] }).choices?.[0]);
  let text = '';
  for (const line of raw.split('\n')) {
    const data = line.startsWith('data: ') ? line.slice(6).trim() : '';
    if (!data || data === '[DONE]') continue;
    text += pieces((JSON.parse(data) as { choices?: Choice[] }).choices?.[0]);
  }
  return text;
}

/** What the proxy does besides recording. */
export interface ProxyOptions {
  /** A simulator fault (`x-sim-fault` header value) to inject into a request, given its body; null for none. */
  fault?(raw: Buffer): string | null;
}

/** Starts a proxy on 127.0.0.1 in front of `upstream` (`http://host:port`). */
export async function startRecordingProxy(upstream: string, options: ProxyOptions = {}): Promise<RecordingProxy> {
  const { hostname, port } = new URL(upstream);
  const seen: Seen[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const entry: Seen | null = req.method === 'POST' ? { headers: req.headers, body: JSON.parse(raw.toString('utf8')) as Seen['body'], at: performance.now(), endAt: 0, text: '' } : null;
      if (entry) seen.push(entry);
      const fault = entry ? (options.fault?.(raw) ?? null) : null;
      const headers = fault === null ? req.headers : { ...req.headers, 'x-sim-fault': fault };
      const up = httpRequest({ host: hostname, port, method: req.method, path: req.url, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        const out: Buffer[] = [];
        r.on('data', (c: Buffer) => {
          out.push(c);
          res.write(c);
        });
        r.on('end', () => {
          if (entry) {
            entry.endAt = performance.now();
            entry.text = r.statusCode === 200 ? outputText(Buffer.concat(out).toString('utf8')) : '';
          }
          res.end();
        });
      });
      up.end(raw);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** What the proxy saw, by the value of `header` (a session id), each session's requests in arrival order. */
export function bySession(seen: readonly Seen[], header: string): Map<string, Seen[]> {
  const out = new Map<string, Seen[]>();
  for (const s of seen) {
    const id = s.headers[header];
    if (typeof id !== 'string') continue;
    const list = out.get(id) ?? [];
    list.push(s);
    out.set(id, list);
  }
  return out;
}

/** What the proxy saw, by the request's `x-request-id`. */
export function byRequestId(seen: readonly Seen[]): Map<string, Seen> {
  return new Map(seen.map((s) => [String(s.headers['x-request-id']), s]));
}
