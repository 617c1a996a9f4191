import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TRACES } from '../../../lib/data/traces/generate.ts';
import { detectTraceFormat, loadTraceReplay, readTrace } from '../../../lib/data/traces/replay.ts';
import { getTokenizer } from '../../../lib/tokenizer/index.ts';

const EXAMPLES = join(import.meta.dirname, '../../../examples/data');
const fileOf = (format: string): string => join(EXAMPLES, SAMPLE_TRACES.find((s) => s.format === format)!.file);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-trace-replay-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trace replay', () => {
  it.each(['mooncake', 'azure', 'burstgpt'] as const)('tells a %s file from its first line', async (format) => {
    expect(await detectTraceFormat(fileOf(format))).toBe(format);
  });

  it('refuses a file of no known format, naming it', async () => {
    const path = join(dir, 'other.csv');
    writeFileSync(path, 'time,prompt,output\n0,1,1\n');
    await expect(detectTraceFormat(path)).rejects.toThrow(`data.path: ${path}: not a known trace format`);
  });

  it('reads, windows and builds prompts: offsets sped up, count capped, lengths exact', async () => {
    const tok = await getTokenizer('words');
    const path = fileOf('mooncake');
    const trace = await readTrace(path, 'mooncake');
    const replay = await loadTraceReplay({ path, seed: 2, speedup: 4, maxRequests: 12 }, tok);
    expect(replay.prompts).toHaveLength(12);
    replay.prompts.forEach((p, i) => {
      expect(p.atS).toBeCloseTo(trace.requests[i]!.atS / 4, 9);
      expect(tok.count(p.text)).toBe(trace.requests[i]!.inputTokens);
      expect(p.maxTokens).toBe(trace.requests[i]!.outputTokens);
    });
    expect(replay.summary).toBe(`mooncake trace ${path}: 12 request(s) over ${replay.prompts[11]!.atS.toFixed(1)} s at 4x speed (108 after the cap not sent)`);
  });

  it('a duration cap keeps the requests before it on the replayed clock', async () => {
    const tok = await getTokenizer('words');
    const path = fileOf('azure');
    const all = (await readTrace(path, 'azure')).requests;
    const replay = await loadTraceReplay({ path, seed: 2, speedup: 2, maxDurationS: 5 }, tok);
    expect(replay.prompts.length).toBe(all.filter((r) => r.atS / 2 < 5).length);
    expect(replay.prompts.length).toBeGreaterThan(1);
    expect(Math.max(...replay.prompts.map((p) => p.atS))).toBeLessThan(5);
  });

  it('BurstGPT options pass through, and a replay with nothing left is refused', async () => {
    const tok = await getTokenizer('words');
    const path = fileOf('burstgpt');
    const gpt4 = await loadTraceReplay({ path, seed: 2, model: 'GPT-4', maxRequests: 5 }, tok);
    expect(gpt4.summary).toContain('of other models than GPT-4 left out');
    await expect(loadTraceReplay({ path, seed: 2, model: 'GPT-5' }, tok)).rejects.toThrow(`data.path: ${path}: no request to replay (0 read;`);
  });
});
