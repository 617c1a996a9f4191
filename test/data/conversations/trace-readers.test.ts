import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { idleGapWarp, packStreams, readWekaTraceFile } from '../../../lib/data/conversations/weka-trace.ts';
import type { WekaRequest } from '../../../lib/data/conversations/weka-trace.ts';
import { parseIsoSeconds, readOTelTraceFile } from '../../../lib/data/conversations/otel-trace.ts';
import { getTokenizer } from '../../../lib/tokenizer/index.ts';
import type { TokenizerName } from '../../../lib/tokenizer/index.ts';
import { SAMPLE_DIR, samples } from './make-samples.ts';

const WEKA = `${SAMPLE_DIR}weka-trace-sample.json`;
const OTEL = `${SAMPLE_DIR}otel-trace-sample.json`;
const WEKA_OPTIONS = { seed: 1, trace_idle_gap_cap_seconds: 60, default_block_size: 64 };
const OTEL_OPTIONS = { include_errors: false, default_max_tokens: 1000 };
const UPSTREAM = new URL('./upstream/', import.meta.url).pathname;

it('the committed samples are what the generator writes', () => {
  for (const [name, text] of Object.entries(samples())) expect(readFileSync(`${SAMPLE_DIR}${name}`, 'utf8')).toBe(text);
});

describe.each<TokenizerName>(['qwen3', 'words'])('Weka trace reader, %s tokenizer', (name) => {
  it('times: trace offsets from the first request, the 190 s idle gap capped at 60 s, subagent times made absolute', async () => {
    const tok = await getTokenizer(name);
    const got = await readWekaTraceFile(WEKA, tok, WEKA_OPTIONS);
    expect(got.map((p) => [Number(p.atS.toFixed(6)), p.session])).toEqual([
      [0, 'weka-sample-1'],
      [2.5, 'weka-sample-1'],
      [4.7, 'weka-sample-1::sa:explore:s0'],
      [5.5, 'weka-sample-1::sa:explore:s1'],
      [7, 'weka-sample-1::sa:explore:s0'],
      [9.5, 'weka-sample-1'],
      [69.5, 'weka-sample-1'],
    ]);
    const uncapped = await readWekaTraceFile(WEKA, tok, { ...WEKA_OPTIONS, trace_idle_gap_cap_seconds: 0 });
    expect(uncapped.at(-1)!.atS).toBeCloseTo(199.5, 9);
  });

  it('prompts are exactly `in` tokens, max_tokens `out`; equal hash ids give equal blocks, a changed id ends the shared prefix', async () => {
    const tok = await getTokenizer(name);
    const got = await readWekaTraceFile(WEKA, tok, WEKA_OPTIONS);
    expect(got.map((p) => [p.tokens, p.maxTokens])).toEqual([[40, 12], [72, 20], [33, 8], [20, 6], [50, 8], [100, 16], [90, 16]]);
    for (const p of got) expect(tok.count(p.text)).toBe(p.tokens);
    const ids = got.map((p) => tok.encode(p.text));
    const same = (a: number, b: number, from: number, to: number) => expect(ids[a]!.slice(from, to)).toEqual(ids[b]!.slice(from, to));
    same(0, 1, 0, 32); // blocks 1, 2
    same(1, 5, 0, 64); // blocks 1..4
    same(5, 6, 0, 48); // blocks 1..3, then 4 vs 7
    expect(ids[6]!.slice(48, 64)).not.toEqual(ids[5]!.slice(48, 64));
    expect(ids[0]!.slice(32, 40)).not.toEqual(ids[1]!.slice(32, 40)); // tails are fresh text
    same(2, 3, 0, 16); // subagent block 90
    same(2, 4, 0, 32); // blocks 90, 91
    expect(ids[2]!.slice(0, 16)).not.toEqual(ids[0]!.slice(0, 16));
    const again = await readWekaTraceFile(WEKA, tok, WEKA_OPTIONS);
    expect(again).toEqual(got);
    const other = await readWekaTraceFile(WEKA, tok, { ...WEKA_OPTIONS, seed: 2 });
    expect(other[0]!.text).not.toBe(got[0]!.text);
  });
});

describe('Weka timing helpers', () => {
  it("idleGapWarp: a long gap shrinks to the cap, times inside it move up to the cap's end, later times shift by the excess", () => {
    const warp = idleGapWarp([0, 1, 101, 102], 10);
    expect([0, 1, 5, 11, 50, 101, 102].map(warp)).toEqual([0, 1, 5, 11, 11, 11, 12]);
  });

  it('packStreams: overlapping requests (by api_time) go to separate streams, a free stream is reused', () => {
    const r = (t: number, api_time: number): WekaRequest => ({ t, type: 'n', model: 'm', in: 1, out: 1, api_time });
    expect(packStreams([r(0, 5), r(1, 1), r(3, 1), r(6, 1)]).map((s) => s.map((q) => q.t))).toEqual([[0, 6], [1, 3]]);
  });
});

describe('OTel trace reader', () => {
  it('sample: LLM calls only, duplicates once, errors left out, times from the first call to the microsecond', async () => {
    const tok = await getTokenizer('qwen3');
    const got = await readOTelTraceFile(OTEL, tok, OTEL_OPTIONS);
    expect(got.map((p) => p.atS.toFixed(6))).toEqual(['0.000000', '2.125250', '4.500125']);
    expect(new Set(got.map((p) => p.session))).toEqual(new Set(['otel-sample-1']));
    const withErrors = await readOTelTraceFile(OTEL, tok, { ...OTEL_OPTIONS, include_errors: true });
    expect(withErrors.map((p) => p.atS.toFixed(1))).toEqual(['0.0', '2.1', '3.6', '4.5']);
  });

  it('sample: each call carries the conversation so far (a prefix of the next), tokens counted, max_tokens as recorded', async () => {
    const tok = await getTokenizer('qwen3');
    const got = await readOTelTraceFile(OTEL, tok, OTEL_OPTIONS);
    expect(got[1]!.text.startsWith(got[0]!.text)).toBe(true);
    expect(got[2]!.text.startsWith(got[1]!.text)).toBe(true);
    expect(got[0]!.text).toBe('You are a careful travel planning agent. Answer briefly.\n\nPlan a day in Lisbon.');
    for (const p of got) expect(p.tokens).toBe(tok.count(p.text));
    // Recorded usage, else the recorded output's tokens.
    expect(got.map((p) => p.maxTokens)).toEqual([14, tok.count('Add the Gulbenkian Museum after lunch.'), 9]);
  });

  it("inference-perf's own simple_chain traces: three chat calls of one session at 0, 3 and 6 s", async () => {
    const tok = await getTokenizer('words');
    for (const file of ['simple_chain.json', 'simple_chain_alt.json']) {
      const got = await readOTelTraceFile(`${UPSTREAM}${file}`, tok, OTEL_OPTIONS);
      expect(got.map((p) => p.atS)).toEqual([0, 3, 6]);
      expect(got[2]!.text.startsWith(got[1]!.text)).toBe(true);
      expect(got[0]!.text).toBe('What is the capital of France?');
    }
  });

  it('parseIsoSeconds keeps microseconds and reads a time without zone as UTC', () => {
    expect(parseIsoSeconds('2026-03-01T12:00:04.500125') - parseIsoSeconds('2026-03-01T12:00:00Z')).toBeCloseTo(4.500125, 6);
    expect(parseIsoSeconds('2026-03-01T13:00:00+01:00')).toBe(parseIsoSeconds('2026-03-01T12:00:00'));
    expect(() => parseIsoSeconds('yesterday')).toThrow(/ISO-8601/);
  });
});
