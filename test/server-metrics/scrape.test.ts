import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { scrapeMetrics, type ScrapeResult } from '../../lib/server-metrics/scrape.ts';
import { type SimServer, startSimServer } from '../../sim/vllm/server.ts';
import { closedPort, httpServer, silentServer } from '../http/drive.ts';

const KEY = 'sk-scrape-SECRET-1234';

/** A server whose answer each test sets; it records the request headers it got. */
let server: Awaited<ReturnType<typeof httpServer>>;
let answer: { status: number; body: string } = { status: 200, body: '' };
let seen: IncomingHttpHeaders[] = [];
let sim: SimServer;

beforeAll(async () => {
  server = await httpServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(answer.status, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(answer.body);
  });
  sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words' });
});

afterAll(async () => {
  await server.close();
  await sim.close();
});

function failure(r: ScrapeResult): string {
  expect(r.ok).toBe(false);
  return r.ok ? '' : r.reason;
}

describe('scrapeMetrics', () => {
  test("the simulator's /metrics: samples and families", async () => {
    const r = await scrapeMetrics(`${sim.url}/metrics`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.url).toBe(`${sim.url}/metrics`);
    expect(r.samples.some((s) => s.name === 'vllm:prefix_cache_queries_total')).toBe(true);
    expect(r.families['vllm:num_requests_running']?.type).toBe('gauge');
    expect(r.atMs).toBeGreaterThan(0);
  });

  test("sends the caller's headers (the API key among them) and asks for the text format; drops content-type", async () => {
    seen = [];
    answer = { status: 200, body: 'x 1\n' };
    const r = await scrapeMetrics(`${server.url}/metrics`, { headers: { authorization: `Bearer ${KEY}`, 'x-tenant': 'team-a', 'content-type': 'application/json' } });
    expect(r.ok).toBe(true);
    expect(seen[0]).toMatchObject({ authorization: `Bearer ${KEY}`, 'x-tenant': 'team-a' });
    expect(seen[0]!['content-type']).toBeUndefined();
    expect(seen[0]!.accept).toMatch(/^text\/plain;version=0\.0\.4/);
  });

  test('a non-200 answer is a reason with the status and the body, the key scrubbed even when the server echoes it', async () => {
    answer = { status: 401, body: `invalid key Bearer ${KEY}\nfor this server` };
    const reason = failure(await scrapeMetrics(`${server.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } }));
    expect(reason).toBe('HTTP 401 (invalid key [redacted] for this server)');
    expect(reason).not.toContain(KEY);
    answer = { status: 404, body: '' };
    expect(failure(await scrapeMetrics(`${server.url}/metrics`))).toBe('HTTP 404');
  });

  test('text that is not Prometheus format names the line', async () => {
    answer = { status: 200, body: '# TYPE a counter\na_total 1\n<html>oops</html>\n' };
    expect(failure(await scrapeMetrics(`${server.url}/metrics`))).toBe('not Prometheus text: line 3: expected a metric name, got "<": <html>oops</html>');
  });

  test('a body above maxBytes is refused', async () => {
    answer = { status: 200, body: 'x 1\n'.repeat(1000) };
    expect(failure(await scrapeMetrics(`${server.url}/metrics`, { maxBytes: 100 }))).toBe('response larger than 100 bytes');
  });

  test('nothing listening: connection refused', async () => {
    const port = await closedPort();
    expect(failure(await scrapeMetrics(`http://127.0.0.1:${port}/metrics`))).toMatch(/^connection refused \(/);
  });

  test('a server that never answers: the deadline', async () => {
    const silent = await silentServer();
    try {
      const started = performance.now();
      expect(failure(await scrapeMetrics(`http://127.0.0.1:${silent.port}/metrics`, { timeoutMs: 300 }))).toBe('no answer within 0.3 s');
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await silent.close();
    }
  });

  test('a cancelled scrape says so', async () => {
    const silent = await silentServer();
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      expect(failure(await scrapeMetrics(`http://127.0.0.1:${silent.port}/metrics`, { signal: ac.signal, timeoutMs: 5000 }))).toBe('cancelled');
    } finally {
      await silent.close();
    }
  });

  test('not a URL, or not http(s)', async () => {
    expect(failure(await scrapeMetrics('nope'))).toBe('not a URL: "nope"');
    expect(failure(await scrapeMetrics('ftp://127.0.0.1/metrics'))).toBe('not an http(s) URL: "ftp://127.0.0.1/metrics"');
  });
});
