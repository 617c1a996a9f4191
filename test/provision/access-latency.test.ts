import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionStack, type ProvisionedStack } from '../../lib/k8s/provision.ts';
import { openAccess, type StackAccess } from '../../lib/k8s/stack-access.ts';
import { median, openSimCluster, ROOT, streamCompletion, TEMPLATE, testRunId, type SimCluster } from './helpers.ts';

/*
 * One stack, reached two ways at once: through the Service's ClusterIP and by port-forward to its
 * pod. Requests alternate between the two so both see the same server state; the first-token
 * times are printed (the port-forward noise the reports warn about, in ms of real time: the
 * simulated server itself runs at the cluster time scale).
 */
const MODEL = 'Qwen/Qwen3-0.6B';
let cluster: SimCluster;
let stack: ProvisionedStack;
let forward: StackAccess;

beforeAll(async () => {
  cluster = await openSimCluster();
  stack = await provisionStack(cluster.conn, { template: TEMPLATE, cwd: ROOT, env: {}, runId: testRunId('lat') });
  forward = await openAccess(cluster.conn, stack.stack, 'port-forward');
});

afterAll(async () => {
  await forward?.close();
  await stack?.teardown();
  await cluster?.close();
});

async function ttfts(url: string, n: number, fresh: boolean): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await streamCompletion(url, MODEL, { fresh });
    expect(r).toMatchObject({ status: 200, done: true, chunks: 8 });
    out.push(r.ttftMs);
  }
  return out;
}

describe('first-token latency through the ClusterIP and through port-forward', () => {
  it('serves every request both ways; prints the medians', async () => {
    const ip = stack.access.baseUrl;
    const pf = forward.baseUrl;
    expect(ip).toMatch(/^http:\/\/127\.2\./);
    expect(pf).toMatch(/^http:\/\/127\.0\.0\.1:/);
    await ttfts(ip, 2, false);
    await ttfts(pf, 2, false);
    const warm = { ip: [] as number[], pf: [] as number[] };
    const cold = { ip: [] as number[], pf: [] as number[] };
    for (let round = 0; round < 30; round++) {
      warm.ip.push(...(await ttfts(ip, 1, false)));
      warm.pf.push(...(await ttfts(pf, 1, false)));
    }
    for (let round = 0; round < 10; round++) {
      cold.ip.push(...(await ttfts(ip, 1, true)));
      cold.pf.push(...(await ttfts(pf, 1, true)));
    }
    expect(forward.errors()).toEqual([]);
    const f = (xs: number[]): string => `median ${median(xs).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`;
    console.log(
      [
        `TTFT, kept-alive connection (30 each): cluster-ip ${f(warm.ip)}; port-forward ${f(warm.pf)}`,
        `TTFT, new connection each (10 each):   cluster-ip ${f(cold.ip)}; port-forward ${f(cold.pf)}`,
      ].join('\n'),
    );
    // No ordering is asserted: on loopback the two differ by about a millisecond, within a busy machine's noise.
    for (const xs of [warm.ip, warm.pf, cold.ip, cold.pf]) expect(Math.min(...xs)).toBeGreaterThan(0);
  });
});
