import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { API_ADAPTERS, capabilitiesFor } from '../../lib/apis/index.ts';
import { HttpTarget } from '../../lib/http/target.ts';
import { runLoad } from '../../lib/load/runner.ts';
import { fixedPlanner } from '../../lib/load/stage.ts';
import { startSimServer, type SimServer } from '../../sim/vllm/server.ts';
import { drive, MODEL, TIMEOUTS } from '../http/drive.ts';

/**
 * A TCP relay in front of the simulator that counts the connections the client opens and the
 * `GET /v1/models` requests it sends (the runner primes connections with them).
 */
async function countingRelay(port: number): Promise<{ url: string; connections: () => number; modelGets: () => number; close(): Promise<void> }> {
  let connections = 0;
  let modelGets = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => {
      modelGets += d.toString('latin1').split('GET /v1/models ').length - 1;
    });
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    modelGets: () => modelGets,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let sim: SimServer;

beforeAll(async () => {
  sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words' });
});

afterAll(async () => {
  await sim.close();
});

describe('connections are bounded by the work', () => {
  test('a closed loop of concurrency 100000 sending 20 requests opens at most 20 connections and primes at most 20', async () => {
    const relay = await countingRelay(sim.port);
    try {
      const run = await drive({ url: relay.url, requests: 20, warmup: 2, schedule: { kind: 'closed', concurrency: 100_000, description: 'concurrency 100000' } });
      expect(run.records.filter((r) => !r.warmup && r.error === null)).toHaveLength(20);
      expect(relay.connections()).toBeLessThanOrEqual(20);
      expect(relay.modelGets()).toBeLessThanOrEqual(20);
    } finally {
      await relay.close();
    }
  });

  test('an open loop allowing 100000 in flight with 5 requests opens at most 5 connections', async () => {
    const relay = await countingRelay(sim.port);
    try {
      const offsets = function* (): Generator<number> {
        for (let k = 0; ; k++) yield k;
      };
      const run = await drive({ url: relay.url, requests: 5, schedule: { kind: 'open', maxInFlight: 100_000, offeredRate: 1000, offsets, description: 'rate 1000/s' } });
      expect(run.records.filter((r) => r.error === null)).toHaveLength(5);
      expect(relay.connections()).toBeLessThanOrEqual(5);
    } finally {
      await relay.close();
    }
  });

  test('a time-bounded closed loop of concurrency 100000 starts its users without holding the event loop: a timer due at once fires while they start, and stops the run', async () => {
    const relay = await countingRelay(sim.port);
    const target = new HttpTarget({ baseUrl: relay.url, timeouts: TIMEOUTS });
    const adapter = API_ADAPTERS.completions;
    const caps = capabilitiesFor('vllm');
    const controller = new AbortController();
    let prepared = 0;
    let preparedAtAbort = -1;
    const schedule = { kind: 'closed' as const, concurrency: 100_000, description: 'concurrency 100000' };
    try {
      const outcome = await runLoad({
        target, adapter, model: MODEL, stream: true, warmup: 0, requestIdPrefix: 'huge', keepText: false,
        plan: fixedPlanner('huge', [{ label: 'concurrency 100000', description: '', schedule, maxRequests: null, durationMs: 60_000, drainMs: 0, offered: { rate: null, concurrency: 100_000 } }]),
        beforeStage: async () => {
          // Due on the first turn of the event loop after the stage starts.
          setTimeout(() => {
            preparedAtAbort = prepared;
            controller.abort(new Error('test timeout'));
          }, 0);
        },
        signal: controller.signal,
        request: () => {
          prepared++;
          return { body: adapter.body({ model: MODEL, prompt: 'hi', maxTokens: 2, stream: true }, caps), cell: 'c', promptTokens: 1, maxTokens: 2 };
        },
        onRecord: () => {},
      });
      expect(outcome.stopped).toMatch(/^cancelled: test timeout/);
      expect(preparedAtAbort).toBeGreaterThan(0);
      expect(preparedAtAbort).toBeLessThan(100_000);
      // Primed connections: at most 1024 `GET /v1/models`, not one per user.
      expect(relay.modelGets()).toBeLessThanOrEqual(1024);
    } finally {
      await relay.close();
    }
  });
});
