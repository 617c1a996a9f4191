import type { ServerResponse } from 'node:http';
import { describe, expect, test } from 'vitest';
import { driveOne, httpServer } from './drive.ts';

/**
 * What the simulator's wire never does, from a small server of our own: a role chunk well
 * before the first content, headers from a gateway, SSE framing variants, usage on some chunks.
 */
const chat = (delta: object, extra: object = {}): string =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
const text = (t: string, extra: object = {}, finish: string | null = null): string =>
  `data: ${JSON.stringify({ object: 'text_completion', choices: [{ index: 0, text: t, finish_reason: finish }], ...extra })}\n\n`;
const usage = (p: number, c: number): object => ({ usage: { prompt_tokens: p, completion_tokens: c } });

/** Serves one scripted stream: `steps` are written in order, a number waits that many ms (server side). */
async function scripted(steps: Array<string | number>, headers: Record<string, string> = {}) {
  return httpServer((req, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream', ...headers });
    const next = (i: number): void => {
      if (i >= steps.length) return void res.end();
      const s = steps[i]!;
      if (typeof s === 'number') setTimeout(next, s, i + 1);
      else {
        res.write(s);
        next(i + 1);
      }
    };
    next(0);
  });
}

describe('exchange against a scripted server', () => {
  test('a chat role-only chunk 50 ms before the content does not end TTFT', async () => {
    const srv = await scripted([chat({ role: 'assistant', content: '' }), 50, chat({ content: ' hi' }), chat({ content: ' there' }), `data: ${JSON.stringify({ choices: [], ...usage(3, 2) })}\n\n`, 'data: [DONE]\n\n']);
    try {
      const r = await driveOne({ url: srv.url, api: 'chat' });
      expect(r.error).toBeNull();
      expect(r.chunkTimes).toHaveLength(2);
      // The content went out 50 ms after the request arrived (which was after it was sent).
      expect(r.firstChunk! - r.sent!).toBeGreaterThanOrEqual(49);
      expect(r.outputChars).toBe(' hi there'.length);
      // Two content chunks for two tokens: one token each (the role chunk is not a third).
      expect(r).toMatchObject({ chunkTokens: [1, 1], chunkTokensSource: 'inferred' });
    } finally {
      await srv.close();
    }
  });

  test('servedBy keeps request ids and pod/endpoint headers, nothing else (never a key-bearing one)', async () => {
    const srv = await scripted([text(' a', usage(1, 1), 'length'), 'data: [DONE]\n\n'], {
      'x-request-id': 'gw-123',
      'x-gateway-destination-endpoint': '10.0.0.7:8000',
      'x-inference-pod': 'vllm-0',
      'x-upstream-token': 'internal-token-1',
      'x-backend-api-key': 'internal-key-2',
      'x-powered-by': 'Express',
      'x-ratelimit-remaining': '99',
      server: 'uvicorn',
    });
    try {
      const r = await driveOne({ url: srv.url });
      expect(r.error).toBeNull();
      expect(r.servedBy).toEqual({ 'x-request-id': 'gw-123', 'x-gateway-destination-endpoint': '10.0.0.7:8000', 'x-inference-pod': 'vllm-0' });
    } finally {
      await srv.close();
    }
  });

  test('CRLF framing, comments and events split across writes parse as the same stream', async () => {
    const body = `: ping\r\n\r\n${text(' one', usage(1, 1))}${text(' two', usage(1, 2), 'length')}data: [DONE]\n\n`.replace(/\n/g, '\r\n');
    const cut = [body.slice(0, 7), body.slice(7, 61), body.slice(61, 62), body.slice(62)];
    const srv = await scripted([cut[0]!, 5, cut[1]!, 5, cut[2]!, 5, cut[3]!]);
    try {
      const r = await driveOne({ url: srv.url });
      expect(r.error).toBeNull();
      expect(r.chunkTimes).toHaveLength(2);
      expect(r.chunkTokens).toEqual([1, 1]);
      expect(r.chunkTokensSource).toBe('server');
      expect(r.finishReason).toBe('length');
    } finally {
      await srv.close();
    }
  });

  test('usage-bearing text-less chunks give their tokens to the next content chunk; trailing ones to the last', async () => {
    // Cumulative usage: 1 (content), 3 (no text), 4 (content), 6 (content), 7 (no text, trailing).
    const srv = await scripted([
      text(' a', usage(5, 1)),
      text('', usage(5, 3)),
      text(' b', usage(5, 4)),
      text(' c', usage(5, 6)),
      text('', usage(5, 7), 'length'),
      'data: [DONE]\n\n',
    ]);
    try {
      const r = await driveOne({ url: srv.url });
      expect(r.error).toBeNull();
      expect(r.chunkTokens).toEqual([1, 3, 3]);
      expect(r.chunkTokensSource).toBe('server');
      expect(r.usage?.completionTokens).toBe(7);
    } finally {
      await srv.close();
    }
  });

  test('usage on some content chunks only: tokens per chunk are not guessed', async () => {
    const srv = await scripted([text(' a', usage(5, 1)), text(' b c'), text(' d', usage(5, 4), 'length'), 'data: [DONE]\n\n']);
    try {
      const r = await driveOne({ url: srv.url });
      expect(r.error).toBeNull();
      expect(r.chunkTimes).toHaveLength(3);
      expect(r).toMatchObject({ chunkTokens: null, chunkTokensSource: null });
    } finally {
      await srv.close();
    }
  });
});
