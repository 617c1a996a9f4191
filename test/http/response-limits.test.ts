import type { IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { describe, expect, test } from 'vitest';
import { API_ADAPTERS } from '../../lib/apis/index.ts';
import { DEFAULT_RESPONSE_LIMITS } from '../../lib/config/schema/limits.ts';
import { classifyTransportError } from '../../lib/http/classify.ts';
import { Exchange } from '../../lib/http/exchange.ts';
import type { RequestRecord } from '../../lib/metrics/record.ts';
import { driveOne, httpServer, TIMEOUTS } from './drive.ts';

/**
 * A hostile server sends more than any completion needs: an endless body, an endless stream
 * event. The request is cut as soon as it passes its limit (the server sees the connection
 * close), recorded as `response_too_large`, and the run goes on.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

/** Writes `piece` forever (as fast as the client reads) after `head`; counts the bytes written. */
async function endless(contentType: string, head: string, piece: Buffer) {
  let written = 0;
  let closed: () => void;
  const gone = new Promise<void>((resolve) => (closed = resolve));
  const srv = await httpServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, { 'content-type': contentType });
    res.write(head);
    written += head.length;
    res.on('close', () => closed());
    const pump = (): void => {
      while (!res.destroyed) {
        written += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
    };
    pump();
  });
  return { ...srv, written: () => written, gone };
}

const a64k = Buffer.alloc(64 * KiB, 'a');

