import { describe, expect, it } from 'vitest';
import { DataError } from '../../../lib/data/data-error.ts';
import { tracePrompts } from '../../../lib/data/traces/prompts.ts';
import type { TraceRequest } from '../../../lib/data/traces/trace.ts';
import { replayWindow } from '../../../lib/data/traces/trace.ts';
import { chatTemplateOverhead } from '../../../lib/tokenizer/chat-template.ts';
import { getTokenizer } from '../../../lib/tokenizer/index.ts';
import type { TokenizerName } from '../../../lib/tokenizer/index.ts';

const BLOCK = 64;
const MOONCAKE = { format: 'mooncake' as const, blockSize: BLOCK };

/** Mooncake-like requests with a small block size, so the test builds little text. */
const REQUESTS: TraceRequest[] = [
  { atS: 0, inputTokens: 3 * BLOCK, outputTokens: 10, hashIds: [0, 1, 2], line: 1 },
  { atS: 0.5, inputTokens: 2 * BLOCK + 20, outputTokens: 11, hashIds: [0, 1, 3], line: 2 },
  { atS: 0.5, inputTokens: 4 * BLOCK + 7, outputTokens: 12, hashIds: [0, 4, 5, 6, 7], line: 3 },
  { atS: 2, inputTokens: BLOCK, outputTokens: 13, hashIds: [8], line: 4, session: 'c1' },
  // Fewer hash ids than the length needs: the rest is the request's own text.
  { atS: 3, inputTokens: 2 * BLOCK + 30, outputTokens: 0, hashIds: [0], line: 5 },
  // Block 3 whole, where request 2 has its first 20 tokens only.
  { atS: 4, inputTokens: 3 * BLOCK, outputTokens: 1, hashIds: [0, 1, 3], line: 6 },
];

describe.each<TokenizerName>(['qwen3', 'words'])('trace prompts, %s tokenizer', (name) => {
  it('every prompt is exactly input_length tokens by the tokenizer; atS, session and max_tokens carried over', async () => {
    const tok = await getTokenizer(name);
    const prompts = await tracePrompts(MOONCAKE, REQUESTS, tok, { seed: 7 });
    prompts.forEach((p, i) => {
      const r = REQUESTS[i]!;
      expect(tok.encode(p.text)).toHaveLength(r.inputTokens);
      expect(p).toMatchObject({ tokens: r.inputTokens, maxTokens: Math.max(1, r.outputTokens), atS: r.atS, cell: 'trace:mooncake' });
      expect(p.session).toBe(r.session);
    });
  });

  it('requests sharing k leading hash ids share exactly their first k * block_size tokens, then differ', async () => {
    const tok = await getTokenizer(name);
    const ids = (await tracePrompts(MOONCAKE, REQUESTS, tok, { seed: 7 })).map((p) => tok.encode(p.text));
    const common = (a: number[], b: number[]): number => {
      let k = 0;
      while (k < a.length && k < b.length && a[k] === b[k]) k++;
      return k;
    };
    // [0,1,2] vs [0,1,3]: two blocks shared. The third blocks differ within their first tokens
    // (a random 1-in-6,144 chance per token of matching by accident).
    expect(common(ids[0]!, ids[1]!)).toBeGreaterThanOrEqual(2 * BLOCK);
    expect(common(ids[0]!, ids[1]!)).toBeLessThan(2 * BLOCK + 3);
    expect(common(ids[0]!, ids[2]!)).toBeGreaterThanOrEqual(BLOCK);
    expect(common(ids[0]!, ids[2]!)).toBeLessThan(BLOCK + 3);
    expect(common(ids[0]!, ids[3]!)).toBeLessThan(3);
    // The cut block 3 of request 2 (20 tokens) is the start of block 3 whole: all of request 2
    // is the start of request 6.
    expect(common(ids[1]!, ids[5]!)).toBe(2 * BLOCK + 20);
    // Padding after the blocks is the request's own.
    expect(common(ids[1]!, ids[4]!)).toBeGreaterThanOrEqual(BLOCK);
    expect(common(ids[1]!, ids[4]!)).toBeLessThan(BLOCK + 3);
  });

  it('the same seed gives the same texts, another seed other texts', async () => {
    const tok = await getTokenizer(name);
    const a = await tracePrompts(MOONCAKE, REQUESTS, tok, { seed: 7 });
    const b = await tracePrompts(MOONCAKE, REQUESTS, tok, { seed: 7 });
    const c = await tracePrompts(MOONCAKE, REQUESTS, tok, { seed: 8 });
    expect(b.map((p) => p.text)).toEqual(a.map((p) => p.text));
    expect(c[0]!.text).not.toBe(a[0]!.text);
  });
});

describe('trace prompts without hash ids, on the chat API, after a replay window', () => {
  it('unrelated texts of exact lengths; chat leaves room for the template', async () => {
    const tok = await getTokenizer('qwen3');
    const requests: TraceRequest[] = [0, 1, 2, 3].map((atS, i) => ({ atS, inputTokens: 40 + i * 25, outputTokens: 5, line: i + 2 }));
    const window = replayWindow(requests, { speedup: 2, maxRequests: 3 });
    const prompts = await tracePrompts({ format: 'azure' }, window, tok, { seed: 1, api: 'chat' });
    const overhead = chatTemplateOverhead(tok);
    expect(overhead).toBeGreaterThan(0);
    expect(prompts.map((p) => p.atS)).toEqual([0, 0.5, 1]);
    prompts.forEach((p, i) => {
      expect(p.tokens).toBe(40 + i * 25);
      expect(tok.count(p.text)).toBe(40 + i * 25 - overhead);
      expect(p.cell).toBe('trace:azure');
    });
    const heads = prompts.map((p) => tok.encode(p.text).slice(0, 4).join(','));
    expect(new Set(heads).size).toBe(3);
  });

  it('refuses hash ids without a block size', async () => {
    const tok = await getTokenizer('words');
    const err = await tracePrompts({ format: 'mooncake' }, REQUESTS, tok, { seed: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toContain('data.block_size');
  });
});
