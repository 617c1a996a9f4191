import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../lib/config/resolve-scenarios.ts';
import { DataSchema, SharegptDataSchema } from '../../lib/config/schema/data.ts';
import { DataError } from '../../lib/data/data-error.ts';
import { readDatasetFile } from '../../lib/data/dataset-file.ts';
import type { DatasetRecord } from '../../lib/data/dataset-file.ts';
import { createDataSource } from '../../lib/data/registry.ts';
import { createSharegptSource, promptBuckets, SharegptSource } from '../../lib/data/sharegpt.ts';
import type { SharegptDataConfig } from '../../lib/data/sharegpt.ts';
import { firstExchange, readSharegptFile } from '../../lib/data/sharegpt-file.ts';
import type { Prompt } from '../../lib/data/source.ts';
import { getTokenizer } from '../../lib/tokenizer/index.ts';
import type { TokenizerName } from '../../lib/tokenizer/index.ts';
import { tempDir } from '../config/temp-dir.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `n` distinct words: exactly `n` tokens for the words tokenizer. */
const words = (n: number, tag = 'w'): string => Array.from({ length: n }, (_, k) => `${tag}${k}`).join(' ');

/** A ShareGPT entry with one exchange. */
const conv = (prompt: string, reply: string, id?: string): object => ({
  ...(id ? { id } : {}),
  conversations: [
    { from: 'human', value: prompt },
    { from: 'gpt', value: reply },
  ],
});

const jsonl = (entries: unknown[]): string => entries.map((e) => JSON.stringify(e)).join('\n') + '\n';

/** Ten usable entries for the words tokenizer: prompt k has 5 + k tokens, its reply 10 + k. */
const TEN = Array.from({ length: 10 }, (_, k) => conv(`${words(5 + k, `p${k}x`)}`, words(10 + k, `r${k}x`), `e${k}`));

async function source(
  name: TokenizerName,
  file: string,
  over: Partial<SharegptDataConfig> = {},
): Promise<SharegptSource> {
  const tok = await getTokenizer(name);
  const config: SharegptDataConfig = { type: 'sharegpt', path: file, seed: 7, ...over };
  const dataset = await readSharegptFile(file, { maxEntries: config.max_entries });
  return new SharegptSource(config, dataset, tok, { name, kind: tok.kind, exact: false });
}

async function prompts(src: SharegptSource, count: number): Promise<Prompt[]> {
  await src.prepare(count);
  return Array.from({ length: count }, (_, i) => src.get(i));
}

/** The DataError a promise rejects with. */
async function dataErrorOf(p: Promise<unknown>): Promise<DataError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

describe('firstExchange', () => {
  it('takes the first human turn directly followed by an assistant turn, in either shape', () => {
    expect(firstExchange(conv('hello there', 'hi'))).toEqual({ prompt: 'hello there', reply: 'hi' });
    expect(
      firstExchange({
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'q1' },
          { role: 'assistant', content: 'a1' },
          { role: 'user', content: 'q2' },
          { role: 'assistant', content: 'a2' },
        ],
      }),
    ).toEqual({ prompt: 'q1', reply: 'a1' });
    // A conversation the assistant opened, two human turns in a row, roles in capitals.
    const turns = [
      { from: 'gpt', value: 'How can I help?' },
      { from: 'human', value: 'first' },
      { from: 'Human', value: 'second' },
      { from: 'GPT', value: 'answer' },
    ];
    expect(firstExchange({ conversations: turns })).toEqual({ prompt: 'second', reply: 'answer' });
    // Text is kept verbatim, white space and all.
    expect(firstExchange(conv('  spaced\n\tout  ', ' x '))).toEqual({ prompt: '  spaced\n\tout  ', reply: ' x ' });
  });

  it('says why an entry has no exchange', () => {
    expect(firstExchange(42)).toBe('not_a_conversation');
    expect(firstExchange(null)).toBe('not_a_conversation');
    expect(firstExchange([conv('a', 'b')])).toBe('not_a_conversation');
    expect(firstExchange({ id: 'x', text: 'no turns' })).toBe('not_a_conversation');
    expect(firstExchange({ conversations: [{ from: 'human', value: 'alone' }] })).toBe('too_few_turns');
    expect(firstExchange({ conversations: [] })).toBe('too_few_turns');
    expect(firstExchange({ conversations: [{ from: 'gpt', value: 'a' }, { from: 'human', value: 'b' }] })).toBe('no_human_assistant_pair');
    expect(firstExchange({ conversations: [{ from: 'human', value: 'a' }, { from: 'gpt', value: 12 }] })).toBe('no_human_assistant_pair');
    expect(firstExchange({ messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }] }, { role: 'assistant', content: 'b' }] })).toBe(
      'no_human_assistant_pair',
    );
  });
});

