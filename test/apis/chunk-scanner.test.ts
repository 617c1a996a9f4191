import { describe, expect, test } from 'vitest';
import { type ChunkFields, emptyChunkFields } from '../../lib/apis/adapter.ts';
import { chatAdapter } from '../../lib/apis/chat.ts';
import { scanChunk } from '../../lib/apis/chunk-scanner.ts';
import { completionsAdapter } from '../../lib/apis/completions.ts';
import { splitmix32 } from '../../lib/stats/prng.ts';

type Api = 'completions' | 'chat';
const ADAPTERS = { completions: completionsAdapter, chat: chatAdapter };

/** A seeded uniform generator in [0, 1), so every failure reproduces. */
function rng(seed: number): () => number {
  const p = splitmix32(seed);
  return () => p.next() / 4294967296;
}

/**
 * What the fallback path reads (the event's bytes decoded as UTF-8, JSON.parse, the adapter), or
 * null when JSON.parse throws or the adapter declines. Decoding first matters: a lone surrogate
 * in a JS string becomes U+FFFD in bytes, as it would on the wire.
 */
function reference(text: string, api: Api): ChunkFields | null {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text).toString('utf8'));
  } catch {
    return null;
  }
  const out = emptyChunkFields();
  return ADAPTERS[api].read(json, out, false) ? out : null;
}

function scanned(text: string, api: Api): ChunkFields | null {
  const buf = Buffer.from(`xx${text}yy`); // offsets: the scanner must honour start and end
  const out = emptyChunkFields();
  return scanChunk(buf, 2, buf.length - 2, api, out) ? out : null;
}

const VLLM_COMPLETION = `{"id":"cmpl-a1","object":"text_completion","created":1795434404,"model":"Qwen/Qwen3-0.6B","choices":[{"index":0,"text":" lorem","logprobs":null,"finish_reason":null,"stop_reason":null,"token_ids":null,"prompt_token_ids":null}],"usage":{"prompt_tokens":52,"total_tokens":55,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":32}}}`;
const VLLM_CHAT = `{"id":"chatcmpl-b2","object":"chat.completion.chunk","created":1795434404,"model":"Qwen/Qwen3-0.6B","choices":[{"index":0,"delta":{"content":" ipsum \\"q\\"\\n"},"logprobs":null,"finish_reason":"length"}],"usage":null}`;

describe('scanChunk', () => {
  test('reads real vLLM chunks on the fast path, exactly as JSON.parse would', () => {
    expect(scanned(VLLM_COMPLETION, 'completions')).toEqual({
      text: ' lorem',
      finishReason: null,
      usage: { promptTokens: 52, completionTokens: 3, cachedTokens: 32 },
      choice: true,
    });
    expect(scanned(VLLM_CHAT, 'chat')).toEqual({ text: ' ipsum "q"\n', finishReason: 'length', usage: null, choice: true });
    expect(scanned(VLLM_CHAT, 'chat')).toEqual(reference(VLLM_CHAT, 'chat'));
  });

  test('declines what it does not handle, so the caller falls back to JSON.parse', () => {
    for (const text of [
      '{"error":{"message":"boom"},"choices":[]}',
      '{"object":"error","message":"boom"}',
      '[1,2]',
      '{"choices":[{"text":"a"}],"usage":{"prompt_tokens":1e3,"completion_tokens":1}}',
      '{"choices":[{"te\\u0078t":"a"}]}',
      `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`,
      '{"choices":[{"text":"a"}]} x',
      '{"choices":[{"text":"a\u0001"}]}',
    ]) {
      expect(scanned(text, 'completions'), text).toBeNull();
    }
  });

  test('agrees with JSON.parse on 20,000 generated chunks of both APIs', () => {
    const r = rng(1);
    let fast = 0;
    for (let n = 0; n < 20_000; n++) {
      const api: Api = r() < 0.5 ? 'completions' : 'chat';
      const text = generateChunk(r, api);
      const got = scanned(text, api);
      if (got === null) continue;
      fast++;
      expect(got, text).toEqual(reference(text, api));
    }
    // Most generated chunks are well-formed OpenAI chunks: the fast path must take them.
    expect(fast).toBeGreaterThan(12_000);
  });

  test('never accepts what JSON.parse rejects, and agrees when both accept, over 20,000 mutated chunks', () => {
    const r = rng(2);
    let rejected = 0;
    for (let n = 0; n < 20_000; n++) {
      const api: Api = r() < 0.5 ? 'completions' : 'chat';
      const text = mutate(r, generateChunk(r, api));
      const got = scanned(text, api);
      const ref = reference(text, api);
      let parses = true;
      try {
        JSON.parse(Buffer.from(text).toString('utf8'));
      } catch {
        parses = false;
      }
      if (!parses) {
        rejected++;
        expect(got, text).toBeNull();
      } else if (got !== null) {
        expect(got, text).toEqual(ref);
      }
    }
    expect(rejected).toBeGreaterThan(8_000);
  });
});

