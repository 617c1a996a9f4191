import { beforeAll, describe, expect, it } from 'vitest';
import { getTokenizer, type Tokenizer } from '../../../lib/tokenizer/index.ts';
import { appendPieces, buildOutputVocabulary, type OutputVocabulary } from '../output-tokens.ts';
import { PrefixCache } from '../prefix-cache.ts';
import { renderChatML, type ChatMessageLike } from '../prompt.ts';
import { createRng, type Rng } from '../rng.ts';
import { isSafeCut, SessionTokens } from '../session-tokens.ts';

/*
 * The per-session memory must give exactly the token ids of a full encode. Seeded conversations
 * (chat rendered through ChatML, and completions prompts that grow by the response and a new part)
 * mix the simulator's own responses with arbitrary assistant text, and user text full of what
 * tokenizers treat specially: punctuation runs, contractions, digits, newlines, repeated spaces,
 * tabs, accents, CJK, emoji, special tokens. Every turn is compared with a full encode, and the
 * extended block hashes with hashing from the start.
 */

const PARTS = [
  'hello', 'world', 'It', "it's", "don't", "we'll", 'the', 'a', 'Zebra', 'end.', 'so,', 'why?', 'now!', 'x;y', 'a:b', '42', '3.14', '2025',
  'naïve', 'café', 'Ünïcode', '日本語', 'テスト', '😀', '—', '...', '(paren)', '"quoted"', '<|im_end|>', '<|im_start|>', 'user', 'assistant', '#', '{json}', 'x_y',
];
const SEPARATORS = [' ', ' ', ' ', ' ', '  ', '\n', '\n\n', ' \n', '\t', '', ' \u00a0'];
const BS = 16;

function randomText(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += PARTS[Math.floor(rng.next() * PARTS.length)]! + SEPARATORS[Math.floor(rng.next() * SEPARATORS.length)]!;
  return s;
}

/** A response the way the simulator generates it (pieces and their ids), or arbitrary text with no ids. */
function response(rng: Rng, vocab: OutputVocabulary): { text: string; ids: number[] } {
  const ids: number[] = [];
  if (rng.next() < 0.7) return { text: appendPieces(vocab, rng, 5 + Math.floor(rng.next() * 60), '', ids), ids };
  return { text: randomText(rng, 3 + Math.floor(rng.next() * 30)), ids };
}

interface Tally {
  turns: number;
  reused: number;
  extended: number;
}

/**
 * Runs `sessions` interleaved conversations of up to 6 turns through `memo`, checking every turn
 * against a full encode and the hash chain against hashing from the start.
 */
function runConversations(tok: Tokenizer, vocab: OutputVocabulary, memo: SessionTokens, api: 'chat' | 'completions', seed: number, sessions: number): Tally {
  const rng = createRng(seed, 1);
  const cache = new PrefixCache(BS, 1 << 16);
  const tally: Tally = { turns: 0, reused: 0, extended: 0 };
  const state = Array.from({ length: sessions }, (_, i) => ({
    id: `${api}-${seed}-${i}`,
    turns: 2 + Math.floor(rng.next() * 5),
    messages: [{ role: 'system', content: randomText(rng, 5 + Math.floor(rng.next() * 20)) }] as ChatMessageLike[],
    prompt: randomText(rng, 5 + Math.floor(rng.next() * 20)),
  }));
  for (let k = 0; state.some((s) => s.turns > k); k++) {
    for (const s of state) {
      if (k >= s.turns) continue;
      const user = randomText(rng, 1 + Math.floor(rng.next() * 15));
      let text: string;
      if (api === 'chat') {
        s.messages.push({ role: 'user', content: user });
        text = renderChatML(s.messages);
      } else {
        if (k > 0) s.prompt += user;
        text = s.prompt;
      }
      const enc = memo.encode(s.id, text);
      expect(enc.ids, `${s.id} turn ${k}`).toEqual(tok.encode(text));
      tally.turns++;
      if (enc.reusedIds > 0) tally.reused++;
      const known = enc.reusedHashes.slice(0, Math.floor(enc.reusedIds / BS));
      const hashes = cache.blockHashes(enc.ids, known);
      expect(hashes).toEqual(cache.blockHashes(enc.ids));
      const r = response(rng, vocab);
      const sequence = cache.blockHashes(enc.ids.concat(r.ids), hashes);
      expect(sequence).toEqual(cache.blockHashes(enc.ids.concat(r.ids)));
      const before = enc.turn.text.length;
      memo.extend(enc.turn, r.text, r.ids, sequence);
      if (enc.turn.text.length > before) {
        tally.extended++;
        expect(enc.turn.ids).toEqual(tok.encode(enc.turn.text));
      }
      if (api === 'chat') s.messages.push({ role: 'assistant', content: r.text });
      else s.prompt += r.text;
    }
  }
  return tally;
}

