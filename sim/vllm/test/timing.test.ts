import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSimulator, type SimProcess } from '../spawn.ts';
import { contentEvents, json, post, stream } from './sim-client.ts';

/*
 * The modeled timing, measured by a client in this process against a simulator in its own
 * process (as suites run it). Tolerances are wide enough for timer granularity and a busy CI
 * machine, and narrow enough that a wrong formula fails.
 */

let sim: SimProcess;
const words = (prefix: string, n: number): string => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ');

beforeAll(async () => {
  sim = await spawnSimulator({ tokenizer: 'words', max_num_seqs: 4, load_factor: 1, itl_ms: 5, itl_std_ms: 0.5, prefill_overhead_ms: 5, prefill_per_token_ms: 0.05, ttft_std_ms: 0 });
});
afterAll(() => sim.stop());

async function gaps(n: number, maxTokens: number): Promise<number[]> {
  const results = await Promise.all(Array.from({ length: n }, (_, i) => stream(`${sim.url}/v1/completions`, { prompt: words(`g${i}-`, 8), max_tokens: maxTokens, stream: true })));
  const out: number[] = [];
  for (const r of results) {
    const c = contentEvents(r.events);
    expect(c).toHaveLength(maxTokens);
    for (let i = 1; i < c.length; i++) out.push(c[i]!.atMs - c[i - 1]!.atMs);
  }
  return out;
}

async function ttft(prompt: string): Promise<number> {
  const r = await stream(`${sim.url}/v1/completions`, { prompt, max_tokens: 1, stream: true });
  return contentEvents(r.events)[0]!.atMs - r.sentMs;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('modeled timing over loopback', () => {
  it('keeps the mean inter-token gap at itl_ms', async () => {
    const m = mean(await gaps(2, 60));
    expect(m).toBeGreaterThan(5 * 0.85);
    expect(m).toBeLessThan(5 * 1.15);
  });

  it('grows TTFT with uncached prompt tokens and shrinks it on a prefix-cache hit', async () => {
    // The least of three distinct (uncached) prompts of each size: a scheduling hiccup on a busy
    // 2-core machine delays one request, rarely all three.
    const least = async (make: (k: number) => string): Promise<number> => Math.min(await ttft(make(0)), await ttft(make(1)), await ttft(make(2)));
    const short = await least((k) => words(`s${k}-`, 20));
    const cold = await least((k) => words(`l${k}-`, 1000));
    // The same three again, now cached.
    const warm = await least((k) => words(`l${k}-`, 1000));
    // Modeled: 5 + 20 x 0.05 = 6 ms; 5 + 1000 x 0.05 = 55 ms; cached 992 of 1000 -> 5.4 ms.
    expect(cold - short).toBeGreaterThan(49 * 0.7);
    expect(cold - short).toBeLessThan(49 * 1.3);
    expect(warm).toBeLessThan(cold / 3);
    expect(warm).toBeLessThan(short + 5);
  });

  it('slows every decode step by the load factor of a full batch', async () => {
    await post(`${sim.url}/admin/config`, { load_factor: 2, itl_ms: 3 }).then(json);
    // Four streams fill max_num_seqs = 4: factor 2, so the mean gap is ~6 ms instead of 3 ms.
    const m = mean(await gaps(4, 40));
    expect(m).toBeGreaterThan(6 * 0.85);
    expect(m).toBeLessThan(6 * 1.15);
  });
});