const ALPHABET = ['a', 'Z', ' ', '"', '\\', '\n', '\t', '/', 'é', '漢', '🙂', '\u0000', '\u001f', '\u2028', '}', ']', ','];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomString(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) s += pick(r, ALPHABET);
  return s;
}

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 5 : 7));
  if (k === 0) return null;
  if (k === 1) return r() < 0.5;
  if (k === 2) return pick(r, [0, 7, -3, 2.5, 1e21, 123456789]);
  if (k === 3 || k === 4) return randomString(r);
  if (k === 5) return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(r() * 3) }, (_, i) => [`k${i}`, randomValue(r, depth + 1)]));
}

/** A value that is usually the right type and sometimes not. */
function maybe(r: () => number, good: () => unknown): unknown {
  return r() < 0.85 ? good() : randomValue(r, 1);
}

function shuffle<T>(r: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** An object as JSON text with members in random order, random whitespace and sometimes a duplicate key. */
function objectText(r: () => number, members: Array<[string, unknown]>): string {
  const ws = (): string => (r() < 0.2 ? pick(r, [' ', '\n', '\t ', '\r\n  ']) : '');
  const parts = shuffle(r, members).map(([k, v]) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${typeof v === 'string' && v.startsWith('\u0001raw:') ? v.slice(5) : JSON.stringify(v)}${ws()}`);
  if (members.length && r() < 0.05) {
    const [k] = pick(r, members);
    parts.push(`${JSON.stringify(k)}:${JSON.stringify(randomValue(r, 1))}`);
  }
  return `{${parts.join(',')}}`;
}

const raw = (text: string): string => `\u0001raw:${text}`;

function generateChunk(r: () => number, api: Api): string {
  const choice: Array<[string, unknown]> = [['index', 0]];
  if (api === 'completions') choice.push(['text', maybe(r, () => randomString(r))]);
  else {
    const delta: Array<[string, unknown]> = [];
    if (r() < 0.8) delta.push(['content', maybe(r, () => randomString(r))]);
    if (r() < 0.2) delta.push(['reasoning_content', maybe(r, () => randomString(r))]);
    if (r() < 0.2) delta.push(['reasoning', maybe(r, () => randomString(r))]);
    if (r() < 0.3) delta.push(['role', 'assistant']);
    choice.push(['delta', r() < 0.95 ? raw(objectText(r, delta)) : randomValue(r, 1)]);
  }
  choice.push(['finish_reason', maybe(r, () => pick(r, [null, 'stop', 'length']))]);
  if (r() < 0.5) choice.push(['logprobs', null], ['stop_reason', null], ['extra', randomValue(r, 1)]);
  const choices = r() < 0.9 ? [raw(objectText(r, choice))] : [];
  if (r() < 0.1) choices.push(raw(objectText(r, [['text', 'second']])));
  if (r() < 0.05) choices.unshift(raw(JSON.stringify(randomValue(r, 1))));
  const root: Array<[string, unknown]> = [
    ['id', 'cmpl-x'],
    ['object', 'text_completion'],
    ['created', 1795434404],
    ['model', 'm'],
    ['choices', r() < 0.95 ? raw(`[${choices.map((c) => c.slice(5)).join(',')}]`) : randomValue(r, 1)],
  ];
  if (r() < 0.7) {
    const usage: Array<[string, unknown]> = [
      ['prompt_tokens', maybe(r, () => Math.floor(r() * 5000))],
      ['completion_tokens', maybe(r, () => Math.floor(r() * 500))],
      ['total_tokens', 1],
    ];
    if (r() < 0.5) usage.push(['prompt_tokens_details', r() < 0.9 ? raw(objectText(r, [['cached_tokens', maybe(r, () => Math.floor(r() * 100))]])) : null]);
    root.push(['usage', r() < 0.9 ? raw(objectText(r, usage)) : null]);
  }
  return objectText(r, root);
}

function mutate(r: () => number, text: string): string {
  const i = Math.floor(r() * text.length);
  switch (Math.floor(r() * 5)) {
    case 0:
      return text.slice(0, i) + text.slice(i + 1);
    case 1:
      return text.slice(0, i) + pick(r, ['{', '}', '[', ']', '"', ',', ':', '\\', 'x', '0', '-', 'e', ' ', '\u0002']) + text.slice(i);
    case 2:
      return text.slice(0, i);
    case 3:
      return text.slice(0, i) + text.slice(i, i + 8).split('').reverse().join('') + text.slice(i + 8);
    default:
      return text.replace(/\d+/, pick(r, ['01', '1.', '-', '1e', '1.5e+3', '-0']));
  }
}
