import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { readLimitedBody } from '../net-util.ts';
import { errorBody } from './wire.ts';

/** Largest request body the simulator reads (prompts of a full 128k context fit easily). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Reads a request body as UTF-8; null when it exceeds {@link MAX_BODY_BYTES}. */
export async function readBody(req: IncomingMessage): Promise<string | null> {
  const body = await readLimitedBody(req, MAX_BODY_BYTES);
  return 'tooLarge' in body ? null : body.text;
}

/** Sends a complete JSON (or other) response. */
export function sendBody(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders = {}, contentType = 'application/json'): void {
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends vLLM's error JSON with `status`. */
export function sendError(res: ServerResponse, status: number, type: string, message: string, param: string | null = null, headers: OutgoingHttpHeaders = {}): void {
  sendBody(res, status, errorBody(status, type, message, param), headers);
}

/** vLLM's 400 body type for request validation failures (FastAPI RequestValidationError). */
export const BAD_REQUEST = 'BadRequestError';
