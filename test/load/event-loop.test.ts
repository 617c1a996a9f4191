import { afterAll, beforeAll, expect, test } from 'vitest';
import { type SimServer, startSimServer } from '../../sim/vllm/server.ts';
import { drive } from '../http/drive.ts';

/**
 * The runner's event-loop delay says whether chunk timestamps of the measured requests could be
 * late (run validity). Stalls during warm-up (first-use compilation, connection setup) must not
 * count: warm-up exists to absorb them. A blocked loop is made here by busy-waiting in onRecord.
 */
let sim: SimServer;

beforeAll(async () => {
  sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words' });
});

afterAll(async () => {
  await sim.close();
});

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('an 80 ms stall during warm-up is not part of the run event-loop delay', async () => {
  const { outcome } = await drive({ url: sim.url, warmup: 3, requests: 6, onRecord: (r) => r.seq === 0 && block(80) });
  expect(outcome.eventLoopDelayMs.max).toBeLessThan(40);
});

test('an 80 ms stall during the measured phase is', async () => {
  const { outcome } = await drive({ url: sim.url, warmup: 3, requests: 6, onRecord: (r) => r.seq === 5 && block(80) });
  expect(outcome.eventLoopDelayMs.max).toBeGreaterThanOrEqual(70);
});
