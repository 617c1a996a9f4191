import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKEND_CAPABILITIES } from '../../lib/apis/index.ts';
import { deriveRequestMetrics } from '../../lib/metrics/derive.ts';
import { type RequestRecord, type RunClock, toHrtimeUs } from '../../lib/metrics/record.ts';
import type { ChunkLogEntry } from '../../sim/vllm/chunk-log.ts';
import { startSimServer } from '../../sim/vllm/server.ts';
import { type DriveOptions, drive } from '../http/drive.ts';

/**
 * What the client parses off the wire against the simulator's ground truth (its chunk log):
 * usage, finish reason, content chunks and their token counts, serving headers, for both APIs,
 * streamed and not, with and without continuous usage, one and three tokens per chunk.
 */
interface Variant {
  name: string;
  api: 'completions' | 'chat';
  stream: boolean;
  /** Simulator tokens per chunk after the first. */
  tpc: 1 | 3;
  caps?: DriveOptions['caps'];
  /** What chunkTokens should be for multi-token requests: the server's (continuous usage), all ones, or unknown. */
  expectChunks: 'server' | 'inferred' | null;
}

const VARIANTS: Variant[] = [
  { name: 'completions-stream', api: 'completions', stream: true, tpc: 1, expectChunks: 'server' },
  { name: 'chat-stream', api: 'chat', stream: true, tpc: 1, expectChunks: 'server' },
  { name: 'completions-nostream', api: 'completions', stream: false, tpc: 1, expectChunks: null },
  { name: 'chat-nostream', api: 'chat', stream: false, tpc: 1, expectChunks: null },
  { name: 'completions-stream-tpc3', api: 'completions', stream: true, tpc: 3, expectChunks: 'server' },
  { name: 'chat-stream-tpc3', api: 'chat', stream: true, tpc: 3, expectChunks: 'server' },
  { name: 'completions-final-usage', api: 'completions', stream: true, tpc: 1, caps: { continuous_usage_stats: false }, expectChunks: 'inferred' },
  { name: 'chat-final-usage', api: 'chat', stream: true, tpc: 1, caps: { continuous_usage_stats: false }, expectChunks: 'inferred' },
  { name: 'completions-final-usage-tpc3', api: 'completions', stream: true, tpc: 3, caps: { continuous_usage_stats: false }, expectChunks: null },
  { name: 'chat-no-usage', api: 'chat', stream: true, tpc: 1, caps: { include_usage: false }, expectChunks: null },
  // OpenAI's parameter set (max_completion_tokens, no ignore_eos, final usage only) against a vLLM server.
  { name: 'chat-openai-caps', api: 'chat', stream: true, tpc: 1, caps: BACKEND_CAPABILITIES.openai, expectChunks: 'inferred' },
];

const REQUESTS = 4;
/** max_tokens of request i: 1 (a single chunk), then lengths that leave a partial last chunk at 3 per chunk. */
const maxTokensOf = (i: number): number => [1, 8, 11, 13][i % 4]!;
/** A 40-word shared prefix (full 16-token blocks), so later requests of a variant hit the prefix cache. */
const PREFIX = Array.from({ length: 40 }, (_, k) => `word${k}`).join(' ');

