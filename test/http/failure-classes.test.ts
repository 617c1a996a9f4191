import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { failureKey, type RequestRecord } from '../../lib/metrics/record.ts';
import { type SimServer, startSimServer } from '../../sim/vllm/server.ts';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { closedPort, driveOne, httpServer, silentServer } from './drive.ts';

/**
 * Every failure class ends as a record with that class and a one-line message, within its
 * timeout: never a throw, never a hang. Each run carries an API key that must not leak.
 */
const KEY = 'sk-test-SECRET-7f3a9c';
let sim: SimServer;
const seen: RequestRecord[] = [];

beforeAll(async () => {
  sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words' });
});

afterAll(async () => {
  await sim.close();
});

/** One request with the key set; the record is kept for the leak check at the end. */
async function one(o: Parameters<typeof driveOne>[0]): Promise<RequestRecord & { elapsedMs: number }> {
  const r = await driveOne({ apiKey: KEY, ...o });
  seen.push(r);
  return r;
}

function expectFailure(r: RequestRecord, cls: string, message: RegExp): void {
  expect(r.error, JSON.stringify(r)).not.toBeNull();
  expect(r.error!.class).toBe(cls);
  expect(r.error!.message).toMatch(message);
  expect(r.error!.message).not.toContain('\n');
  expect(r.error!.message.length).toBeLessThan(300);
  expect(r.end).toBeGreaterThanOrEqual(r.intended);
}

describe('connection failures', () => {
  test('connect_refused: nothing listens on the port', async () => {
    const r = await one({ url: `http://127.0.0.1:${await closedPort()}` });
    expectFailure(r, 'connect_refused', /ECONNREFUSED/);
    expect(r).toMatchObject({ sent: null, headers: null, status: null, firstChunk: null });
    expect(r.elapsedMs).toBeLessThan(1000);
  });

  test('dns: a .invalid host does not resolve', async () => {
    const r = await one({ url: 'http://no-such-host.invalid:8000', timeouts: { connect: 5000 } });
    expectFailure(r, 'dns', /ENOTFOUND|EAI_AGAIN|EAI_NONAME/);
    expect(r.sent).toBeNull();
  });

  test('tls: https to the plain-HTTP simulator', async () => {
    const r = await one({ url: sim.url.replace('http:', 'https:') });
    expectFailure(r, 'tls', /SSL|TLS|EPROTO/i);
    expect(r).toMatchObject({ sent: null, status: null });
    expect(r.elapsedMs).toBeLessThan(1000);
  });

  test('connect_timeout: a TCP server that never answers the TLS hello', async () => {
    const silent = await silentServer();
    try {
      const r = await one({ url: `https://127.0.0.1:${silent.port}`, timeouts: { connect: 200 } });
      expectFailure(r, 'connect_timeout', /timeout/i);
      expect(r.sent).toBeNull();
      expect(silent.accepted()).toBe(1);
      expect(r.elapsedMs).toBeGreaterThanOrEqual(190);
      expect(r.elapsedMs).toBeLessThan(1200);
    } finally {
      await silent.close();
    }
  });
});