describe('reading dataset files', () => {
  const read = async (path: string, maxEntries?: number): Promise<{ records: DatasetRecord[]; summary: Awaited<ReturnType<typeof readDatasetFile>> }> => {
    const records: DatasetRecord[] = [];
    const summary = await readDatasetFile(path, 'f', { maxEntries, onRecord: (r) => records.push(r) });
    return { records, summary };
  };

  it('JSONL: one entry per non-blank line, with its line; CRLF and a byte-order mark are fine', async () => {
    const dir = tempDir();
    const file = dir.write('a.jsonl', '\uFEFF{"a":1}\r\n\r\n  \n{"a":2}\r\n{"a":3}');
    const { records, summary } = await read(file);
    expect(records).toEqual([
      { value: { a: 1 }, line: 1, entry: 1 },
      { value: { a: 2 }, line: 4, entry: 2 },
      { value: { a: 3 }, line: 5, entry: 3 },
    ]);
    expect(summary).toEqual({ format: 'jsonl', entries: 3, lines: 5 });
    // A byte-order mark before an array does not hide the "[".
    const array = await read(dir.write('bom.json', '\uFEFF\n [{"a":1}]'));
    expect(array.summary).toEqual({ format: 'json-array', entries: 1, lines: 2 });
  });

  it('a JSON array, pretty-printed: each element with the line it starts on', async () => {
    const dir = tempDir();
    const entries = [conv('a ] } [ {', 'b "quoted" \\ back'), { n: [1, [2, { x: ']' }]] }, 'text, with comma', 12.5, true, null];
    const text = `  \n${JSON.stringify(entries, null, 2)}\n`;
    const { records, summary } = await read(dir.write('a.json', text));
    expect(records.map((r) => r.value)).toEqual(entries);
    // Top-level elements open on the lines indented by exactly two spaces (the others there close one).
    const starts = text.split('\n').flatMap((l, k) => (/^  [^\s}\]]/.test(l) ? [k + 1] : []));
    expect(starts).toHaveLength(6);
    expect(records.map((r) => r.line)).toEqual(starts);
    expect(summary).toEqual({ format: 'json-array', entries: 6, lines: text.split('\n').length });
  });

  it('a large minified array streams across chunk boundaries (escapes, brackets in strings, multi-byte text)', async () => {
    const dir = tempDir();
    const entries = Array.from({ length: 4000 }, (_, k) =>
      conv(`prompt ${k} "q" \\ ] } ${'é漢😀'.repeat(k % 7)} ${'x'.repeat(k % 997)}`, `reply ${k} [{"nested": "]"}]`, `id${k}`),
    );
    const text = JSON.stringify(entries);
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 * 1024 * 1024); // several 1 MiB chunks
    const { records, summary } = await read(dir.write('big.json', text));
    expect(records.length).toBe(4000);
    expect(records.map((r) => r.value)).toEqual(entries);
    expect(summary).toEqual({ format: 'json-array', entries: 4000, lines: 1 });
  });

  it('max_entries stops reading: a malformed entry after the cap is never parsed', async () => {
    const dir = tempDir();
    const lines = dir.write('cap.jsonl', '{"a":1}\n{"a":2}\n{broken\n');
    expect((await read(lines, 2)).records.map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }]);
    const array = dir.write('cap.json', '[{"a":1},\n{"a":2},\n{broken');
    expect((await read(array, 2)).records.map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }]);
  });
});

