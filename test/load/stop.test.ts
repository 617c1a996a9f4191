import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SimServer, startSimServer } from '../../sim/vllm/server.ts';
import { closedPort, drive } from '../http/drive.ts';

/** How a run stops early: cancelled, target unreachable, results unwritable. Never a hang. */
const KEY = 'sk-stop-SECRET-99';
let sim: SimServer;

beforeAll(async () => {
  sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words' });
});

afterAll(async () => {
  await sim.close();
});

const closed = (concurrency: number) => ({ kind: 'closed' as const, concurrency, description: '' });

describe('cancellation', () => {
  test('aborting mid-stream records the requests in flight as cancelled and resolves promptly', async () => {
    const ac = new AbortController();
    let abortedAt = 0;
    // Request 0 takes ~50 ms (100 tokens); the others stream for ~10 s (20000 tokens at 0.5 ms).
    // When request 0 is recorded, request 1 is mid-stream and request 2 has just taken its slot.
    const { records, outcome } = await drive({
      url: sim.url,
      apiKey: KEY,
      requests: 10,
      maxTokens: (i) => (i === 0 ? 100 : 20_000),
      schedule: closed(2),
      signal: ac.signal,
      onRecord(r) {
        if (r.seq === 0) {
          abortedAt = performance.now();
          ac.abort(new Error('test run timed out'));
        }
      },
    });
    const resolvedAfter = performance.now() - abortedAt;
    expect(resolvedAfter).toBeLessThan(200);
    expect(records.map((r) => [r.seq, r.error?.class ?? null])).toEqual([
      [0, null],
      [1, 'cancelled'],
      [2, 'cancelled'],
    ]);
    for (const r of records.slice(1)) {
      expect(r.error!.message).toBe('cancelled: test run timed out');
      expect(r.end).toBeGreaterThanOrEqual(abortedAt);
      expect(r.end - abortedAt).toBeLessThan(200);
    }
    // Request 1 was streaming: headers and content had arrived.
    const r1 = records[1]!;
    expect(r1.status).toBe(200);
    expect(r1.chunkTimes.length).toBeGreaterThan(0);
    expect(outcome.stopped).toBe('cancelled: test run timed out');
    expect(JSON.stringify(records)).not.toContain(KEY);
  });

  test('a signal aborted before the run sends nothing', async () => {
    const { records, outcome } = await drive({ url: sim.url, requests: 5, warmup: 2, signal: AbortSignal.abort('stop'), schedule: closed(2) });
    expect(records).toEqual([]);
    expect(outcome).toMatchObject({ stopped: 'cancelled: stop', sent: 0, achievedSendRate: null });
  });

  test('an open loop stops sending when cancelled', async () => {
    const ac = new AbortController();
    let abortedAt = Infinity;
    const { records, outcome } = await drive({
      url: sim.url,
      requests: 1000,
      maxTokens: 4,
      schedule: { kind: 'open', offeredRate: 500, maxInFlight: 10, description: '', offsets: function* () { for (let i = 0; ; i++) yield i * 2; } },
      signal: ac.signal,
      onRecord: (r) => {
        if (r.seq === 4) {
          abortedAt = performance.now();
          ac.abort('enough');
        }
      },
    });
    expect(outcome.stopped).toBe('cancelled: enough');
    expect(records.length).toBeGreaterThanOrEqual(5);
    expect(records.length).toBeLessThan(50);
    // Nothing was sent after the abort; whatever was in flight then is cancelled or finished.
    for (const r of records) {
      if (r.sent !== null) expect(r.sent).toBeLessThanOrEqual(abortedAt);
      expect([null, 'cancelled']).toContain(r.error?.class ?? null);
    }
  });
  test('a low-rate open loop resolves at once when cancelled, not at its next send time', async () => {
    const ac = new AbortController();
    let abortedAt = 0;
    // 1 request/s: after request 0, the pacer waits ~1 s for request 1.
    const { records, outcome } = await drive({
      url: sim.url,
      requests: 5,
      maxTokens: 4,
      schedule: { kind: 'open', offeredRate: 1, maxInFlight: 10, description: '', offsets: function* () { for (let i = 0; ; i++) yield i * 1000; } },
      signal: ac.signal,
      onRecord: () => {
        abortedAt = performance.now();
        ac.abort('test timeout');
      },
    });
    expect(performance.now() - abortedAt).toBeLessThan(100);
    expect(records).toHaveLength(1);
    expect(outcome.stopped).toBe('cancelled: test timeout');
  });
});

describe('unreachable target', () => {
  test('the run stops after the breaker count instead of trying every request', async () => {
    const port = await closedPort();
    const { records, outcome, elapsedMs } = await drive({ url: `http://127.0.0.1:${port}`, apiKey: KEY, requests: 500, warmup: 2 });
    // Default breaker: max(5, in-flight bound 1) consecutive connection failures, warm-up included.
    expect(records).toHaveLength(5);
    expect(records.every((r) => r.error?.class === 'connect_refused')).toBe(true);
    expect(outcome.stopped).toMatch(/^target unreachable: 5 requests in a row failed \(.*ECONNREFUSED.*\)$/);
    expect(outcome.stopped).not.toContain(KEY);
    expect(elapsedMs).toBeLessThan(1000);
  });

  test('with concurrency, requests still in flight when the breaker trips are cancelled', async () => {
    const port = await closedPort();
    const { records, outcome } = await drive({ url: `http://127.0.0.1:${port}`, requests: 500, schedule: closed(2), unreachableAfter: 3 });
    // By sequence: a request cancelled by the breaker can reach onRecord before the failure that tripped it.
    const classes = [...records].sort((a, b) => a.seq - b.seq).map((r) => r.error!.class);
    expect(classes.filter((c) => c === 'connect_refused')).toHaveLength(3);
    expect(records.length).toBeLessThanOrEqual(4);
    expect(classes.slice(3).every((c) => c === 'cancelled')).toBe(true);
    expect(outcome.stopped).toMatch(/^target unreachable: 3 requests in a row/);
  });

  test('HTTP errors are not connection failures: a server answering 503 is tried for every request', async () => {
    const { records, outcome } = await drive({ url: sim.url, requests: 12, headers: { 'x-sim-fault': 'status=503' } });
    expect(records).toHaveLength(12);
    expect(outcome.stopped).toBeNull();
  });
});

test('an onRecord that throws stops the run and rejects with its error', async () => {
  const boom = new Error('disk full');
  const seen: number[] = [];
  const run = drive({
    url: sim.url,
    requests: 50,
    maxTokens: 4,
    onRecord(r) {
      seen.push(r.seq);
      if (r.seq === 2) throw boom;
    },
  });
  await expect(run).rejects.toBe(boom);
  expect(seen.slice(0, 3)).toEqual([0, 1, 2]);
  expect(seen.length).toBeLessThanOrEqual(4);
});
