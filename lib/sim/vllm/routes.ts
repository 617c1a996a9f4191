import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.ts';
import { handleGenerate } from './generate.ts';
import { BAD_REQUEST, readBody, sendBody, sendError } from './http-util.ts';
import { describeIssue } from './option-errors.ts';
import { applyConfigPatch, SimConfigPatchSchema, SimOptionsSchema } from './options.ts';

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

/**
 * Every endpoint, keyed by `METHOD path`. vLLM's OpenAI API (`/v1/completions`,
 * `/v1/chat/completions`, `/v1/models`), its operational endpoints (`/health`, `/version`,
 * `/metrics`), and llm-d-inference-sim's `/admin/config` for changing a running simulator.
 */
export const ROUTES: Readonly<Record<string, RouteHandler>> = {
  'GET /health': (_ctx, _req, res) => {
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  },
  'GET /version': (_ctx, _req, res) => sendBody(res, 200, JSON.stringify({ version: SIMULATED_VLLM_VERSION, simulator: 'vitest-llm-d' })),
  'GET /v1/models': (ctx, _req, res) => sendBody(res, 200, modelList(ctx)),
  'GET /metrics': (ctx, _req, res) => sendBody(res, 200, ctx.metrics.render(), {}, 'text/plain; version=0.0.4; charset=utf-8'),
  'GET /admin/config': (ctx, _req, res) => sendBody(res, 200, JSON.stringify(ctx.options)),
  'POST /admin/config': (ctx, req, res) => patchConfig(ctx, req, res),
  'POST /v1/completions': (ctx, req, res, us, ms) => handleGenerate(ctx, 'completions', req, res, us, ms),
  'POST /v1/chat/completions': (ctx, req, res, us, ms) => handleGenerate(ctx, 'chat', req, res, us, ms),
};

const PATHS = new Set(Object.keys(ROUTES).map((k) => k.slice(k.indexOf(' ') + 1)));

/** Dispatches a request to its route; FastAPI's 404 / 405 bodies otherwise. */
export function dispatch(ctx: SimContext, req: IncomingMessage, res: ServerResponse, receivedUs: number, arrivalMs: number): void | Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const handler = ROUTES[`${req.method} ${path}`];
  if (handler) return handler(ctx, req, res, receivedUs, arrivalMs);
  req.resume();
  if (PATHS.has(path)) return sendBody(res, 405, '{"detail":"Method Not Allowed"}');
  return sendBody(res, 404, '{"detail":"Not Found"}');
}
