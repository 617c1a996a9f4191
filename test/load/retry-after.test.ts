import { describe, expect, test } from 'vitest';
import { parseRetryAfter } from '../../lib/http/exchange.ts';
import type { RetryPolicy } from '../../lib/load/runner.ts';
import { driveOne, httpServer } from '../http/drive.ts';

/**
 * A 503 or 429 with `Retry-After` is retried after the wait the server asked for, not the
 * policy's own backoff, and never longer than the policy's maximum.
 */
const policy = (maxBackoffMs: number): RetryPolicy => ({ on: new Set(['http_503', 'http_429']), maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs, multiplier: 2, jitter: 0 });

/** Answers the first request with `status` and `Retry-After: retryAfter`, then a completion. */
async function busyOnce(status: number, retryAfter: string) {
  let calls = 0;
  return httpServer((req, res) => {
    req.resume();
    if (calls++ === 0) {
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': retryAfter });
      return void res.end('{"error":{"message":"busy"}}');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'text_completion', choices: [{ index: 0, text: ' ok', finish_reason: 'length' }] }));
  });
}

describe('Retry-After', () => {
  test('a 503 with Retry-After: 1 waits a second before the retry, and the attempt records it', async () => {
    const srv = await busyOnce(503, '1');
    try {
      const r = await driveOne({ url: srv.url, stream: false, retry: policy(60_000) });
      expect(r.error).toBeNull();
      expect(r.retries).toHaveLength(1);
      const a = r.retries![0]!;
      expect(a).toMatchObject({ key: 'http_503', retryAfterMs: 1000 });
      // Timers never fire early: the wait as it happened is at least the server's ask.
      expect(a.backoffMs).toBeGreaterThanOrEqual(999);
      expect(r.sent! - a.end).toBeGreaterThanOrEqual(999);
    } finally {
      await srv.close();
    }
  });

  test('a wait longer than max_backoff is cut to the maximum', async () => {
    const srv = await busyOnce(429, '120');
    try {
      const r = await driveOne({ url: srv.url, stream: false, retry: policy(30) });
      expect(r.error).toBeNull();
      expect(r.retries![0]).toMatchObject({ key: 'http_429', retryAfterMs: 120_000 });
      expect(r.retries![0]!.backoffMs).toBeGreaterThanOrEqual(29);
      expect(r.retries![0]!.backoffMs).toBeLessThan(60_000);
    } finally {
      await srv.close();
    }
  });

  test('parseRetryAfter reads delay-seconds and HTTP dates', () => {
    const now = Date.parse('Mon, 07 Dec 2026 14:00:00 GMT');
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 07 Dec 2026 14:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 07 Dec 2026 13:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['7'], now)).toBe(7000);
    for (const bad of [undefined, '', '-1', '1.5', 'soon', '12abc']) expect(parseRetryAfter(bad, now)).toBeNull();
  });
});
