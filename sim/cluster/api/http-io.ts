import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreError } from '../store-types.ts';
import { statusBody } from './errors.ts';
import { readLimitedBody } from '../../net-util.ts';

/** Request and response plumbing of the simulated API server. */

/** Largest request body accepted (the API server's limit is 3 MiB per object; a bit more here). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Reads a request body as UTF-8; a 413 StoreError when it is too large. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const body = await readLimitedBody(req, MAX_BODY_BYTES);
  if ('tooLarge' in body) throw new StoreError(413, 'RequestEntityTooLarge', `request body of ${body.tooLarge} bytes is larger than the limit of ${MAX_BODY_BYTES} bytes`);
  return body.text;
}

/** Parses a JSON request body; a 400 BadRequest naming the problem when it is not JSON. */
export function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') throw new StoreError(400, 'BadRequest', `${what}: the request body is empty`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StoreError(400, 'BadRequest', `${what}: the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private' });
  res.end(text);
}

/** Sends plain text (pod logs). */
export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private' });
  res.end(text);
}

/** What a failure's `Status.details` names. */
export interface ErrorTarget {
  name?: string;
  group?: string;
  kind?: string;
}

/** Sends an error as the API server does: a `Status` object with the error's code. Non-StoreErrors are 500 InternalError. */
export function sendError(res: ServerResponse, err: unknown, target?: ErrorTarget): void {
  const e = err instanceof StoreError ? err : new StoreError(500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.code, statusBody(e, target));
}

/** A query parameter as an integer, undefined when absent; a 400 when not an integer. */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new StoreError(400, 'BadRequest', `invalid value for query parameter ${name}: ${JSON.stringify(v)} is not an integer`);
  return Number(v);
}

/** A query parameter as a boolean (`true`, `1`), false when absent. */
export function boolParam(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === 'true' || v === '1';
}

/** The bearer token of a request, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(.+)$/i.exec(h) : null;
  return m ? (m[1] as string).trim() : undefined;
}
