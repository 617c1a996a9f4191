/**
 * inference-perf's length filter on dataset files (`length_filter`, what its
 * input_distribution/output_distribution mean on shareGPT data): which conversations are kept,
 * at the exact boundaries, and how an inference-perf workload with a dataset translates or is
 * refused.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { SharegptDataSchema } from '../../lib/config/schema/data.ts';
import { loadWellLitConfig } from '../../lib/config/well-lit/index.ts';
import { DATASET_FORMATS } from '../../lib/data/dataset-formats.ts';
import { createDataSource } from '../../lib/data/registry.ts';
import { SharegptSource } from '../../lib/data/sharegpt.ts';
import type { SharegptDataConfig } from '../../lib/data/sharegpt.ts';
import { firstExchange, readSharegptFile } from '../../lib/data/sharegpt-file.ts';
import { getTokenizer } from '../../lib/tokenizer/index.ts';
import type { TokenizerName } from '../../lib/tokenizer/index.ts';
import { configErrorOf } from '../config/config-error-of.ts';
import { tempDir } from '../config/temp-dir.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLE = `${ROOT}examples/data/sharegpt-sample.jsonl`;

/** `n` distinct words: exactly `n` tokens for the words tokenizer. */
const words = (n: number, tag: string): string => Array.from({ length: n }, (_, k) => `${tag}${k}`).join(' ');
const conv = (prompt: string, reply: string): object => ({ conversations: [{ from: 'human', value: prompt }, { from: 'gpt', value: reply }] });

/** Prompt lengths 0, 1, 4, 9, 10, 11, 19, 20, 21 tokens, each with a reply of 5 + k tokens. */
const PROMPTS = [0, 1, 4, 9, 10, 11, 19, 20, 21];
const ENTRIES = PROMPTS.map((n, k) => conv(words(n, `p${k}x`), words(5 + k, `r${k}x`)));

async function kept(name: TokenizerName, path: string, over: Partial<SharegptDataConfig>, ask = 100) {
  const tok = await getTokenizer(name);
  const config: SharegptDataConfig = { type: 'sharegpt', path, seed: 3, ...over };
  const dataset = await readSharegptFile(path, { read: DATASET_FORMATS[config.format ?? 'sharegpt'] });
  const src = new SharegptSource(config, dataset, tok, { name, kind: tok.kind, exact: false });
  await src.prepare(ask);
  const usable = src.stats().usable;
  const prompts = Array.from({ length: usable }, (_, i) => src.get(i));
  return { src, prompts: prompts.sort((a, b) => a.tokens - b.tokens) };
}