describe('bad dataset files: one DataError naming the file', () => {
  const load = (path: string): Promise<unknown> => readSharegptFile(path);

  it('missing, a directory, empty, blank', async () => {
    const dir = tempDir();
    let err = await dataErrorOf(load(join(dir.path, 'nope.jsonl')));
    expect(err.code).toBe('DATA_INVALID');
    expect(err.path).toBe('data.path');
    expect(err.message).toBe(`data.path: ${join(dir.path, 'nope.jsonl')}: file not found`);
    // A relative path says where it looked.
    err = await dataErrorOf(readSharegptFile('nope.jsonl', { baseDir: dir.path }));
    expect(err.message).toBe(`data.path: nope.jsonl: file not found (looked for ${join(dir.path, 'nope.jsonl')})`);
    mkdirSync(join(dir.path, 'sub'));
    err = await dataErrorOf(load(join(dir.path, 'sub')));
    expect(err.message).toMatch(/sub: is a directory, not a file$/);
    err = await dataErrorOf(load(dir.write('empty.jsonl', '')));
    expect(err.message).toMatch(/empty\.jsonl: file is empty \(expected JSONL, one JSON object per line, or a JSON array\)$/);
    err = await dataErrorOf(load(dir.write('blank.jsonl', ' \n\n\t\r\n')));
    expect(err.message).toMatch(/blank\.jsonl: file is empty/);
  });

  it('a malformed JSONL line: its 1-based line number and the parser reason', async () => {
    const dir = tempDir();
    const file = dir.write('bad.jsonl', `${JSON.stringify(TEN[0])}\n\n{"conversations": [}\n${JSON.stringify(TEN[1])}\n`);
    const err = await dataErrorOf(load(file));
    expect(err.message).toMatch(new RegExp(`^data\\.path: ${file.replace(/[.]/g, '\\.')}:3: line 3 is not valid JSON: \\S.*`));
    expect(err.message).toContain('JSON');
  });

  it('a malformed array entry: the line of the error, and which entry', async () => {
    const dir = tempDir();
    // The engine gives a position here (a missing comma), so the line is the error's, not the entry's.
    let file = dir.write('bad.json', '[\n  {"a": 1},\n  {\n    "b": 2\n    "c": 3\n  }\n]\n');
    let err = await dataErrorOf(load(file));
    expect(err.message).toMatch(/bad\.json:5: entry 2 of the array \(line 3\) is not valid JSON: Expected ',' or '\}' after property value/);
    // Without a position, the entry's first line; the reason stays on one line.
    file = dir.write('bad2.json', '[\n  {"a": 1},\n  {\n    "c": oops\n  }\n]\n');
    err = await dataErrorOf(load(file));
    expect(err.message).toMatch(/bad2\.json:3: entry 2 of the array \(line 3\) is not valid JSON: \S/);
    expect(err.message).not.toContain('\n');
  });

  it.each([
    ['a missing comma', '[\n{"a":1}\n{"a":2}]', /x\.json:3: expected "," or "\]" after an entry of the array, found "\{"/],
    ['a trailing comma', '[{"a":1},\n]', /x\.json:2: expected an entry of the array, found "\]"/],
    ['text after the array', '[{"a":1}]\n\nmore', /x\.json:3: unexpected "m" after the closing "\]" of the array/],
    ['an unclosed array', '[{"a":1},\n{"a":2}\n', /x\.json:3: the file ends before the closing "\]" of the array/],
    ['an unclosed entry', '[{"a":1},\n{"a":\n', /x\.json:3: the file ends inside the entry that starts at line 2/],
    ['an empty array', ' [ ] ', /x\.json: the JSON array is empty$/],
  ])('a JSON array with %s', async (_what, text, message) => {
    const dir = tempDir();
    const err = await dataErrorOf(load(dir.write('x.json', text)));
    expect(err.message).toMatch(message);
  });

  it('no usable entry: an error with the entries and lines read and the skip reasons', async () => {
    const dir = tempDir();
    const file = dir.write(
      'none.jsonl',
      jsonl([{ conversations: [{ from: 'human', value: 'alone' }] }, 'a string', { conversations: [{ from: 'gpt', value: 'a' }, { from: 'gpt', value: 'b' }] }, { x: 1 }]) +
        '\n',
    );
    const err = await dataErrorOf(load(file));
    expect(err.message).toBe(
      `data.path: ${file}: no usable conversation among 4 entries (5 lines read); skipped: not_a_conversation 2, too_few_turns 1, no_human_assistant_pair 1`,
    );
  });

  it('no entry survives the length filters: prepare fails the same way, with the token reasons', async () => {
    const dir = tempDir();
    const file = dir.write('short.jsonl', jsonl([conv('two words', words(10)), conv(words(10), 'tiny'), conv(words(30), words(10))]));
    const src = await source('words', file, { max_prompt_tokens: 20 });
    const err = await dataErrorOf(src.prepare(1));
    expect(err.message).toBe(
      `data.path: ${file}: no usable conversation among 3 entries (3 lines read); skipped: prompt_too_short 1, output_too_short 1, prompt_too_long 1`,
    );
    // A later call says the same; nothing was half-prepared.
    await expect(src.prepare(1)).rejects.toThrow('no usable conversation among 3 entries');
    expect(() => src.get(0)).toThrow(DataError);
  });
});

