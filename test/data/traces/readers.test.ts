import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../lib/data/data-error.ts';
import { formatAzureTimestamp, parseAzureTimestamp, readAzureTrace } from '../../../lib/data/traces/azure.ts';
import { readBurstGptTrace } from '../../../lib/data/traces/burstgpt.ts';
import { readMooncakeTrace } from '../../../lib/data/traces/mooncake.ts';
import { replayWindow } from '../../../lib/data/traces/trace.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-traces-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The DataError a read rejects with, for its message. */
async function failure(read: Promise<unknown>): Promise<DataError> {
  const err = await read.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

describe('Mooncake JSONL', () => {
  it('reads milliseconds as seconds from the first request, with lengths and hash ids', async () => {
    const path = file('m.jsonl', [
      '{"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354]}',
      '',
      '{"timestamp": 30535, "input_length": 6472, "output_length": 26, "hash_ids": [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2366]}',
    ].join('\n'));
    const trace = await readMooncakeTrace(path);
    expect(trace.blockSize).toBe(512);
    expect(trace.requests).toEqual([
      { atS: 0, inputTokens: 6955, outputTokens: 52, hashIds: [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354], line: 1 },
      { atS: 3.053, inputTokens: 6472, outputTokens: 26, hashIds: [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2366], line: 3 },
    ]);
  });

  it('keeps fractional milliseconds and a session_id; hash_ids may be absent', async () => {
    const path = file('s.jsonl', [
      '{"timestamp": 1000.5, "input_length": 10, "output_length": 4, "hash_ids": [1], "session_id": "conv-7"}',
      '{"timestamp": 1250.25, "input_length": 12, "output_length": 0}',
    ].join('\n'));
    const { requests } = await readMooncakeTrace(path);
    expect(requests).toEqual([
      { atS: 0, inputTokens: 10, outputTokens: 4, hashIds: [1], session: 'conv-7', line: 1 },
      { atS: 0.24975, inputTokens: 12, outputTokens: 0, line: 2 },
    ]);
  });

  it('orders requests by timestamp, ties in file order', async () => {
    const path = file('order.jsonl', [
      '{"timestamp": 5000, "input_length": 3, "output_length": 1, "hash_ids": [0]}',
      '{"timestamp": 1000, "input_length": 1, "output_length": 1, "hash_ids": [0]}',
      '{"timestamp": 1000, "input_length": 2, "output_length": 1, "hash_ids": [0]}',
    ].join('\n'));
    const { requests } = await readMooncakeTrace(path);
    expect(requests.map((r) => [r.atS, r.inputTokens, r.line])).toEqual([[0, 1, 2], [0, 2, 3], [4, 3, 1]]);
  });

  it.each([
    ['{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [0]}\n{"timestamp": 1, "input_length": "ten", "output_length": 1, "hash_ids": [0]}', ':2: field input_length: '],
    ['{"timestamp": -1, "input_length": 10, "output_length": 1}', ':1: field timestamp: '],
    ['{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [0, 1.5]}', ':1: field hash_ids[1]: '],
    ['{"timestamp": 0, "input_length": 10, "output_length": 2.5}', ':1: field output_length: '],
    ['\n\n{"timestamp": 0, "input_length": 10', ':3: field (json): not a JSON value'],
  ])('refuses a malformed line with one error naming file, line and field (%#)', async (text, where) => {
    const path = file('bad.jsonl', text);
    const err = await failure(readMooncakeTrace(path));
    expect(err.message).toContain(`${path}${where}`);
    expect(err.message.split('\n')).toHaveLength(1);
  });
});

describe('Azure LLM inference CSV', () => {
  it('turns TIMESTAMP datetimes (100 ns ticks) into offsets in seconds', async () => {
    const path = file('a.csv', [
      'TIMESTAMP,ContextTokens,GeneratedTokens',
      '2023-11-16 18:15:46.6805900,374,44',
      '2023-11-16 18:15:50.9951690,396,109',
      '2023-11-16 18:16:00.0000000,879,0',
      '2023-11-17 00:00:00.5,12,3',
    ].join('\r\n'));
    const { requests, format } = await readAzureTrace(path);
    expect(format).toBe('azure');
    expect(requests.map((r) => [r.inputTokens, r.outputTokens, r.line])).toEqual([[374, 44, 2], [396, 109, 3], [879, 0, 4], [12, 3, 5]]);
    const offsets = requests.map((r) => r.atS);
    expect(offsets[0]).toBe(0);
    expect(offsets[1]).toBeCloseTo(4.314579, 9);
    expect(offsets[2]).toBeCloseTo(13.31941, 9);
    // Across midnight: 5 h 44 min 13.8194100 s after the first.
    expect(offsets[3]).toBeCloseTo(5 * 3600 + 44 * 60 + 13.81941, 9);
  });

  it('reads a UTC offset and writes back what it reads', () => {
    expect(parseAzureTimestamp('2024-05-10 02:00:00.25+02:00')).toBe(Date.UTC(2024, 4, 10) / 1000 + 0.25);
    expect(parseAzureTimestamp('2024-05-10T00:00:00Z')).toBe(Date.UTC(2024, 4, 10) / 1000);
    expect(parseAzureTimestamp('2023-02-30 00:00:00')).toBeUndefined();
    expect(parseAzureTimestamp('1700000000')).toBeUndefined();
    expect(formatAzureTimestamp(parseAzureTimestamp('2023-11-16 18:15:46.6805900')!)).toBe('2023-11-16 18:15:46.6805900');
  });

  it.each([
    ['TIMESTAMP,ContextTokens\n2023-11-16 18:15:46,3', ':1: field GeneratedTokens: missing from the header'],
    ['TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,3,1\n16/11/2023 18:15,3,1', ':3: field TIMESTAMP: '],
    ['TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,-3,1', ':2: field ContextTokens: '],
    ['TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,3', ':2: field GeneratedTokens: expected 3 cells, got 2'],
  ])('refuses a malformed row naming file, line and field (%#)', async (text, where) => {
    const path = file('bad.csv', text);
    expect((await failure(readAzureTrace(path))).message).toContain(`${path}${where}`);
  });
});

describe('BurstGPT CSV', () => {
  const header = 'Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type';

  it('reads Timestamp seconds from the trace start as offsets, drops failed rows (Response tokens 0) and says so', async () => {
    const path = file('b.csv', [header, '5,ChatGPT,472,18,490,Conversation log', '45,ChatGPT,1087,0,1087,Conversation log', '118,GPT-4,417,276,693,API log'].join('\n'));
    const trace = await readBurstGptTrace(path);
    expect(trace.requests).toEqual([
      { atS: 0, inputTokens: 472, outputTokens: 18, model: 'ChatGPT', line: 2 },
      { atS: 113, inputTokens: 417, outputTokens: 276, model: 'GPT-4', line: 4 },
    ]);
    expect(trace.skipped).toBe('1 failed request(s) (Response tokens 0) dropped');
    const kept = await readBurstGptTrace(path, { failures: 'keep' });
    expect(kept.requests.map((r) => [r.atS, r.outputTokens])).toEqual([[0, 18], [40, 0], [113, 276]]);
    expect(kept.skipped).toBeUndefined();
    const gpt4 = await readBurstGptTrace(path, { model: 'GPT-4' });
    expect(gpt4.requests.map((r) => [r.atS, r.line])).toEqual([[0, 4]]);
  });

  it('takes a Session ID column as the session when the file has one', async () => {
    const path = file('s.csv', ['Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total tokens,Log Type', '0,s1,2,ChatGPT,10,5,15,Conversation log', '3,s1,1,ChatGPT,30,5,35,Conversation log'].join('\n'));
    expect((await readBurstGptTrace(path)).requests.map((r) => r.session)).toEqual(['s1', 's1']);
  });

  it.each([
    [`${header}\n5,ChatGPT,472,18,491,Conversation log`, ':2: field Total tokens: expected Request tokens + Response tokens = 490'],
    [`${header}\n5,ChatGPT,472,18,490,Conversation log\nsoon,ChatGPT,1,1,2,API log`, ':3: field Timestamp: '],
    [`${header}\n5,ChatGPT,many,18,490,Conversation log`, ':2: field Request tokens: '],
    ['Timestamp,Model,Request tokens,Response tokens,Total tokens\n', ':1: field Log Type: missing from the header'],
  ])('refuses a malformed row naming file, line and field (%#)', async (text, where) => {
    const path = file('bad-b.csv', text);
    expect((await failure(readBurstGptTrace(path))).message).toContain(`${path}${where}`);
  });
});

describe('unreadable files', () => {
  it('a missing file and an empty CSV are refused, naming the file', async () => {
    const missing = join(dir, 'nope.jsonl');
    expect((await failure(readMooncakeTrace(missing))).message).toBe(`data.path: ${missing}: file not found`);
    const empty = file('empty.csv', '');
    expect((await failure(readAzureTrace(empty))).message).toBe(`data.path: ${empty}:1: field TIMESTAMP: the file is empty (no header)`);
  });
});

describe('replay window', () => {
  const requests = [0, 1, 2, 4, 8].map((atS, i) => ({ atS, inputTokens: 1, outputTokens: 1, line: i + 1 }));

  it('a speed-up divides every offset', () => {
    expect(replayWindow(requests, { speedup: 4 }).map((r) => r.atS)).toEqual([0, 0.25, 0.5, 1, 2]);
    expect(replayWindow(requests).map((r) => r.atS)).toEqual([0, 1, 2, 4, 8]);
  });

  it('caps by count and by duration on the sped-up timeline', () => {
    expect(replayWindow(requests, { maxRequests: 3 }).map((r) => r.line)).toEqual([1, 2, 3]);
    expect(replayWindow(requests, { maxDurationS: 4 }).map((r) => r.line)).toEqual([1, 2, 3]);
    expect(replayWindow(requests, { speedup: 2, maxDurationS: 4 }).map((r) => r.atS)).toEqual([0, 0.5, 1, 2]);
    expect(replayWindow(requests, { speedup: 2, maxDurationS: 4, maxRequests: 2 }).map((r) => r.atS)).toEqual([0, 0.5]);
  });

  it('refuses a speed-up or cap that is not positive', () => {
    expect(() => replayWindow(requests, { speedup: 0 })).toThrow('data.speedup: expected a positive number, got 0');
    expect(() => replayWindow(requests, { maxRequests: 0 })).toThrow('data.max_requests');
    expect(() => replayWindow(requests, { maxDurationS: -1 })).toThrow('data.max_duration_s');
  });
});