describe('response size limits', () => {
  test('a non-streamed body past max_response_mib is cut there', async () => {
    const srv = await endless('application/json', '{"choices":[{"text":"', a64k);
    try {
      const r = await driveOne({ url: srv.url, stream: false, limits: { responseBytes: 1 * MiB } });
      expect(r.error?.class, JSON.stringify(r.error)).toBe('response_too_large');
      expect(r.error!.message).toMatch(/larger than 1 MiB \(limits\.max_response_mib\)/);
      await srv.gone;
      // The client stopped reading at the limit: what the server got out is the limit plus socket buffers.
      expect(srv.written()).toBeLessThan(1 * MiB + 8 * MiB);
    } finally {
      await srv.close();
    }
  });

  test('an SSE event past max_event_mib is cut there, even without a line break', async () => {
    const srv = await endless('text/event-stream', 'data: {"choices":[{"text":"', a64k);
    try {
      const r = await driveOne({ url: srv.url, limits: { eventBytes: 256 * KiB } });
      expect(r.error?.class, JSON.stringify(r.error)).toBe('response_too_large');
      expect(r.error!.message).toMatch(/stream event larger than 0\.25 MiB \(limits\.max_event_mib\)/);
      await srv.gone;
      expect(srv.written()).toBeLessThan(256 * KiB + 8 * MiB);
    } finally {
      await srv.close();
    }
  });

  test('a multi-line SSE event counts all its data lines', async () => {
    const line = Buffer.from(`data: ${'b'.repeat(1000)}\n`);
    const srv = await endless('text/event-stream', '', line);
    try {
      const r = await driveOne({ url: srv.url, limits: { eventBytes: 100 * KiB } });
      expect(r.error?.class).toBe('response_too_large');
      expect(r.error!.message).toMatch(/stream event larger than/);
    } finally {
      await srv.close();
    }
  });

  test('a stream of small valid events past max_response_mib is cut', async () => {
    const event = Buffer.from(`data: ${JSON.stringify({ object: 'text_completion', choices: [{ index: 0, text: 'x'.repeat(200), finish_reason: null }] })}\n\n`);
    const srv = await endless('text/event-stream', '', event);
    try {
      const r = await driveOne({ url: srv.url, keepText: true, limits: { responseBytes: 2 * MiB } });
      expect(r.error?.class).toBe('response_too_large');
      expect(r.chunkTimes.length).toBeGreaterThan(1000);
      expect(r.outputChars).toBeLessThan(2 * MiB);
    } finally {
      await srv.close();
    }
  });

  test('an error body past the limit stays an HTTP status failure', async () => {
    const srv = await httpServer((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write('upstream exploded ');
      const pump = (): void => {
        while (!res.destroyed) if (!res.write(a64k)) return void res.once('drain', pump);
      };
      pump();
    });
    try {
      const r = await driveOne({ url: srv.url, limits: { responseBytes: 1 * MiB } });
      expect(r.error?.class).toBe('http_status');
      expect(r.status).toBe(500);
      expect(r.error!.message).toMatch(/^HTTP 500: upstream exploded a+.*cut\)$/);
      expect(r.error!.message.length).toBeLessThan(300);
    } finally {
      await srv.close();
    }
  });

  test('over the default limit: cut at 256 MiB, the next request of the run still runs', async () => {
    let calls = 0;
    let written = 0;
    const srv = await httpServer((req, res) => {
      req.resume();
      if (calls++ > 0) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ object: 'text_completion', choices: [{ index: 0, text: ' ok', finish_reason: 'length' }] }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      const big = Buffer.alloc(MiB, 'a');
      const pump = (): void => {
        while (!res.destroyed) {
          written += big.length;
          if (!res.write(big)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    try {
      const { drive } = await import('./drive.ts');
      const { records } = await drive({ url: srv.url, stream: false, requests: 2, timeouts: { total: 60_000, idle: 30_000 } });
      expect(records.map((r) => r.error?.class ?? 'ok').sort()).toEqual(['ok', 'response_too_large']);
      expect(written).toBeGreaterThan(DEFAULT_RESPONSE_LIMITS.responseBytes);
      expect(written).toBeLessThan(DEFAULT_RESPONSE_LIMITS.responseBytes + 16 * MiB);
    } finally {
      await srv.close();
    }
  }, 60_000);
});

describe('an error while judging a response', () => {
  test('becomes the request failure, and onDone runs exactly once', async () => {
    // A body that reads fine as bytes but throws as it is judged: what a 600 MB body does
    // past V8's string limit (ERR_STRING_TOO_LONG), here without allocating it.
    const srv = await httpServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"choices":[{"text":"hi","finish_reason":"length"}]}');
    });
    const tooLong = Object.assign(new Error('Cannot create a string longer than 0x1fffffe8 characters'), { code: 'ERR_STRING_TOO_LONG' });
    const adapter = { ...API_ADAPTERS.completions, read: () => { throw tooLong; } };
    const pool = new Pool(srv.url, { connections: 1 });
    try {
      const rec = { seq: 0, requestId: 'r', warmup: false, stage: 0, cell: 'c', api: 'completions', stream: false, model: 'm', promptTokens: 1, maxTokens: 1, intended: performance.now(), sent: null, headers: null, firstChunk: null, chunkTimes: [], chunkTokens: null, chunkTokensSource: null, end: 0, status: null, usage: null, tokenizerOutputTokens: null, outputChars: 0, finishReason: null, servedBy: {}, error: null } as RequestRecord;
      let calls = 0;
      const done = await new Promise<RequestRecord>((resolve) => {
        new Exchange(rec, {
          adapter, path: '/v1/completions', headers: {}, body: '{}', timeouts: TIMEOUTS, keepText: false,
          onDone: (r) => {
            calls++;
            resolve(r);
          },
        }).start(pool);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(calls).toBe(1);
      expect(done.error).toEqual({ class: 'response_too_large', message: 'Cannot create a string longer than 0x1fffffe8 characters (ERR_STRING_TOO_LONG)' });
    } finally {
      await pool.destroy();
      await srv.close();
    }
  });

  test('RangeErrors of values too large for memory are response_too_large, not other', () => {
    let invalid: unknown;
    try {
      'x'.repeat(2 ** 30);
    } catch (err) {
      invalid = err;
    }
    expect(classifyTransportError(invalid, true).class).toBe('response_too_large');
    expect(classifyTransportError(Object.assign(new RangeError('too big'), { code: 'ERR_BUFFER_TOO_LARGE' }), true).class).toBe('response_too_large');
    expect(classifyTransportError(new RangeError('something else'), true).class).toBe('other');
  });
});
