/** Socket plumbing shared by the simulators' HTTP servers. */
import type { IncomingMessage, Server } from 'node:http';

/** Binds `server` to `host:port`; rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL). */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Reads a request body as UTF-8, keeping at most `limit` bytes: resolves `{ text }`, or
 * `{ tooLarge: size }` (the whole body is still drained) when it is larger.
 */
export function readLimitedBody(req: IncomingMessage, limit: number): Promise<{ text: string } | { tooLarge: number }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= limit) parts.push(b);
    });
    req.on('end', () => resolve(size > limit ? { tooLarge: size } : { text: Buffer.concat(parts).toString('utf8') }));
    req.on('error', reject);
  });
}