describe("inference-perf's length filter on a dataset file", () => {
  const lengthsFile = (): string => tempDir().write('lengths.jsonl', ENTRIES.map((e) => JSON.stringify(e)).join('\n'));

  test('keeps prompts with min <= tokens <= max and replies likewise; nothing is clipped; max_tokens is the reply count', async () => {
    const file = lengthsFile();
    const { src, prompts } = await kept('words', file, { length_filter: { input: { min: 10, max: 20 }, output: { min: 0, max: 12 } } });
    // Prompts 10, 11, 19, 20 are in range; of their replies (9, 10, 11, 12 tokens) all are <= 12.
    expect(prompts.map((p) => [p.tokens, p.maxTokens])).toEqual([[10, 9], [11, 10], [19, 11], [20, 12]]);
    expect(prompts.map((p) => p.text.split(' ').length)).toEqual([10, 11, 19, 20]);
    expect(src.stats().skipped).toMatchObject({ prompt_too_short: 4, prompt_too_long: 1, output_too_long: 0 });
    const tight = await kept('words', file, { length_filter: { input: { min: 10, max: 20 }, output: { min: 10, max: 11 } } });
    expect(tight.prompts.map((p) => [p.tokens, p.maxTokens])).toEqual([[11, 10], [19, 11]]);
    expect(tight.src.stats().skipped).toMatchObject({ output_too_short: 1, output_too_long: 1 });
  });

  test("{} keeps every non-empty prompt: no 4-token minimum, no 1024/2048 limits; vLLM's rule is the default", async () => {
    const file = lengthsFile();
    const all = await kept('words', file, { length_filter: {} });
    expect(all.prompts.map((p) => p.tokens)).toEqual([1, 4, 9, 10, 11, 19, 20, 21]);
    expect(all.src.stats().skipped.prompt_too_short).toBe(1);
    expect(all.src.cells).toEqual(['input=1-63', 'input=64-255', 'input=256-1023', 'input=1024-4095', 'input=4096-16383', 'input=16384+']);
    // In file order, as inference-perf streams it: the kept prompts come in the file's order.
    const inOrder = await kept('words', file, { length_filter: {}, order: 'file' });
    expect(Array.from({ length: 8 }, (_, i) => inOrder.src.get(i).tokens)).toEqual([1, 4, 9, 10, 11, 19, 20, 21]);
    const shuffled = await kept('words', file, { length_filter: {} });
    expect(Array.from({ length: 8 }, (_, i) => shuffled.src.get(i).tokens)).not.toEqual([1, 4, 9, 10, 11, 19, 20, 21]);
    const vllm = await kept('words', file, { max_prompt_tokens: 20 });
    expect(vllm.prompts.map((p) => p.tokens)).toEqual([4, 9, 10, 11, 19, 20]);
  });

  test('the checked-in sample, counted with Qwen3: kept exactly when both counts are in range', async () => {
    const tok = await getTokenizer('qwen3');
    const { prompts } = await kept('qwen3', SAMPLE, { length_filter: { input: { min: 8, max: 30 }, output: { min: 20, max: 200 } } });
    const dataset = await readSharegptFile(SAMPLE);
    const expected = dataset.exchanges
      .map((x) => [tok.count(x.prompt), tok.count(x.reply)] as const)
      .filter(([p, r]) => p >= 8 && p <= 30 && r >= 20 && r <= 200)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(expected.length).toBeGreaterThan(2);
    expect(expected.length).toBeLessThan(dataset.exchanges.length);
    expect(prompts.map((p) => [p.tokens, p.maxTokens]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!)).toEqual(expected.map(([p, r]) => [p, r]));
    expect(firstExchange(ENTRIES[0])).toEqual({ prompt: '', reply: words(5, 'r0x') });
  });

  test('the scenario schema carries the filter; it does not mix with max_prompt_tokens or max_total_tokens', () => {
    expect(SharegptDataSchema.parse({ type: 'sharegpt', path: 'd.jsonl', length_filter: { input: { min: 1, max: 5 } } }).length_filter).toEqual({ input: { min: 1, max: 5 } });
    const mixed = SharegptDataSchema.safeParse({ type: 'sharegpt', path: 'd.jsonl', max_total_tokens: 100, length_filter: {} });
    expect(mixed.success).toBe(false);
    expect(mixed.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      "max_total_tokens: belongs to vLLM's length filter, and length_filter chooses inference-perf's: give one of them",
    ]);
    expect(SharegptDataSchema.safeParse({ type: 'sharegpt', path: 'd.jsonl', length_filter: { output: { min: 9, max: 2 } } }).error!.issues[0]!.message).toBe('min 9 is above max 2');
  });
});

describe("inference-perf's readers of its dataset types (data.format)", () => {
  const read = async (format: SharegptDataConfig['format'], entries: unknown[]) => {
    const path = tempDir().write('f.jsonl', entries.map((e) => JSON.stringify(e)).join('\n'));
    const { src, prompts } = await kept('words', path, { format, length_filter: {} });
    return { skipped: src.stats().skipped, pairs: prompts.map((p) => [p.text, p.maxTokens]) };
  };

  test('first_two_turns (shareGPT, billsum_conversations): turns 1 and 2 whatever their roles, a turn given as a JSON string parsed', async () => {
    const r = await read('first_two_turns', [
      { conversations: [{ from: 'gpt', value: 'opened by gpt' }, { from: 'human', value: 'a b' }] },
      { conversations: [JSON.stringify({ from: 'human', value: 'as a string' }), { from: 'gpt', value: 'x y z' }] },
      { conversations: [{ from: 'human', value: '' }, { from: 'gpt', value: 'r' }] },
      { conversations: [{ from: 'human', value: 'alone' }] },
    ]);
    expect(r.pairs.sort()).toEqual([['as a string', 3], ['opened by gpt', 2]]);
    expect(r.skipped).toMatchObject({ no_human_assistant_pair: 1, too_few_turns: 1 });
  });

  test('cnn_dailymail: article and highlights; infinity_instruct: the earlier turns joined by line breaks, the last (from gpt) the reply', async () => {
    const cnn = await read('cnn_dailymail', [{ article: 'the article text', highlights: 'two words' }, { article: '', highlights: 'x' }]);
    expect(cnn.pairs).toEqual([['the article text', 2]]);
    // The registry's factory reads with the configured format too.
    const file = tempDir().write('cnn.jsonl', JSON.stringify({ article: 'an article', highlights: 'h' }));
    const viaRegistry = await createDataSource({ type: 'sharegpt', path: file, format: 'cnn_dailymail', length_filter: {}, seed: 1, tokenizer: 'words' }, { model: 'm' });
    await viaRegistry.prepare(1);
    expect(viaRegistry.get(0)).toMatchObject({ text: 'an article', maxTokens: 1 });
    const inf = await read('infinity_instruct', [
      { conversations: [{ from: 'human', value: 'q one' }, { from: 'gpt', value: 'a' }, { from: 'human', value: 'q two' }, { from: 'gpt', value: 'final reply here' }] },
      { conversations: [{ from: 'human', value: 'q' }, { from: 'human', value: 'no reply' }] },
    ]);
    expect(inf.pairs).toEqual([['q one\na\nq two', 3]]);
    expect(inf.skipped.no_human_assistant_pair).toBe(1);
  });
});