describe.each(['words', 'qwen3'] as const)('session memory vs full encode (%s tokenizer)', (name) => {
  let tok: Tokenizer;
  let vocab: OutputVocabulary;
  beforeAll(async () => {
    tok = await getTokenizer(name);
    vocab = buildOutputVocabulary(tok);
  });

  it.each(['chat', 'completions'] as const)('%s: every turn of 160 seeded conversations gives exactly the full encode', (api) => {
    const memo = new SessionTokens(tok);
    const total: Tally = { turns: 0, reused: 0, extended: 0 };
    for (let seed = 1; seed <= 8; seed++) {
      const t = runConversations(tok, vocab, memo, api, seed, 20);
      total.turns += t.turns;
      total.reused += t.reused;
      total.extended += t.extended;
    }
    // The memory is used, not bypassed: most later turns reuse, and the simulator's responses extend the entry.
    const later = total.turns - 160;
    expect(total.reused).toBeGreaterThan(later * 0.5);
    expect(total.extended).toBeGreaterThan(0);
  });

  it('a prompt that does not start with the remembered text is encoded whole and replaces the entry', () => {
    const memo = new SessionTokens(tok);
    const first = memo.encode('s', 'Tell me about the sea and the sky');
    expect(first.reusedIds).toBe(0);
    const other = memo.encode('s', 'Something else entirely, then more words');
    expect(other.reusedIds).toBe(0);
    expect(other.ids).toEqual(tok.encode('Something else entirely, then more words'));
    const next = memo.encode('s', 'Something else entirely, then more words and a new part');
    expect(next.reusedIds).toBeGreaterThan(0);
    expect(next.ids).toEqual(tok.encode('Something else entirely, then more words and a new part'));
  });

  it('keeps at most maxSessions sessions and maxIds token ids, least recently used out first', () => {
    const memo = new SessionTokens(tok, 3, 1_000_000);
    for (const id of ['a', 'b', 'c', 'd']) memo.encode(id, `${id} says hello world`);
    expect(memo.size).toBe(3);
    expect(memo.encode('a', 'a says hello world again').reusedIds).toBe(0);
    expect(memo.encode('d', 'd says hello world again').reusedIds).toBeGreaterThan(0);
    const small = new SessionTokens(tok, 100, 10);
    small.encode('x', 'one two three four five six');
    small.encode('y', 'seven eight nine ten eleven twelve');
    expect(small.size).toBe(1);
  });
});

describe('safe cuts', () => {
  it('cut only at one space between a word, number, sentence end or newline and a letter', () => {
    const cuts = (s: string): number[] => [...s].map((_, i) => i).filter((i) => isSafeCut(s, i));
    expect(cuts('ab cd')).toEqual([2]);
    expect(cuts('end. Next, then 42 go')).toEqual([4, 10, 18]);
    expect(cuts('a  b\n c>  d')).toEqual([5]);
    expect(cuts('a  b\t c>  d')).toEqual([]);
    expect(cuts('x <|im_end|> y')).toEqual([]);
  });
});