/** A raw TCP server that reads the request, then does `answer` with the socket. */
async function rawServer(answer: (socket: Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => answer(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('broken connections', () => {
  test('connect_reset: the server closes the connection before any response', async () => {
    const srv = await rawServer((s) => s.destroy());
    try {
      const r = await one({ url: srv.url });
      expectFailure(r, 'connect_reset', /other side closed|ECONNRESET|socket/i);
      expect(r.sent).not.toBeNull();
      expect(r).toMatchObject({ headers: null, status: null });
    } finally {
      await srv.close();
    }
  });

  test('other: an answer that is not HTTP, with the parser message', async () => {
    const srv = await rawServer((s) => s.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    try {
      const r = await one({ url: srv.url });
      expectFailure(r, 'other', /^Response does not match the HTTP\/1\.1 protocol/);
      expect(r.headers).toBeNull();
    } finally {
      await srv.close();
    }
  });
});

describe('timeouts', () => {
  test('first_token_timeout: a server that accepts and never answers', async () => {
    const silent = await silentServer();
    try {
      const r = await one({ url: `http://127.0.0.1:${silent.port}`, timeouts: { firstToken: 200 } });
      expectFailure(r, 'first_token_timeout', /^no response within 0\.2 s of sending$/);
      expect(r.sent).not.toBeNull();
      expect(r.headers).toBeNull();
      expect(r.end - r.sent!).toBeGreaterThanOrEqual(198);
      expect(r.end - r.sent!).toBeLessThan(400);
    } finally {
      await silent.close();
    }
  });

  test('first_token_timeout: headers but no content (stall:0), idle shorter than first-token', async () => {
    // vLLM sends stream headers at admission, before queueing and prefill: the wait for the first
    // token is governed by first_token_s alone, not by the idle limit between chunks. (undici's
    // body timeout runs from the headers and ticks in ~0.5 s steps, hence a first-token limit past 1 s.)
    const r = await one({ url: sim.url, headers: { 'x-sim-fault': 'stall:0' }, timeouts: { firstToken: 1200, idle: 100 } });
    expectFailure(r, 'first_token_timeout', /^no output within 1\.2 s of sending$/);
    expect(r.status).toBe(200);
    expect(r.headers).not.toBeNull();
    expect(r.chunkTimes).toEqual([]);
    expect(r.end - r.sent!).toBeGreaterThanOrEqual(1198);
    expect(r.end - r.sent!).toBeLessThan(1400);
  });

  test('idle_timeout: the stream stalls after 2 content chunks', async () => {
    const r = await one({ url: sim.url, headers: { 'x-sim-fault': 'stall:2' }, timeouts: { idle: 150 } });
    expectFailure(r, 'idle_timeout', /^no data for 0\.15 s after 2 content chunks$/);
    expect(r.status).toBe(200);
    expect(r.chunkTimes).toHaveLength(2);
    const silence = r.end - r.chunkTimes[1]!;
    expect(silence).toBeGreaterThanOrEqual(148);
    expect(silence).toBeLessThan(400);
  });

  test('total_timeout: a long generation exceeds the total limit', async () => {
    // 2000 tokens at 0.5 ms per token take about a second; the limit is 150 ms.
    const r = await one({ url: sim.url, maxTokens: 2000, timeouts: { total: 150 } });
    expectFailure(r, 'total_timeout', /^request not finished within 0\.15 s$/);
    expect(r.chunkTimes.length).toBeGreaterThan(10);
    expect(r.end - r.sent!).toBeGreaterThanOrEqual(148);
    expect(r.end - r.sent!).toBeLessThan(350);
  });
});

describe('HTTP errors', () => {
  test.each([
    [500, /^HTTP 500: Injected failure: internal server error$/],
    [503, /^HTTP 503: The server is overloaded or not ready yet\.$/],
    [429, /^HTTP 429: Injected failure: rate limit reached$/],
  ])('http_status %i from x-sim-fault, with the server message', async (status, message) => {
    for (const stream of [true, false]) {
      const r = await one({ url: sim.url, stream, headers: { 'x-sim-fault': `status=${status}` } });
      expectFailure(r, 'http_status', message);
      expect(r.status).toBe(status);
      expect(failureKey(r)).toBe(`http_${status}`);
      expect(r.firstChunk).toBeNull();
    }
  });

  test('a real 429 from a full simulator queue (max_num_seqs 1, max_waiting 0)', async () => {
    const full = await startSimServer({ profile: 'test-fast', tokenizer: 'words', max_num_seqs: 1, max_waiting: 0 });
    try {
      const { drive } = await import('./drive.ts');
      // Three at once, each long enough (1000 tokens, ~0.5 s) that the other two find the slot taken.
      const { records } = await drive({ url: full.url, apiKey: KEY, requests: 3, maxTokens: 1000, schedule: { kind: 'closed', concurrency: 3, description: '' } });
      seen.push(...records);
      const rejected = records.filter((r) => r.error);
      expect(records.filter((r) => !r.error)).toHaveLength(1);
      expect(rejected).toHaveLength(2);
      for (const r of rejected) {
        expectFailure(r, 'http_status', /^HTTP 429: Failed to enqueue request$/);
        expect(failureKey(r)).toBe('http_429');
      }
    } finally {
      await full.close();
    }
  });
});

describe('broken streams', () => {
  test('malformed_event: an event whose data is not JSON', async () => {
    const r = await one({ url: sim.url, headers: { 'x-sim-fault': 'malformed:2' } });
    expectFailure(r, 'malformed_event', /^event \d+ is not JSON: /);
    expect(r.chunkTimes).toHaveLength(2);
  });

  test('malformed_event: a non-streamed body cut in half', async () => {
    const r = await one({ url: sim.url, stream: false, headers: { 'x-sim-fault': 'malformed' } });
    expectFailure(r, 'malformed_event', /^response body is not a completions response: /);
    expect(r.status).toBe(200);
  });

  test('stream_error: an in-stream {"error": ...} event after a 200', async () => {
    const chunk = (text: string): string => `data: {"id":"x","object":"text_completion","choices":[{"index":0,"text":${JSON.stringify(text)},"finish_reason":null}]}\n\n`;
    const srv = await httpServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': String(req.headers['x-request-id']) });
      res.write(chunk(' hello'));
      res.write(chunk(' world'));
      res.end(`data: {"error":{"message":"CUDA out of memory.\\nTried to allocate 2.00 GiB","type":"InternalServerError","code":500}}\n\ndata: [DONE]\n\n`);
    });
    try {
      const r = await one({ url: srv.url });
      expectFailure(r, 'stream_error', /^error event from server: CUDA out of memory\. Tried to allocate 2\.00 GiB$/);
      expect(r.status).toBe(200);
      expect(r.chunkTimes).toHaveLength(2);
    } finally {
      await srv.close();
    }
  });

  test('stream_cut: the socket closes after 2 content chunks', async () => {
    const r = await one({ url: sim.url, headers: { 'x-sim-fault': 'cut:2' } });
    expectFailure(r, 'stream_cut', /other side closed|ECONNRESET/);
    expect(r.status).toBe(200);
    expect(r.chunkTimes).toHaveLength(2);
    expect(r.finishReason).toBeNull();
  });

  test('non-streamed: a cut before the body is connect_reset, a stall is first_token_timeout (no response)', async () => {
    const cut = await one({ url: sim.url, stream: false, headers: { 'x-sim-fault': 'cut' } });
    expectFailure(cut, 'connect_reset', /other side closed|ECONNRESET/);
    expect(cut.status).toBeNull();
    const stall = await one({ url: sim.url, stream: false, headers: { 'x-sim-fault': 'stall' }, timeouts: { firstToken: 200 } });
    expectFailure(stall, 'first_token_timeout', /^no response within 0\.2 s of sending$/);
  });

  test('empty_completion: a 200 stream that finishes with no text, streamed or not', async () => {
    for (const stream of [true, false]) {
      const r = await one({ url: sim.url, stream, headers: { 'x-sim-fault': 'empty' } });
      expectFailure(r, 'empty_completion', /^response finished with no output text$/);
      expect(r.status).toBe(200);
      expect(r.finishReason).toBe('stop');
      expect(r.usage?.completionTokens).toBe(0);
    }
  });
});

describe('a server that echoes the key', () => {
  // Some gateways quote the key they rejected; the record must not carry it to requests.jsonl.
  test.each([
    ['in an HTTP 401 body', 401, (key: string) => JSON.stringify({ error: { message: `Invalid API key: ${key}` } })],
    ['in an in-stream error event', 200, (key: string) => `data: ${JSON.stringify({ error: { message: `token ${key} expired` } })}\n\n`],
  ])('%s', async (_name, status, body) => {
    const srv = await httpServer((req, res) => {
      req.resume();
      const key = String(req.headers.authorization).replace(/^Bearer /, '');
      res.writeHead(status, { 'content-type': status === 200 ? 'text/event-stream' : 'application/json' });
      res.end(body(key));
    });
    try {
      const r = await one({ url: srv.url });
      expect(r.error!.class).toBe(status === 200 ? 'stream_error' : 'http_status');
      expect(r.error!.message).not.toContain(KEY);
      expect(r.error!.message).toMatch(status === 200 ? /^error event from server: token \S+ expired$/ : /^HTTP 401: Invalid API key: \S+$/);
    } finally {
      await srv.close();
    }
  });
});

test('no record or message carries the API key', () => {
  expect(seen.length).toBeGreaterThan(15);
  expect(JSON.stringify(seen)).not.toContain(KEY);
  expect(JSON.stringify(seen)).not.toContain('SECRET');
});