let dir: string;
const runs = new Map<string, { records: RequestRecord[]; texts: string[]; clock: RunClock }>();
const log = new Map<string, ChunkLogEntry>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-wire-'));
  const sims = {
    1: await startSimServer({ profile: 'test-fast', tokenizer: 'words', pod_name: 'pod-tpc1', chunk_log: join(dir, 'tpc1.jsonl') }),
    3: await startSimServer({ profile: 'test-fast', tokenizer: 'words', pod_name: 'pod-tpc3', tokens_per_chunk: 3, chunk_log: join(dir, 'tpc3.jsonl') }),
  };
  try {
    for (const v of VARIANTS) {
      const { records, texts, outcome } = await drive({
        url: sims[v.tpc].url,
        api: v.api,
        stream: v.stream,
        requests: REQUESTS,
        maxTokens: maxTokensOf,
        prompt: (i) => `${v.name} ${PREFIX} question ${i}`,
        requestIdPrefix: v.name,
        keepText: true,
        ...(v.caps ? { caps: v.caps } : {}),
      });
      runs.set(v.name, { records, texts, clock: outcome.clock });
    }
  } finally {
    await sims[1].close();
    await sims[3].close();
  }
  for (const file of ['tpc1.jsonl', 'tpc3.jsonl']) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      const e = JSON.parse(line) as ChunkLogEntry;
      log.set(e.request_id, e);
    }
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.each(VARIANTS)('$name', (v) => {
  const pairs = (): Array<[RequestRecord, ChunkLogEntry, string]> =>
    runs.get(v.name)!.records.map((r, i) => [r, log.get(r.requestId)!, runs.get(v.name)!.texts[i]!]);

  test('one successful record per request, each logged by the server under its x-request-id', () => {
    const { records } = runs.get(v.name)!;
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    for (const [r, e] of pairs()) {
      expect(r.error, JSON.stringify(r.error)).toBeNull();
      expect(e, r.requestId).toBeDefined();
      expect(r.requestId).toBe(`${v.name}-${r.seq}`);
      expect({ status: r.status, api: r.api, stream: r.stream }).toEqual({ status: e.status, api: e.api, stream: e.stream });
      expect(r.servedBy).toEqual({ 'x-request-id': r.requestId, 'x-inference-pod': `pod-tpc${v.tpc}` });
    }
  });

  test('usage and finish reason as the server reported them', () => {
    for (const [r, e, text] of pairs()) {
      expect(e.completion_tokens).toBe(maxTokensOf(r.seq)); // ignore_eos: exactly max_tokens
      if (v.caps?.include_usage === false) {
        expect(r.usage).toBeNull();
      } else {
        expect(r.usage).toEqual({ promptTokens: e.prompt_tokens, completionTokens: e.completion_tokens, cachedTokens: e.cached_tokens });
      }
      expect(r.finishReason).toBe('length');
      expect(e.finish_reason).toBe('length');
      // The words tokenizer emits one word per token: the text holds every token, none lost or doubled.
      expect(text.trim().split(/\s+/)).toHaveLength(e.completion_tokens);
      expect(r.outputChars).toBe(text.length);
    }
    // Same 40-word prefix, one request after another: later requests hit the prefix cache.
    const cached = pairs().map(([, e]) => e.cached_tokens);
    expect(cached[0]).toBe(0);
    expect(cached.slice(1).every((c) => c > 0)).toBe(true);
  });

  test('content chunks as the server sent them (a chat role-only chunk is not content)', () => {
    for (const [r, e] of pairs()) {
      if (!v.stream) {
        expect(e.content_us).toEqual([]);
        expect(r).toMatchObject({ firstChunk: null, chunkTimes: [], chunkTokens: null, chunkTokensSource: null });
        continue;
      }
      expect(r.chunkTimes).toHaveLength(e.content_us.length);
      expect(r.firstChunk).toBe(r.chunkTimes[0]);
      for (let i = 1; i < r.chunkTimes.length; i++) expect(r.chunkTimes[i]).toBeGreaterThanOrEqual(r.chunkTimes[i - 1]!);
      // Without continuous usage, tokens per chunk are known only when each chunk carried one
      // token (as many chunks as output tokens); a one-token request at 3 per chunk still qualifies.
      const expected = v.expectChunks === 'server' ? 'server' : r.usage && e.content_us.length === e.completion_tokens ? 'inferred' : null;
      if (r.seq > 0) expect(expected).toBe(v.expectChunks);
      if (expected === 'server') {
        expect(r.chunkTokens).toEqual(e.content_tokens);
        expect(r.chunkTokensSource).toBe('server');
      } else if (expected === 'inferred') {
        expect(e.content_tokens.every((k) => k === 1)).toBe(true);
        expect(r.chunkTokens).toEqual(e.content_tokens);
        expect(r.chunkTokensSource).toBe('inferred');
      } else {
        expect(r.chunkTokens).toBeNull();
        expect(r.chunkTokensSource).toBeNull();
      }
    }
    if (v.tpc === 3 && v.stream) {
      // 13 tokens at 3 per chunk after the first: 1 + 3 + 3 + 3 + 3.
      expect(log.get(`${v.name}-3`)!.content_tokens).toEqual([1, 3, 3, 3, 3]);
    }
  });

  test('times on the shared monotonic clock: sent before the server received, chunks after it sent them', () => {
    const { clock } = runs.get(v.name)!;
    const us = (ms: number): number => toHrtimeUs(clock, ms);
    for (const [r, e] of pairs()) {
      expect(r.intended).toBeLessThanOrEqual(r.sent!);
      expect(us(r.sent!)).toBeLessThanOrEqual(e.received_us + 2);
      expect(us(r.headers!)).toBeGreaterThanOrEqual(e.headers_us! - 2);
      r.chunkTimes.forEach((t, i) => expect(us(t)).toBeGreaterThanOrEqual(e.content_us[i]! - 2));
      expect(us(r.end)).toBeGreaterThanOrEqual(e.end_us - 2);
    }
  });

  test('derived metrics: streamed requests have TTFT and TPOT, non-streamed only E2E', () => {
    for (const [r] of pairs()) {
      const m = deriveRequestMetrics(r);
      const n = maxTokensOf(r.seq);
      expect(m.e2eMs).toBe(r.end - r.sent!);
      expect(m.scheduleLagMs).toBe(r.sent! - r.intended);
      if (v.stream) {
        expect(m.ttftMs).toBe(r.firstChunk! - r.sent!);
        expect(m.ttftMs!).toBeGreaterThan(0);
        expect(m.tpotMs).toBe(n >= 2 && r.usage ? (r.end - r.firstChunk!) / (n - 1) : null);
      } else {
        expect(m).toMatchObject({ ttftMs: null, ttftFromIntendedMs: null, tpotMs: null });
        expect(m.e2eMs!).toBeGreaterThan(0);
      }
      if (r.usage) expect(m).toMatchObject({ outputTokens: n, outputTokensSource: 'server', inputTokensSource: 'server', inputTokens: r.usage.promptTokens });
    }
  });
});