describe.each<TokenizerName>(['qwen3', 'words'])('sharegpt source, %s tokenizer', (name) => {
  it('sends the human turn verbatim; tokens is the tokenizer count of that text; max_tokens the reply count', async () => {
    const tok = await getTokenizer(name);
    const dir = tempDir();
    const raw = [
      conv('Explain, in two sentences, how a bicycle gear works.', 'Gears trade force for speed: a small front ring with a large rear cog makes each pedal turn easier but slower.'),
      conv('  Leading and trailing spaces stay.\n\nSo do blank lines.  ', 'They are part of what the user typed, so they are part of the prompt as sent.'),
      conv('Übersetze bitte: "Wo ist der Bahnhof?" 🚉 — und erkläre die Grammatik.', '„Where is the train station?" Wo is the question word, ist the verb in second position.'),
    ];
    const file = dir.write('v.jsonl', jsonl(raw));
    const src = await source(name, file);
    const all = await prompts(src, 3);
    const byText = new Map(raw.map((e) => [(e as { conversations: Array<{ value: string }> }).conversations[0]!.value, e]));
    for (const p of all) {
      const entry = byText.get(p.text) as { conversations: Array<{ value: string }> } | undefined;
      expect(entry, p.text).toBeDefined();
      expect(p.tokens).toBe(tok.count(p.text));
      expect(p.tokens).toBe(tok.encode(p.text).length);
      expect(p.maxTokens).toBe(tok.count(entry!.conversations[1]!.value));
    }
    expect(new Set(all.map((p) => p.text)).size).toBe(3);
  });

  it('the same prompts, in the same order, from a JSONL file and a JSON array of the same entries', async () => {
    const dir = tempDir();
    const a = await prompts(await source(name, dir.write('t.jsonl', jsonl(TEN))), 10);
    const b = await prompts(await source(name, dir.write('t.json', JSON.stringify(TEN, null, 1))), 10);
    expect(b).toEqual(a);
  });
});

