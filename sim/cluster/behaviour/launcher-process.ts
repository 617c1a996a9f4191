/**
 * The FMA launcher process (`inference_server/launcher/launcher.py`, protocol 5): after the
 * modelled start (`launcherStartMs`: Python and vLLM module import) its REST API listens on
 * `<podIP>:<--port, default 8001>`:
 *
 * `GET /health`, `GET /`, `POST /v2/vllm/instances`, `PUT|GET|DELETE /v2/vllm/instances/{id}`,
 * `GET|DELETE /v2/vllm/instances` (`?detail=true|false`), `GET /v2/vllm/instances/{id}/log`
 * (`Range: bytes=a-b | a- | -n`, 206 / 416, at most 1 MB), `GET /v2/vllm/instances/watch[?since=N]`
 * (NDJSON; 410 when `since` is too old). Bodies and statuses follow launcher.py.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { commandWords, flagValue } from './command-line.ts';
import { readText, send, sendJson, serve, type BoundServer } from './http-serve.ts';
import { InstanceExists, InstanceManager, UnknownGpu, type VllmConfig } from './launcher-instances.ts';
import type { ContainerBehaviour, ContainerContext, ContainerProcess } from './runtime.ts';

/** The launcher's service port (`LauncherServicePort`). */
export const LAUNCHER_PORT = 8001;
/** Largest log slice one response returns (`MAX_LOG_RESPONSE_BYTES`). */
const MAX_LOG_BYTES = 1024 * 1024;
const PREFIX = '/v2/vllm/instances';

/** Python logging's `%(asctime)s` (`2026-11-23 13:08:50,123`) in cluster time, UTC. */
function asctime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)},${iso.slice(20, 23)}`;
}

function parseConfig(text: string): VllmConfig | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'JSON decode error';
  }
  const b = body as Partial<VllmConfig> | null;
  if (!b || typeof b !== 'object' || typeof b.options !== 'string') return 'Field required: options (a string)';
  if (b.gpu_uuids !== undefined && b.gpu_uuids !== null && !(Array.isArray(b.gpu_uuids) && b.gpu_uuids.every((u) => typeof u === 'string'))) return 'gpu_uuids: expected a list of strings';
  const out: VllmConfig = { options: b.options };
  if (b.gpu_uuids) out.gpu_uuids = b.gpu_uuids;
  if (b.env_vars) out.env_vars = Object.fromEntries(Object.entries(b.env_vars).map(([k, v]) => [k, String(v)]));
  if (b.annotations) out.annotations = Object.fromEntries(Object.entries(b.annotations).map(([k, v]) => [k, String(v)]));
  return out;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` -> [start | null, end-or-suffix | null], or an error text. */
function parseRange(header: string): [number | null, number | null] | string {
  const m = /^bytes=(\d+)?-(\d+)?$/.exec(header);
  if (!m) return `Unsupported or malformed Range header: ${header}`;
  const start = m[1] !== undefined ? Number(m[1]) : null;
  const end = m[2] !== undefined ? Number(m[2]) : null;
  if (start === null && (end === null || end <= 0)) return end === null ? 'Range must specify start or end_or_suffix' : `Range suffix must be positive, not ${end}`;
  if (start !== null && end !== null && end < start) return `Range end (${end}) must be >= start (${start})`;
  return [start, end];
}

function sendLog(res: ServerResponse, text: string, range: string | undefined): void {
  const data = Buffer.from(text, 'utf8');
  const total = data.length;
  let start: number | null = 0;
  let end: number | null = null;
  if (range !== undefined) {
    const parsed = parseRange(range);
    if (typeof parsed === 'string') return sendJson(res, 400, { detail: parsed });
    [start, end] = parsed;
  }
  if ((start !== null && start >= total) || (start === null && total === 0)) return send(res, 416, '', 'application/octet-stream', { 'content-range': `bytes */${total}` });
  let from: number;
  let to: number;
  if (start === null) [from, to] = [Math.max(total - end!, 0), total - 1];
  else [from, to] = [start, end === null ? Math.min(start + MAX_LOG_BYTES - 1, total - 1) : Math.min(end, total - 1)];
  const headers: Record<string, string> = { 'accept-ranges': 'bytes' };
  if (to >= from) headers['content-range'] = `bytes ${from}-${to}/${total}`;
  send(res, range !== undefined ? 206 : 200, data.subarray(from, to + 1), 'application/octet-stream', headers);
}