describe('an inference-perf workload with a dataset', () => {
  const body = (data: string, api = 'completion') =>
    `endpoint:\n  model: Qwen/Qwen3-0.6B\n  base_url: http://gw:80\nworkload:\n  w:\n    load: { stages: [{ rate: 1, duration: 5 }] }\n    api: { type: ${api} }\n    data: ${data}\n`;
  const load = (yaml: string) => {
    const dir = tempDir();
    dir.write('config.yaml', yaml);
    return loadWellLitConfig('config.yaml', { cwd: dir.path, env: {} });
  };

  test('shareGPT distributions become the length filter (min..max), on the completion API', () => {
    const c = load(body('{ type: shareGPT, path: d.jsonl, input_distribution: { min: 5, max: 900, mean: 300 }, output_distribution: { min: 2, max: 300 } }'));
    expect(c.file.scenarios.w!.data).toEqual({ type: 'sharegpt', path: 'd.jsonl', format: 'first_two_turns', order: 'file', length_filter: { input: { min: 5, max: 900 }, output: { min: 2, max: 300 } } });
    const none = load(body('{ type: billsum_conversations, path: b.json }'));
    expect(none.file.scenarios.w!.data).toEqual({ type: 'sharegpt', path: 'b.json', format: 'first_two_turns', order: 'file', length_filter: {} });
    expect(load(body('{ type: cnn_dailymail, path: c.json }')).file.scenarios.w!.data).toMatchObject({ format: 'cnn_dailymail' });
    expect(load(body('{ type: infinity_instruct, path: i.json }')).file.scenarios.w!.data).toMatchObject({ format: 'infinity_instruct' });
    // inference-perf's chat path sends every conversation, whatever its length.
    const chat = load(body('{ type: shareGPT, path: d.jsonl, input_distribution: { min: 5, max: 900 } }', 'chat'));
    expect(chat.file.scenarios.w!.data).toEqual({ type: 'sharegpt', path: 'd.jsonl', format: 'first_two_turns', order: 'file', length_filter: {} });
  });

  test('a dataset only on a model hub is refused in one line naming data.path and the hub id', () => {
    expect(configErrorOf(() => load(body('{ type: shareGPT }')))).toContain(
      'workload.w.data.path: required: inference-perf downloads anon8231489123/ShareGPT_Vicuna_unfiltered (file ShareGPT_V3_unfiltered_cleaned_split.json) from Hugging Face; nothing is downloaded here: download it and give its file as data.path',
    );
    expect(configErrorOf(() => load(body('{ type: billsum_conversations }')))).toContain(
      "workload.w.data.path: required: inference-perf reads billsum_conversations only from a file too; give the dataset's JSON or JSONL file as data.path",
    );
    const cnn = configErrorOf(() => load(body('{ type: cnn_dailymail }')));
    expect(cnn).toContain(
      'workload.w.data.path: required: inference-perf downloads abisee/cnn_dailymail (config 3.0.0) from Hugging Face; nothing is downloaded here: download it and give its file as data.path',
    );
    expect(cnn.split('\n').filter((l) => l.includes('workload.w.data'))).toHaveLength(1);
    expect(configErrorOf(() => load(body('{ type: cnn_dailymail, path: c.json }', 'chat')))).toContain('workload.w.data.type: cnn_dailymail runs only on the completion API in inference-perf');
  });
});