describe('sharegpt source: order, filters, cycling, prepare', () => {
  it('shuffles by seed: the same seed gives the same order (fixed across processes), another seed another order', async () => {
    const dir = tempDir();
    const file = dir.write('t.jsonl', jsonl(TEN));
    const order = async (seed: number): Promise<number[]> =>
      (await prompts(await source('words', file, { seed }), 10)).map((p) => Number(/^p(\d+)x/.exec(p.text)![1]));
    const a = await order(7);
    expect(await order(7)).toEqual(a);
    // Pinned: splitmix32 Fisher-Yates is pure arithmetic, so this is the order on every machine.
    expect(a).toEqual([9, 3, 5, 8, 0, 1, 7, 2, 4, 6]);
    expect([...a].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const others = await Promise.all([1, 2, 3].map(order));
    for (const o of others) expect(o).not.toEqual(a);
  });

  it("filters like vLLM's benchmark_serving and counts each skip by reason", async () => {
    const dir = tempDir();
    const entries = [
      conv(words(8), words(8), 'ok-a'),
      conv(words(3), words(8), 'prompt-3'), // prompt_too_short
      conv(words(4), words(4), 'ok-min'), // 4 and 4: kept
      conv(words(8), words(3), 'reply-3'), // output_too_short
      conv(words(21), words(8), 'prompt-21'), // prompt_too_long (max 20)
      conv(words(20), words(8), 'ok-max'), // prompt 20 = max: kept
      conv(words(20), words(11), 'total-31'), // total_too_long (max 30)
      conv(words(10), words(20), 'ok-total'), // total 30 = max: kept
      { conversations: [{ from: 'human', value: 'alone' }] }, // too_few_turns
      { id: 'no-turns' }, // not_a_conversation
      { conversations: [{ from: 'human', value: 'a' }, { from: 'human', value: 'b' }] }, // no_human_assistant_pair
    ];
    const src = await source('words', dir.write('f.jsonl', jsonl(entries)), { max_prompt_tokens: 20, max_total_tokens: 30 });
    const all = await prompts(src, 4);
    expect(all.map((p) => [p.tokens, p.maxTokens]).sort((x, y) => x[0]! - y[0]!)).toEqual([[4, 4], [8, 8], [10, 20], [20, 8]]);
    expect(src.skipped).toEqual({
      not_a_conversation: 1,
      too_few_turns: 1,
      no_human_assistant_pair: 1,
      prompt_too_short: 1,
      output_too_short: 1,
      prompt_too_long: 1,
      output_too_long: 0,
      total_too_long: 1,
    });
    expect(src.stats()).toMatchObject({ entries: 11, candidates: 8, examined: 8, usable: 4, requests: 4, repeats: 0, cycled: false });
    expect(src.summary()).toBe(
      `sharegpt ${src.file}: 11 entries read, 4 prompts usable; skipped 7 (not_a_conversation 1, too_few_turns 1, no_human_assistant_pair 1, ` +
        'prompt_too_short 1, output_too_short 1, prompt_too_long 1, total_too_long 1)',
    );
  });

  it('output_len: every max_tokens is output_len, short replies are kept, and the total filter uses output_len', async () => {
    const dir = tempDir();
    const entries = [conv(words(8), 'ok'), conv(words(10), words(500)), conv(words(25), words(5)), conv(words(26), words(5))];
    const src = await source('words', dir.write('o.jsonl', jsonl(entries)), { output_len: 5, max_total_tokens: 30 });
    const all = await prompts(src, 3);
    expect(all.map((p) => p.maxTokens)).toEqual([5, 5, 5]);
    expect(all.map((p) => p.tokens).sort((a, b) => a - b)).toEqual([8, 10, 25]);
    expect(src.skipped.total_too_long).toBe(1);
    expect(src.skipped.output_too_short).toBe(0);
  });

  it('cycles when a run needs more prompts than the dataset has, and says so', async () => {
    const dir = tempDir();
    const src = await source('words', dir.write('c.jsonl', jsonl([...TEN.slice(0, 4), conv('x', words(9))])));
    const first = await prompts(src, 4);
    expect(src.cycled).toBe(false);
    expect(src.repeats).toBe(0);
    const all = await prompts(src, 11);
    expect(all.slice(0, 4)).toEqual(first);
    all.forEach((p, i) => expect(p).toBe(all[i % 4]));
    expect(src.cycled).toBe(true);
    expect(src.repeats).toBe(7);
    expect(src.stats()).toMatchObject({ usable: 4, requests: 11, repeats: 7, cycled: true, examined: 5 });
    expect(src.summary()).toMatch(/; cycled: 11 requests over 4 prompts, 7 repeats \(a server's prefix cache can serve repeats\)$/);
  });

  it('prepare is incremental and lazy: it tokenizes only as far as needed; concurrent calls queue; get checks the index', async () => {
    const dir = tempDir();
    const src = await source('words', dir.write('t.jsonl', jsonl(TEN)));
    expect(() => src.get(0)).toThrow(/prompt 0 is not prepared/);
    await src.prepare(3);
    expect(src.stats()).toMatchObject({ candidates: 10, examined: 3, usable: 3 });
    const first = [0, 1, 2].map((i) => src.get(i));
    expect(() => src.get(3)).toThrow(expect.objectContaining({ code: 'DATA_NOT_PREPARED' }));
    await Promise.all([src.prepare(6), src.prepare(5), src.prepare(8)]);
    expect(src.stats()).toMatchObject({ examined: 8, usable: 8, requests: 8 });
    expect([0, 1, 2].map((i) => src.get(i))).toEqual(first);
    expect(first.every((p, i) => p === src.get(i))).toBe(true);
    // Preparing fewer never shrinks what is prepared.
    await src.prepare(2);
    expect(src.get(7).text).toMatch(/^p\d+x0 /);
    // The whole run's prompts equal a fresh source's, prepared in one go.
    const fresh = await prompts(await source('words', src.file), 8);
    expect(Array.from({ length: 8 }, (_, i) => src.get(i))).toEqual(fresh);
    await expect(src.prepare(-1)).rejects.toThrow(/prepare\(-1\): expected a non-negative integer count/);
    expect(() => src.get(1.5)).toThrow(/request index 1.5 is not a non-negative integer/);
  });

  it('max_entries reads only the first entries of the file', async () => {
    const dir = tempDir();
    const src = await source('words', dir.write('t.jsonl', jsonl(TEN)), { max_entries: 4 });
    const all = await prompts(src, 4);
    expect(src.stats().entries).toBe(4);
    expect(all.map((p) => Number(/^p(\d+)x/.exec(p.text)![1])).sort()).toEqual([0, 1, 2, 3]);
  });

  it('cells are prompt-length buckets fixed by max_prompt_tokens; each prompt is in its own', async () => {
    expect(promptBuckets(1024).map((b) => b.label)).toEqual(['input=4-63', 'input=64-255', 'input=256-1024']);
    expect(promptBuckets(2048).map((b) => b.label)).toEqual(['input=4-63', 'input=64-255', 'input=256-1023', 'input=1024-2048']);
    expect(promptBuckets(128).map((b) => b.label)).toEqual(['input=4-63', 'input=64-128']);
    expect(promptBuckets(100).map((b) => b.label)).toEqual(['input=4-100']);
    expect(promptBuckets(4).map((b) => b.label)).toEqual(['input=4']);
    const dir = tempDir();
    const entries = [10, 63, 64, 200, 255, 256, 900].map((n, k) => conv(words(n, `k${k}x`), words(8)));
    const src = await source('words', dir.write('b.jsonl', jsonl(entries)), { max_total_tokens: 4096 });
    expect(src.cells).toEqual(['input=4-63', 'input=64-255', 'input=256-1024']);
    const cellOf = new Map((await prompts(src, 7)).map((p) => [p.tokens, p.cell]));
    expect(Object.fromEntries(cellOf)).toEqual({
      10: 'input=4-63',
      63: 'input=4-63',
      64: 'input=64-255',
      200: 'input=64-255',
      255: 'input=64-255',
      256: 'input=256-1024',
      900: 'input=256-1024',
    });
  });

  it('rejects a bad config from a direct caller, naming the field', async () => {
    const ctx = { model: 'm', tokenizer: 'words' as const };
    const base: SharegptDataConfig = { type: 'sharegpt', path: 'x.jsonl', seed: 1 };
    await expect(createSharegptSource({ ...base, path: '' }, ctx)).rejects.toThrow('data.path: expected the path of a dataset file, got ""');
    await expect(createSharegptSource({ ...base, seed: 0.5 }, ctx)).rejects.toThrow('data.seed: expected an integer, got 0.5');
    await expect(createSharegptSource({ ...base, max_prompt_tokens: 3 }, ctx)).rejects.toThrow('data.max_prompt_tokens: expected an integer >= 4, got 3');
    await expect(createSharegptSource({ ...base, output_len: 0 }, ctx)).rejects.toThrow('data.output_len: expected an integer >= 1, got 0');
  });
});

describe('sharegpt through the registry and the config', () => {
  it('createDataSource reads a relative path against the working directory; auto picks Qwen3 for a Qwen3 model', async () => {
    const dir = tempDir();
    const file = dir.write('r.jsonl', jsonl(TEN));
    const src = await createDataSource({ type: 'sharegpt', path: relative(process.cwd(), file), seed: 3 }, { model: 'Qwen/Qwen3-0.6B' });
    expect(src.type).toBe('sharegpt');
    expect(src.tokenizer).toEqual({ name: 'qwen3', kind: 'model', exact: true });
    await src.prepare(10);
    const qwen3 = await getTokenizer('qwen3');
    for (let i = 0; i < 10; i++) expect(src.get(i).tokens).toBe(qwen3.count(src.get(i).text));
    const words = await createDataSource({ type: 'sharegpt', path: file, seed: 3, tokenizer: 'words' }, { model: 'Qwen/Qwen3-0.6B' });
    expect(words.tokenizer).toEqual({ name: 'words', kind: 'stand-in', exact: false });
  });

  it('the schema: strict keys, limits; part of DataSchema', () => {
    // vLLM's limits (1024, 2048) apply in the source when unset; the schema leaves them unset.
    expect(SharegptDataSchema.parse({ type: 'sharegpt', path: 'd.jsonl' })).toEqual({ type: 'sharegpt', path: 'd.jsonl' });
    const full = { type: 'sharegpt', path: 'd.json', output_len: 128, max_prompt_tokens: 4, max_total_tokens: 64, max_entries: 10, seed: 0, tokenizer: 'qwen3' };
    expect(DataSchema.parse(full)).toEqual(full);
    expect(SharegptDataSchema.safeParse({ type: 'sharegpt', path: 'd', pth: 'x' }).success).toBe(false);
    expect(SharegptDataSchema.safeParse({ type: 'sharegpt' }).success).toBe(false);
    expect(SharegptDataSchema.safeParse({ type: 'sharegpt', path: '' }).success).toBe(false);
    expect(SharegptDataSchema.safeParse({ type: 'sharegpt', path: 'd', max_prompt_tokens: 3 }).success).toBe(false);
    expect(SharegptDataSchema.safeParse({ type: 'sharegpt', path: 'd', output_len: 0 }).success).toBe(false);
    expect(SharegptDataSchema.safeParse({ type: 'sharegpt', path: 'd', max_entries: 1.5 }).success).toBe(false);
  });

  it("the example scenario's sample file: 34 entries, 31 usable, and the scenario cycles as its comment says", async () => {
    const loaded = loadScenarioFile('examples/scenarios.yaml', { cwd: ROOT, env: {} });
    const scenario = loaded.config.scenarios.sharegpt_conversations!;
    expect(scenario.data.type).toBe('sharegpt');
    const data = scenario.data as Extract<typeof scenario.data, { type: 'sharegpt' }>;
    const src = await createSharegptSource({ ...data, seed: data.seed ?? 0, path: join(ROOT, data.path) }, { model: 'Qwen/Qwen3-0.6B' });
    await src.prepare(scenario.warmup_requests + (scenario.num_requests ?? 0));
    expect(src.stats()).toMatchObject({ entries: 34, usable: 31, requests: 40, repeats: 9, cycled: true });
    expect(src.skipped).toMatchObject({ too_few_turns: 1, prompt_too_short: 2 });
    // Every cell of the default buckets is used by the sample.
    const cells = new Set(Array.from({ length: 31 }, (_, i) => src.get(i).cell));
    expect([...cells].sort()).toEqual([...src.cells].sort());
  });
});
