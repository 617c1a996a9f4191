/**
 * A one-shot HTTP request without connection reuse, as the kubelet's prober and the launcher
 * notifier make them (the prober disables keep-alive). Every socket it opens is closed when the
 * answer is in, so nothing lingers after the simulator stops.
 */
import { request } from 'node:http';

/** The answer: status and body, or the failure. */
export type HttpResult = { ok: true; status: number; body: string } | { ok: false; error: string };

/** What to request. */
export interface HttpGetOptions {
  host: string;
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** Real milliseconds before the request is abandoned. */
  timeoutMs: number;
  /** Most body bytes kept (the kubelet reads at most 10 KiB of a probe answer). */
  maxBody?: number;
}

/** Sends one request; never rejects. */
export function httpGet(o: HttpGetOptions): Promise<HttpResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: HttpResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request({ host: o.host, port: o.port, path: o.path, method: o.method ?? 'GET', headers: { connection: 'close', ...o.headers }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      let size = 0;
      const max = o.maxBody ?? 10 * 1024;
      res.on('data', (b: Buffer) => {
        if (size < max) parts.push(b.subarray(0, max - size));
        size += b.length;
      });
      res.on('end', () => done({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', (err) => done({ ok: false, error: err.message }));
    });
    const timer = setTimeout(() => {
      done({ ok: false, error: `context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      req.destroy();
    }, o.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ECONNREFUSED' ? `dial tcp ${o.host}:${o.port}: connect: connection refused` : err.message;
      done({ ok: false, error: reason });
    });
    req.end();
  });
}