function watch(manager: InstanceManager, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
  const raw = query.get('since');
  const since = raw === null ? null : Number(raw);
  if (since !== null && since < manager.oldestRevision) {
    return sendJson(res, 410, { detail: `Requested revision ${since} is no longer available. Oldest available: ${manager.oldestRevision}.` });
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-content-type-options': 'nosniff' });
  if (since === null) for (const s of manager.list()) res.write(`${JSON.stringify({ type: 'CREATED', object: s })}\n`);
  const stop = manager.watch(since ?? manager.revision, (e) => res.write(`${JSON.stringify(e)}\n`));
  req.on('close', () => stop?.());
}

function routes(manager: InstanceManager) {
  const create = async (req: IncomingMessage, res: ServerResponse, id?: string): Promise<void> => {
    const config = parseConfig(await readText(req));
    if (typeof config === 'string') return sendJson(res, 422, { detail: config });
    try {
      sendJson(res, 201, manager.create(config, id));
    } catch (err) {
      if (err instanceof InstanceExists) return sendJson(res, 409, { detail: err.message });
      if (err instanceof UnknownGpu) return sendJson(res, 500, { detail: err.message });
      throw err;
    }
  };
  const exact = {
    'GET /health': (_q: IncomingMessage, res: ServerResponse) => sendJson(res, 200, { status: 'OK' }),
    'GET /': (_q: IncomingMessage, res: ServerResponse) => sendJson(res, 200, { name: 'Multi-Instance vLLM Management API', version: '2.0' }),
    [`POST ${PREFIX}`]: (req: IncomingMessage, res: ServerResponse) => create(req, res),
    [`GET ${PREFIX}`]: (_req: IncomingMessage, res: ServerResponse, q: URLSearchParams) => {
      const all = manager.list();
      if (/^(false|0|no|off)$/i.test(q.get('detail') ?? 'true')) return sendJson(res, 200, { revision: manager.revision, instance_ids: all.map((s) => s.instance_id), count: all.length });
      sendJson(res, 200, { revision: manager.revision, total_instances: all.length, running_instances: all.filter((s) => s.status === 'running').length, instances: all });
    },
    [`DELETE ${PREFIX}`]: async (_req: IncomingMessage, res: ServerResponse) => {
      const results = [];
      for (const s of manager.list()) {
        const r = await manager.delete(s.instance_id);
        if (r) results.push(r);
      }
      sendJson(res, 200, { status: 'all_stopped', stopped_instances: results, total_stopped: results.length });
    },
    [`GET ${PREFIX}/watch`]: (req: IncomingMessage, res: ServerResponse, q: URLSearchParams) => watch(manager, req, res, q),
  };
  const byId = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const m = /^\/v2\/vllm\/instances\/([^/]+)(\/log)?$/.exec(path);
    if (!m) return void (req.resume(), sendJson(res, 404, { detail: 'Not Found' }));
    const id = decodeURIComponent(m[1]!);
    const notFound = () => sendJson(res, 404, { detail: `Instance ${id} not found` });
    if (m[2]) {
      if (req.method !== 'GET') return sendJson(res, 405, { detail: 'Method Not Allowed' });
      const log = manager.log(id);
      return log ? sendLog(res, log.text(), req.headers.range) : notFound();
    }
    if (req.method === 'PUT') return create(req, res, id);
    req.resume();
    if (req.method === 'GET') {
      const s = manager.get(id);
      return s ? sendJson(res, 200, s) : notFound();
    }
    if (req.method === 'DELETE') {
      const s = await manager.delete(id);
      return s ? sendJson(res, 200, s) : notFound();
    }
    sendJson(res, 405, { detail: 'Method Not Allowed' });
  };
  return { exact, byId };
}

/** The launcher's port from its command line (`--port`, default 8001). */
export function launcherPort(ctx: Pick<ContainerContext, 'argv'>): number {
  const raw = flagValue(commandWords(ctx.argv), 'port');
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : LAUNCHER_PORT;
}

/** Starts a launcher process: connections are refused until its modelled start is over. */
export const startLauncher: ContainerBehaviour = (ctx): ContainerProcess => {
  const clock = ctx.runtime.clock;
  const logLine = (msg: string): void => ctx.log.write(`${asctime(clock.nowMs())} - __main__ - ${msg}`);
  const manager = new InstanceManager(ctx, logLine);
  const port = launcherPort(ctx);
  logLine(`INFO - Launcher starting with args: host=${ctx.podIP}, port=${port}, node_name=${ctx.nodeName}, namespace=${ctx.pod.metadata.namespace}`);
  let server: Promise<BoundServer | undefined> | undefined;
  let stopped = false;
  const cancel = clock.after(ctx.runtime.timing.draw('launcherStartMs'), () => {
    const { exact, byId } = routes(manager);
    server = serve(ctx.podIP, port, exact, byId).then(
      (s) => {
        ctx.log.write(`INFO:     Uvicorn running on ${s.url} (Press CTRL+C to quit)`);
        if (stopped) return void s.close();
        return s;
      },
      (err: NodeJS.ErrnoException) => {
        logLine(`ERROR - cannot listen on ${ctx.podIP}:${port}: ${err.code ?? err.message}`);
        return undefined;
      },
    );
  });
  return {
    async stop() {
      stopped = true;
      cancel();
      logLine('INFO - Launcher shutting down, stopping all vLLM instances...');
      await manager.stopAll();
      await (await server)?.close();
    },
  };
};
