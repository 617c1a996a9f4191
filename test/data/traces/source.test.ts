/**
 * The `trace` data source: the cache reuse a trace's block hashes predict (hand-counted on small
 * traces), files merged by time and cut to the window, warm-up prompts that are not the trace's,
 * and the plan a trace load makes of it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createDataSource } from '../../../lib/data/index.ts';
import { expectedCachedTokens } from '../../../lib/data/traces/replay-files.ts';
import type { ReplayEntry } from '../../../lib/data/traces/replay-files.ts';
import { planLoadOf } from '../../../lib/scenario/plan-load.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmd-trace-src-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (tokens: number, blocks: string[] | null): ReplayEntry => ({ prompt: { text: '', tokens, maxTokens: 1, cell: 'c', atS: 0 }, blocks });

function mooncake(name: string, lines: Array<[number, number, number[]]>): string {
  const file = join(dir, name);
  writeFileSync(file, lines.map(([ts, len, ids]) => JSON.stringify({ timestamp: ts, input_length: len, output_length: 4, hash_ids: ids })).join('\n') + '\n');
  return file;
}

describe('expectedCachedTokens', () => {
  test('counts the leading full blocks an earlier request sent, as a prefix cache hits them', () => {
    const bs = 4;
    const entries = [
      entry(12, ['a', 'b', 'c']), // nothing seen: 0
      entry(12, ['a', 'b', 'd']), // a, b: 8
      entry(12, ['x', 'b', 'c']), // x unseen: the later b, c are not a prefix hit: 0
      entry(8, ['a', 'b']), // a, b seen, but the last token is always computed: floor(7 / 4) = 1 block: 4
      entry(9, ['a', 'b']), // floor(8 / 4) = 2 blocks: 8
    ];
    expect(expectedCachedTokens(entries, bs)).toBe(0 + 8 + 0 + 4 + 8);
    expect(expectedCachedTokens([entry(12, null)], null)).toBeNull();
  });
});

describe('the trace source', () => {
  const ctx = { model: 'm', tokenizer: 'words' as const, warmupRequests: 2 };

  test('files merged by time, cut to the window; timing and predicted reuse from the hash ids; warm-up of its own', async () => {
    // Block size 8: ids 1, 2 full blocks of 8 tokens. Each file from its own time 0; file b's id 1 is not file a's id 1.
    const a = mooncake('a.jsonl', [[0, 17, [1, 2, 3]], [1000, 17, [1, 2, 4]], [5000, 9, [1, 9]]]);
    const b = mooncake('b.jsonl', [[500, 17, [1, 2, 5]], [3000, 17, [1, 2, 6]]]);
    const source = await createDataSource({ type: 'trace', path: [a, b], format: 'mooncake', block_size: 8, max_duration_s: 4, seed: 3 }, ctx);
    const timing = source.timing!;
    expect(timing.count).toBe(4);
    expect([0, 1, 2, 3].map((k) => timing.atS(k))).toEqual([0, 0, 1, 2.5]);
    // a0: 0; b0 (file b's own ids): 0; a1: blocks 1, 2 of a0 = 16; b1: blocks 1, 2 of b0 = 16.
    expect(timing.info).toMatchObject({ format: 'mooncake', blockSize: 8, expectedCachedTokens: 32 });
    await source.prepare(2 + 4);
    const trace = [2, 3, 4, 5].map((i) => source.get(i));
    expect(trace.map((p) => p.tokens)).toEqual([17, 17, 17, 17]);
    // Shared ids are shared text: a0 and a1 start with the same 16 tokens, a0 and b0 do not.
    const head = (t: string): string => t.split(' ').slice(0, 16).join(' ');
    expect(head(trace[2]!.text)).toBe(head(trace[0]!.text));
    expect(head(trace[1]!.text)).not.toBe(head(trace[0]!.text));
    // Warm-up j is shaped as trace request j but shares no text with any trace prompt.
    const warm = [0, 1].map((i) => source.get(i));
    expect(warm.map((p) => p.tokens)).toEqual([17, 17]);
    for (const w of warm) for (const p of trace) expect(p.text.startsWith(w.text.split(' ').slice(0, 8).join(' '))).toBe(false);
    expect(source.summary!()).toMatch(/^mooncake trace .*a\.jsonl, .*b\.jsonl: 4 request\(s\) over 2\.5 s of trace; 1 after the window not sent; block reuse predicts 32 cached prompt tokens \(8-token blocks\)$/);
  });

  test('a trace load plans the replay: requests, span and speed-up', async () => {
    const a = mooncake('plan.jsonl', [[0, 9, [1]], [2000, 9, [1]], [6000, 9, [2]]]);
    const source = await createDataSource({ type: 'trace', path: a, format: 'auto', seed: 1 }, { model: 'm', tokenizer: 'words' });
    const plan = planLoadOf({ type: 'trace', speedup: 4, max_in_flight: 10 }, undefined, undefined, 0, 1, source.timing);
    expect(plan.description).toBe('trace replay: 3 requests over 1.5 s (6.0 s of trace at 4x speed) (open loop)');
    expect(plan.stages!.map((s) => [s.requests, s.exact, s.rate, s.timeBound, s.durationS])).toEqual([[3, true, null, false, 1.5]]);
    // num_requests caps the replay: the first two requests, over 2 s of trace.
    expect(planLoadOf({ type: 'trace', speedup: 4, max_in_flight: 10 }, undefined, 2, 0, 1, source.timing).stages!.map((s) => [s.requests, s.durationS])).toEqual([[2, 0.5]]);
    expect(plan.totalRequests).toBe(3);
    expect(plan.arrivals).toBe("the trace's own times at 4x speed: 3 requests over 1.5 s (generator trace, open loop); at most 10 in flight");
  });
});
