import zlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { driveOne, httpServer } from './drive.ts';

/**
 * A server that compresses although the request asks for `accept-encoding: identity` (a proxy
 * with compression on for everything): the stream is decoded as it arrives, each event flushed
 * on its own, so the request succeeds with every chunk timed.
 */
const text = (t: string, finish: string | null = null, extra: object = {}): string =>
  `data: ${JSON.stringify({ object: 'text_completion', choices: [{ index: 0, text: t, finish_reason: finish }], ...extra })}\n\n`;
const EVENTS = [text(' one'), text(' two'), text(' three', 'length', { usage: { prompt_tokens: 3, completion_tokens: 3 } }), 'data: [DONE]\n\n'];

function encoder(coding: string): zlib.Gzip | zlib.Deflate | zlib.BrotliCompress {
  if (coding === 'gzip') return zlib.createGzip();
  if (coding === 'deflate') return zlib.createDeflate();
  return zlib.createBrotliCompress();
}

/** Streams EVENTS through `coding`, 20 ms apart, each flushed so it leaves at once. */
async function compressing(coding: string, seen: { acceptEncoding?: string | undefined; writes: number[] }) {
  return httpServer((req, res) => {
    req.resume();
    seen.acceptEncoding = req.headers['accept-encoding'];
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': coding });
    const z = encoder(coding);
    z.pipe(res);
    const next = (i: number): void => {
      if (i >= EVENTS.length) return void z.end();
      seen.writes.push(performance.now());
      z.write(EVENTS[i]!);
      z.flush(() => setTimeout(next, 20, i + 1));
    };
    next(0);
  });
}

describe('compressed responses', () => {
  for (const coding of ['gzip', 'deflate', 'br']) {
    test(`a ${coding}-encoded stream is decoded, not a cut stream`, async () => {
      const seen: { acceptEncoding?: string | undefined; writes: number[] } = { writes: [] };
      const srv = await compressing(coding, seen);
      try {
        const r = await driveOne({ url: srv.url });
        expect(r.error, JSON.stringify(r.error)).toBeNull();
        expect(seen.acceptEncoding).toBe('identity');
        expect(r.chunkTimes).toHaveLength(3);
        expect(r.outputChars).toBe(' one two three'.length);
        expect(r.finishReason).toBe('length');
        // Each event is taken as it comes, not when the body ends: the first before the last was sent.
        expect(r.chunkTimes[0]!).toBeLessThan(seen.writes[2]!);
      } finally {
        await srv.close();
      }
    });
  }

  test('a gzip-encoded non-streamed body is decoded', async () => {
    const srv = await httpServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(JSON.stringify({ object: 'text_completion', choices: [{ index: 0, text: ' hello there', finish_reason: 'stop' }], usage: { prompt_tokens: 2, completion_tokens: 2 } })));
    });
    try {
      const r = await driveOne({ url: srv.url, stream: false });
      expect(r.error).toBeNull();
      expect(r.outputChars).toBe(' hello there'.length);
      expect(r.usage?.completionTokens).toBe(2);
    } finally {
      await srv.close();
    }
  });

  test('a gzip bomb is cut at the decoded size limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 'a'));
    const srv = await httpServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    try {
      const r = await driveOne({ url: srv.url, stream: false, limits: { responseBytes: 1024 * 1024 } });
      expect(bomb.length).toBeLessThan(1024 * 1024);
      expect(r.error?.class).toBe('response_too_large');
    } finally {
      await srv.close();
    }
  });

  test('a body that does not decode, or an unknown coding, fails with one clear line', async () => {
    const srv = await httpServer((req, res) => {
      req.resume();
      const unknown = req.url!.includes('chat');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': unknown ? 'compress' : 'gzip' });
      res.end(EVENTS.join(''));
    });
    try {
      const bad = await driveOne({ url: srv.url });
      expect(bad.error?.class).toBe('malformed_event');
      expect(bad.error!.message).toMatch(/^response body does not decode \(incorrect header check\)$/);
      const unknown = await driveOne({ url: srv.url, api: 'chat' });
      expect(unknown.error).toEqual({ class: 'malformed_event', message: 'response has content-encoding "compress", which this client cannot decode' });
    } finally {
      await srv.close();
    }
  });
});
