import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAzureTrace } from '../../../lib/data/traces/azure.ts';
import { readBurstGptTrace } from '../../../lib/data/traces/burstgpt.ts';
import { SAMPLE_TRACES, sampleTraceFiles } from '../../../lib/data/traces/generate.ts';
import { MOONCAKE_BLOCK_SIZE, readMooncakeTrace } from '../../../lib/data/traces/mooncake.ts';
import { tracePrompts } from '../../../lib/data/traces/prompts.ts';
import { generateMooncakeSample } from '../../../lib/data/traces/samples.ts';
import type { Trace } from '../../../lib/data/traces/trace.ts';
import { getTokenizer } from '../../../lib/tokenizer/index.ts';

const EXAMPLES = join(import.meta.dirname, '../../../examples/data');
const READERS: Record<Trace['format'], (path: string) => Promise<Trace>> = {
  mooncake: readMooncakeTrace,
  azure: readAzureTrace,
  burstgpt: (path) => readBurstGptTrace(path, { failures: 'keep' }),
};

async function sample(format: Trace['format']): Promise<Trace> {
  const spec = SAMPLE_TRACES.find((s) => s.format === format)!;
  return READERS[format](join(EXAMPLES, spec.file));
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-trace-samples-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('committed sample traces', () => {
  it.each(SAMPLE_TRACES.map((s) => [s.file, s] as const))('%s is what the generator writes, and parses to its size', async (file, spec) => {
    expect(readFileSync(join(EXAMPLES, file), 'utf8')).toBe(sampleTraceFiles().get(file));
    const trace = await sample(spec.format);
    expect(trace.requests).toHaveLength(spec.options.requests);
    expect(trace.requests[0]!.atS).toBe(0);
    const span = trace.requests.at(-1)!.atS;
    expect(span).toBeGreaterThan(10);
    expect(span).toBeLessThan(600);
  });

  it('the script regenerates the same files byte for byte', () => {
    execFileSync(process.execPath, ['--import', 'tsx', 'lib/data/traces/generate.ts', dir], { cwd: join(import.meta.dirname, '../../..') });
    for (const { file } of SAMPLE_TRACES) {
      expect(readFileSync(join(dir, file), 'utf8')).toBe(readFileSync(join(EXAMPLES, file), 'utf8'));
    }
  });

  it('another seed gives another trace', () => {
    expect(generateMooncakeSample({ requests: 20, seed: 1 })).not.toBe(generateMooncakeSample({ requests: 20, seed: 2 }));
  });

  it('arrivals come in bursts: some 1 s windows hold several times the mean rate', async () => {
    for (const format of ['mooncake', 'azure', 'burstgpt'] as const) {
      const times = (await sample(format)).requests.map((r) => r.atS);
      const mean = times.length / times.at(-1)!;
      const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1).length));
      expect(busiest, format).toBeGreaterThan(3 * mean);
    }
  });

  it('Mooncake: ceil(input_length / 512) hash ids a request, and prefixes reused', async () => {
    const { requests } = await sample('mooncake');
    for (const r of requests) expect(r.hashIds).toHaveLength(Math.ceil(r.inputTokens / MOONCAKE_BLOCK_SIZE));
    const firstSeen = new Set<number>();
    let reused = 0;
    for (const r of requests) {
      if (firstSeen.has(r.hashIds![0]!)) reused++;
      r.hashIds!.forEach((id) => firstSeen.add(id));
    }
    expect(reused / requests.length).toBeGreaterThan(0.9);
    const longest = Math.max(...requests.map((r) => r.hashIds!.length));
    expect(longest).toBeGreaterThan(8);
  });

  it('BurstGPT: some failed rows (Response tokens 0), dropped by default; two models', async () => {
    const spec = SAMPLE_TRACES.find((s) => s.format === 'burstgpt')!;
    const all = await sample('burstgpt');
    const failed = all.requests.filter((r) => r.outputTokens === 0).length;
    expect(failed).toBeGreaterThan(0);
    const dropped = await readBurstGptTrace(join(EXAMPLES, spec.file));
    expect(dropped.requests).toHaveLength(all.requests.length - failed);
    expect(dropped.skipped).toBe(`${failed} failed request(s) (Response tokens 0) dropped`);
    expect(new Set(all.requests.map((r) => r.model))).toEqual(new Set(['ChatGPT', 'GPT-4']));
  });

  it('Mooncake sample prompts: exact lengths, and a shared leading hash id run is the same 512-token blocks', async () => {
    const tok = await getTokenizer('words');
    const trace = await sample('mooncake');
    const requests = trace.requests.slice(0, 24);
    const prompts = await tracePrompts(trace, requests, tok, { seed: 3 });
    const ids = prompts.map((p) => tok.encode(p.text));
    let pairs = 0;
    for (let a = 0; a < requests.length; a++) {
      expect(ids[a]).toHaveLength(requests[a]!.inputTokens);
      for (let b = a + 1; b < requests.length; b++) {
        const ha = requests[a]!.hashIds!;
        const hb = requests[b]!.hashIds!;
        let k = 0;
        while (k < ha.length && k < hb.length && ha[k] === hb[k]) k++;
        const full = Math.min(k * MOONCAKE_BLOCK_SIZE, ids[a]!.length, ids[b]!.length);
        expect(ids[a]!.slice(0, full)).toEqual(ids[b]!.slice(0, full));
        if (k < ha.length && k < hb.length) {
          expect(ids[a]!.slice(full, full + 4)).not.toEqual(ids[b]!.slice(full, full + 4));
          if (k > 0) pairs++;
        }
      }
    }
    expect(pairs).toBeGreaterThan(10);
  });
});
