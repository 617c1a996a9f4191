/**
 * The server-requesting container's process (FMA `cmd/requester`, protocol 2.3): two HTTP
 * servers on the pod IP.
 *
 * - probes port (env `PROBES_PORT`, default 8080): `GET /ready` -> `200 OK` when the ready flag
 *   is set, else `503 Service Unavailable` (the kubelet's readiness probe targets this);
 * - SPI port (the `dual-pods.llm-d.ai/admin-port` annotation, env `SPI_PORT`, default 8081):
 *   `GET /v1/dual-pods/accelerators` (the pod's GPU UUIDs; 500 "no GPUs found" when it has none),
 *   `GET /v1/dual-pods/accelerator-memory-usage` (`{uuid: MiB used}` as nvidia-smi reports the
 *   device), `POST /v1/become-ready`, `POST /v1/become-unready` (`200 OK`), and
 *   `POST /v1/set-log?startPos=N` (appends the new part of a relayed inference-server log to
 *   this container's log; 400 when `startPos` is missing, negative or past the end).
 *
 * Answers and texts follow `pkg/server/requester/coordination/server.go` and `probes/server.go`.
 */
import { requesterAnnotation } from './container-kinds.ts';
import { readText, send, sendJson, serve, type BoundServer } from './http-serve.ts';
import { gpuMemoryUsedMib, type ContainerBehaviour, type ContainerContext, type ContainerProcess } from './runtime.ts';

/** Default ports of the requester (`pkg/spi/interface.go`, `cmd/requester`). */
export const REQUESTER_PROBES_PORT = 8080;
export const REQUESTER_SPI_PORT = 8081;

function portFrom(...candidates: Array<string | undefined>): number | undefined {
  for (const c of candidates) if (c !== undefined && /^\d+$/.test(c.trim())) return Number(c.trim());
  return undefined;
}

/** The requester's SPI port: env `SPI_PORT`, else the admin-port annotation, else 8081. */
export function spiPort(ctx: Pick<ContainerContext, 'env' | 'pod'>): number {
  return portFrom(ctx.env.SPI_PORT, requesterAnnotation(ctx.pod, 'admin-port')) ?? REQUESTER_SPI_PORT;
}

/** The requester's probes port: env `PROBES_PORT`, else 8080. */
export function probesPort(ctx: Pick<ContainerContext, 'env'>): number {
  return portFrom(ctx.env.PROBES_PORT) ?? REQUESTER_PROBES_PORT;
}

/** Starts the requester process; its servers bind at once (the Go binary starts in milliseconds). */
export const startRequester: ContainerBehaviour = (ctx): ContainerProcess => {
  let ready = false;
  let nextLogPos = 0;
  const uuids = ctx.gpus.map((g) => g.uuid);
  const log = (msg: string): void => ctx.log.write(`I ${ctx.runtime.clock.microTimestamp()} requester ${msg}`);
  const setReady = (value: boolean) => async (_req: unknown, res: import('node:http').ServerResponse) => {
    log(`"Setting ready" newReady=${value}`);
    ready = value;
    send(res, 200, 'OK\n', 'text/plain; charset=utf-8');
  };

  const probes = serve(ctx.podIP, probesPort(ctx), {
    'GET /ready': (_req, res) => (ready ? send(res, 200, 'OK\n', 'text/plain; charset=utf-8') : send(res, 503, 'Service Unavailable\n', 'text/plain; charset=utf-8')),
  });
  const spi = serve(ctx.podIP, spiPort(ctx), {
    'GET /v1/dual-pods/accelerators': (_req, res) => (uuids.length === 0 ? send(res, 500, 'no GPUs found\n', 'text/plain; charset=utf-8') : sendJson(res, 200, uuids)),
    'GET /v1/dual-pods/accelerator-memory-usage': (_req, res) => sendJson(res, 200, Object.fromEntries(uuids.map((u) => [u, gpuMemoryUsedMib(ctx.runtime, u)]))),
    'POST /v1/become-ready': setReady(true),
    'POST /v1/become-unready': setReady(false),
    'POST /v1/set-log': async (req, res, query) => {
      const raw = query.get('startPos');
      const chunk = Buffer.from(await readText(req), 'utf8');
      if (raw === null || raw === '') return send(res, 400, 'Missing startPos parameter\n', 'text/plain; charset=utf-8');
      const startPos = Number(raw);
      if (!Number.isInteger(startPos)) return send(res, 400, `Failed to parse "${raw}" as an int64\n`, 'text/plain; charset=utf-8');
      if (startPos < 0) return send(res, 400, `Starting position ${startPos} is unacceptable because it is negative\r\n`, 'text/plain; charset=utf-8');
      if (startPos > nextLogPos) return send(res, 400, `Starting position ${startPos} is beyond the current contentLength=${nextLogPos}\r\n`, 'text/plain; charset=utf-8');
      if (startPos + chunk.length <= nextLogPos) {
        return send(res, 200, `Accepted startPos=${startPos}, chunkLength=${chunk.length}, but that has nothing new; still contentLength=${nextLogPos}\r\n`, 'text/plain; charset=utf-8');
      }
      const news = chunk.subarray(nextLogPos - startPos);
      ctx.log.write(news.toString('utf8'));
      nextLogPos += news.length;
      send(res, 200, `Accepted startPos=${startPos}, chunkLength=${chunk.length}; addedContentLength=${news.length}, new contentLength=${nextLogPos}\r\n`, 'text/plain; charset=utf-8');
    },
  });
  const servers: Array<Promise<BoundServer | undefined>> = [probes, spi].map((p) =>
    p.then(
      (s) => {
        log(`"Starting server" url=${s.url}`);
        return s;
      },
      (err: Error) => {
        log(`"listen failed" err=${JSON.stringify(err.message)}`);
        return undefined;
      },
    ),
  );
  log(uuids.length > 0 ? `"Got GPU UUIDs" uuids=[${uuids.join(' ')}]` : '"no GPU UUIDs available"');
  return {
    async stop() {
      log('"Shutting down requester SPI server"');
      for (const s of await Promise.all(servers)) await s?.close();
    },
  };
};
