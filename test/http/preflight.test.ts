import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TargetError } from '../../lib/errors/target-error.ts';
import { preflight } from '../../lib/http/preflight.ts';
import { HttpTarget } from '../../lib/http/target.ts';
import { type SimServer, startSimServer } from '../../sim/vllm/server.ts';
import { closedPort, httpServer, TIMEOUTS } from './drive.ts';

const KEY = 'sk-preflight-SECRET-42';
let sim: SimServer;

beforeAll(async () => {
  sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words', models: ['m-one', 'm-two'] });
});

afterAll(async () => {
  await sim.close();
});

const target = (baseUrl: string, apiKey?: string): HttpTarget => new HttpTarget({ baseUrl, ...(apiKey ? { apiKey } : {}), timeouts: TIMEOUTS });

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<TargetError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TargetError);
  return err as TargetError;
}

describe('HttpTarget', () => {
  test.each([
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8000', '/v1', 'http://127.0.0.1:8000'],
    ['http://127.0.0.1:8000/', 'http://127.0.0.1:8000', '/v1', 'http://127.0.0.1:8000'],
    ['https://api.openai.com/v1', 'https://api.openai.com', '/v1', 'https://api.openai.com/v1'],
    ['http://gw.example:80/ns/model/v1/', 'http://gw.example', '/ns/model/v1', 'http://gw.example/ns/model/v1'],
    ['http://gw.example/ns/model', 'http://gw.example', '/ns/model/v1', 'http://gw.example/ns/model'],
  ])('%s: origin %s, API root %s', (baseUrl, origin, apiRoot, displayUrl) => {
    const t = target(baseUrl);
    expect({ origin: t.origin, apiRoot: t.apiRoot, displayUrl: t.displayUrl }).toEqual({ origin, apiRoot, displayUrl });
  });

  test('the key goes into the authorization header only; extra headers are kept', () => {
    const t = new HttpTarget({ baseUrl: 'http://h', apiKey: KEY, headers: { 'x-tenant': 'a' }, timeouts: TIMEOUTS });
    expect(t.requestHeaders).toMatchObject({ authorization: `Bearer ${KEY}`, 'x-tenant': 'a', 'content-type': 'application/json' });
    expect(t.displayUrl).not.toContain(KEY);
  });
});

describe('preflight', () => {
  test('lists the served models and picks the first when none is configured', async () => {
    expect(await preflight(target(sim.url), null, null)).toEqual({ models: ['m-one', 'm-two'], model: 'm-one' });
    expect(await preflight(target(sim.url), 'm-two', null)).toEqual({ models: ['m-one', 'm-two'], model: 'm-two' });
  });

  test('a model the server does not serve', async () => {
    const err = await rejection(preflight(target(sim.url), 'nope', null));
    expect(err.code).toBe('TARGET_MODEL_MISSING');
    expect(err.message).toBe(`${sim.url}/v1/models: model "nope" is not served (served: m-one, m-two)`);
  });

  test('another error status shows the server message on one line, without a key the server quotes back', async () => {
    const srv = await httpServer((req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `backend down\nwhile checking ${String(req.headers.authorization)}` } }));
    });
    try {
      const err = await rejection(preflight(target(srv.url, KEY), 'm', 'MY_LLM_KEY'));
      expect(err.code).toBe('TARGET_ERROR');
      expect(err.message).toBe(`${srv.url}/v1/models: HTTP 500: backend down while checking ***`);
    } finally {
      await srv.close();
    }
  });

  test('401 names the env var holding the key, and never the key', async () => {
    const auth: string[] = [];
    const srv = await httpServer((req, res) => {
      auth.push(String(req.headers.authorization));
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided`, code: 401 } }));
    });
    try {
      const err = await rejection(preflight(target(srv.url, KEY), 'm', 'MY_LLM_KEY'));
      expect(err.code).toBe('TARGET_UNAUTHORIZED');
      expect(err.message).toBe(`${srv.url}/v1/models: HTTP 401 (check the key in MY_LLM_KEY)`);
      expect(auth).toEqual([`Bearer ${KEY}`]);
      const noKey = await rejection(preflight(target(srv.url), 'm', null));
      expect(noKey.message).toMatch(/HTTP 401 \(the server wants an API key: set api_key_env\)$/);
      expect(`${err.message} ${err.stack} ${noKey.message}`).not.toContain(KEY);
    } finally {
      await srv.close();
    }
  });

  test('a refused connection fails at once with a hint, naming the URL', async () => {
    const port = await closedPort();
    const started = performance.now();
    const err = await rejection(preflight(target(`http://127.0.0.1:${port}`, KEY), 'm', 'K', 2000));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.code).toBe('TARGET_UNREACHABLE');
    expect(err.message).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${port}/v1/models: connection refused: is the server running and listening on that port\\? \\(.*ECONNREFUSED.*\\)$`),
    );
    expect(err.message).not.toContain(KEY);
  });

  test('a server that never answers fails within the preflight deadline', async () => {
    const { silentServer } = await import('./drive.ts');
    const silent = await silentServer();
    try {
      const started = performance.now();
      const err = await rejection(preflight(target(`http://127.0.0.1:${silent.port}`), 'm', null, 300));
      expect(performance.now() - started).toBeLessThan(1500);
      expect(err.code).toBe('TARGET_UNREACHABLE');
      expect(err.message).toBe(`http://127.0.0.1:${silent.port}/v1/models: no answer within 0.3 s`);
    } finally {
      await silent.close();
    }
  });
});
