import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.ts';
import { handleGenerate } from './generate.ts';
import { BAD_REQUEST, readBody, sendBody, sendError } from './http-util.ts';
import { describeIssue } from './option-errors.ts';
import { applyConfigPatch, SimConfigPatchSchema, SimOptionsSchema } from './options.ts';
import { LOG_SITES, pyList } from './vllm-log.ts';

/** The vLLM version the simulator's wire format follows, reported by `GET /version`. */
export const SIMULATED_VLLM_VERSION = '0.11.0';

/** One endpoint: gets the context, the request, the response and the chunk-log arrival times. */
export type RouteHandler = (ctx: SimContext, req: IncomingMessage, res: ServerResponse, receivedUs: number, arrivalMs: number) => void | Promise<void>;

function modelList(ctx: SimContext): string {
  const created = Math.floor(Date.now() / 1000);
  const o = ctx.options;
  return JSON.stringify({
    object: 'list',
    data: o.models.map((id, i) => ({
      id,
      object: 'model',
      created,
      owned_by: 'vllm',
      root: o.models[0],
      parent: null,
      max_model_len: o.max_model_len,
      permission: [
        {
          id: `modelperm-sim${i}`,
          object: 'model_permission',
          created,
          allow_create_engine: false,
          allow_sampling: true,
          allow_logprobs: true,
          allow_search_indices: false,
          allow_view: true,
          allow_fine_tuning: false,
          organization: '*',
          group: null,
          is_blocking: false,
        },
      ],
    })),
  });
}

async function patchConfig(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req);
  let patch: unknown;
  try {
    patch = JSON.parse(text ?? '');
  } catch {
    return sendError(res, 400, BAD_REQUEST, 'admin/config: expected a JSON object');
  }
  const parsed = SimConfigPatchSchema.safeParse(patch);
  if (!parsed.success) {
    const p = describeIssue(parsed.error, patch);
    return sendError(res, 400, BAD_REQUEST, `admin/config: ${p.path.join('.')}: ${p.reason}`, p.path.join('.') || null);
  }
  // Re-validate the merged whole, then swap it in one assignment (atomic for every reader).
  const next = SimOptionsSchema.safeParse(applyConfigPatch(ctx.options, parsed.data));
  if (!next.success) {
    const p = describeIssue(next.error, patch);
    return sendError(res, 400, BAD_REQUEST, `admin/config: ${p.path.join('.')}: ${p.reason}`, p.path.join('.') || null);
  }
  ctx.options = next.data;
  sendBody(res, 200, JSON.stringify(ctx.options));
}

function emptyOk(res: ServerResponse): void {
  res.writeHead(200, { 'content-length': 0 });
  res.end();
}

function queryOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/**
 * `POST /sleep[?level=1|2][&mode=abort]`: returns 200 (empty) once the engine sleeps. vLLM
 * answers an unparsable level with a 500; the simulator says what is wrong with a 400.
 */
async function sleep(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const q = queryOf(req);
  const level = q.get('level') ?? '1';
  if (level !== '1' && level !== '2') return sendError(res, 400, BAD_REQUEST, `level: the simulator models sleep levels 1 and 2, got ${JSON.stringify(level)}`, 'level');
  const mode = q.get('mode');
  if (mode !== null && mode !== 'abort') return sendError(res, 400, BAD_REQUEST, `mode: the simulator models mode=abort only, got ${JSON.stringify(mode)}`, 'mode');
  await ctx.sleep.sleep(level === '1' ? 1 : 2);
  emptyOk(res);
}

/** `POST /wake_up[?tags=weights&tags=kv_cache]`: returns 200 (empty) once the tags are awake. */
async function wakeUp(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const list = queryOf(req).getAll('tags');
  const tags = list.length === 0 ? null : list;
  ctx.log.write('api', 'INFO', LOG_SITES.wakeRequest, `wake up the engine with tags: ${tags === null ? 'None' : pyList(tags)}`);
  await ctx.sleep.wakeUp(tags);
  emptyOk(res);
}

/** `GET /is_sleeping`: `{"is_sleeping": bool}`, after the sleep and wake calls queued before it. */
async function isSleeping(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  ctx.log.write('api', 'INFO', LOG_SITES.isSleeping, 'check whether the engine is sleeping');
  const sleeping = await ctx.sleep.isSleeping();
  sendBody(res, 200, JSON.stringify({ is_sleeping: sleeping }));
}

/**
 * Every endpoint, keyed by `METHOD path`. vLLM's OpenAI API (`/v1/completions`,
 * `/v1/chat/completions`, `/v1/models`), its operational endpoints (`/health`, `/version`,
 * `/metrics`), its sleep-mode development endpoints (`/sleep`, `/wake_up`, `/is_sleeping`; 404
 * unless dev mode and sleep mode are on), and llm-d-inference-sim's `/admin/config` for
 * changing a running simulator.
 */
export const ROUTES: Readonly<Record<string, RouteHandler>> = {
  'GET /health': (_ctx, _req, res) => emptyOk(res),
  'GET /version': (_ctx, _req, res) => sendBody(res, 200, JSON.stringify({ version: SIMULATED_VLLM_VERSION, simulator: 'vitest-llm-d' })),
  'GET /v1/models': (ctx, _req, res) => sendBody(res, 200, modelList(ctx)),
  'GET /metrics': (ctx, _req, res) => sendBody(res, 200, ctx.metrics.render(), {}, 'text/plain; version=0.0.4; charset=utf-8'),
  'GET /admin/config': (ctx, _req, res) => sendBody(res, 200, JSON.stringify(ctx.options)),
  'POST /admin/config': (ctx, req, res) => patchConfig(ctx, req, res),
  'POST /v1/completions': (ctx, req, res, us, ms) => handleGenerate(ctx, 'completions', req, res, us, ms),
  'POST /v1/chat/completions': (ctx, req, res, us, ms) => handleGenerate(ctx, 'chat', req, res, us, ms),
  'POST /sleep': sleep,
  'POST /wake_up': wakeUp,
  'GET /is_sleeping': isSleeping,
};

const PATHS = new Set(Object.keys(ROUTES).map((k) => k.slice(k.indexOf(' ') + 1)));

/** vLLM's development endpoints the simulator has: they exist only with dev mode and sleep mode on. */
const SLEEP_PATHS = new Set(['/sleep', '/wake_up', '/is_sleeping']);

/** Whether the sleep endpoints exist (`VLLM_SERVER_DEV_MODE=1` and `--enable-sleep-mode`). */
export function sleepEndpointsEnabled(ctx: SimContext): boolean {
  return ctx.options.dev_mode && ctx.options.enable_sleep_mode;
}

/** Dispatches a request to its route; FastAPI's 404 / 405 bodies otherwise. */
export function dispatch(ctx: SimContext, req: IncomingMessage, res: ServerResponse, receivedUs: number, arrivalMs: number): void | Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const hidden = SLEEP_PATHS.has(path) && !sleepEndpointsEnabled(ctx);
  const handler = hidden ? undefined : ROUTES[`${req.method} ${path}`];
  if (handler) return handler(ctx, req, res, receivedUs, arrivalMs);
  req.resume();
  if (PATHS.has(path) && !hidden) return sendBody(res, 405, '{"detail":"Method Not Allowed"}');
  return sendBody(res, 404, '{"detail":"Not Found"}');
}
