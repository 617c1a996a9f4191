import { describe, expect, test } from 'vitest';
import { StatsAccumulator } from '../../lib/metrics/aggregate.ts';
import { deriveRequestMetrics, forEachItl } from '../../lib/metrics/derive.ts';
import { failureKey } from '../../lib/metrics/record.ts';
import { makeRecord } from './records.ts';

describe('deriveRequestMetrics (metric dictionary)', () => {
  test('derives every metric of a successful streamed request from its raw times', () => {
    expect(deriveRequestMetrics(makeRecord())).toEqual({
      ok: true,
      ttftMs: 48, // firstChunk 150 - sent 102
      ttftFromIntendedMs: 50, // firstChunk 150 - intended 100
      e2eMs: 90, // end 192 - sent 102
      e2eFromIntendedMs: 92,
      outputTokens: 4,
      outputTokensSource: 'server',
      usageOverruled: false,
      inputTokens: 12, // usage.prompt_tokens, not the client's 10
      inputTokensSource: 'server',
      tokenCountMismatch: false,
      tpotMs: 14, // (192 - 150) / (4 - 1)
      ntpotMs: 22.5, // 90 / 4
      scheduleLagMs: 2, // sent 102 - intended 100
    });
  });

  test('falls back to the tokenizer count without usage, and flags a disagreement with usage', () => {
    const noUsage = deriveRequestMetrics(makeRecord({ usage: null, tokenizerOutputTokens: 3 }));
    expect(noUsage).toMatchObject({ outputTokens: 3, outputTokensSource: 'tokenizer', tpotMs: 21, inputTokens: 10, inputTokensSource: 'tokenizer' });
    const mismatch = deriveRequestMetrics(makeRecord({ tokenizerOutputTokens: 5 }));
    expect(mismatch).toMatchObject({ outputTokens: 4, outputTokensSource: 'server', tokenCountMismatch: true, usageOverruled: false });
  });

  test('usage the tokenizer disagrees with by more than max(2 tokens, 10%) gives way to the tokenizer count', () => {
    const at = (server: number, tokenizer: number) =>
      deriveRequestMetrics(makeRecord({ usage: { promptTokens: 12, completionTokens: server, cachedTokens: null }, tokenizerOutputTokens: tokenizer }));
    expect(at(6, 4)).toMatchObject({ outputTokens: 6, outputTokensSource: 'server', usageOverruled: false }); // 2 tokens: within
    expect(at(7, 4)).toMatchObject({ outputTokens: 4, outputTokensSource: 'tokenizer', usageOverruled: true, tokenCountMismatch: true, tpotMs: 14 });
    expect(at(1, 4)).toMatchObject({ outputTokens: 4, outputTokensSource: 'tokenizer', usageOverruled: true });
    expect(at(110, 100)).toMatchObject({ outputTokens: 110, outputTokensSource: 'server' }); // 10%: within
    expect(at(111, 100)).toMatchObject({ outputTokens: 100, outputTokensSource: 'tokenizer', usageOverruled: true });
  });

  test('a server count the stream bears out (one content chunk per token, or one more for end of sequence) stands against the tokenizer', () => {
    const chunks = [150, 164, 178, 192];
    const at = (server: number, tokenizer: number) =>
      deriveRequestMetrics(makeRecord({ usage: { promptTokens: 12, completionTokens: server, cachedTokens: null }, tokenizerOutputTokens: tokenizer, chunkTimes: chunks }));
    // Four chunks of one word each, which a tokenizer of another vocabulary reads as nine tokens.
    expect(at(4, 9)).toMatchObject({ outputTokens: 4, outputTokensSource: 'server', usageOverruled: false, tokenCountMismatch: true, tpotMs: 14 });
    expect(at(5, 9)).toMatchObject({ outputTokens: 5, outputTokensSource: 'server', usageOverruled: false });
    // Not borne out: more tokens than chunks (+1), or fewer than chunks.
    expect(at(6, 9)).toMatchObject({ outputTokens: 9, outputTokensSource: 'tokenizer', usageOverruled: true });
    expect(at(3, 9)).toMatchObject({ outputTokens: 9, outputTokensSource: 'tokenizer', usageOverruled: true });
  });

  test('TPOT needs N >= 2; a failed request keeps only its schedule lag', () => {
    const one = makeRecord({ usage: { promptTokens: 12, completionTokens: 1, cachedTokens: null }, tokenizerOutputTokens: 1, chunkTimes: [150] });
    expect(deriveRequestMetrics(one)).toMatchObject({ tpotMs: null, ntpotMs: 90 });
    const failed = makeRecord({ error: { class: 'stream_cut', message: 'cut' } });
    expect(deriveRequestMetrics(failed)).toMatchObject({ ok: false, ttftMs: null, e2eMs: null, tpotMs: null, scheduleLagMs: 2 });
  });

  test('a request never sent has no lag and no latency', () => {
    const m = deriveRequestMetrics(makeRecord({ sent: null, headers: null, firstChunk: null, error: { class: 'connect_refused', message: 'x' } }));
    expect(m).toMatchObject({ scheduleLagMs: null, ttftMs: null, ttftFromIntendedMs: null });
  });

  test('ITL is the gap between consecutive content chunks, with the later chunk token count', () => {
    const gaps: Array<[number, number | null]> = [];
    forEachItl(makeRecord({ chunkTokens: [1, 2, 1, 3] }), (g, k) => gaps.push([g, k]));
    expect(gaps).toEqual([
      [10, 2],
      [15, 1],
      [15, 3],
    ]);
  });
});

describe('deriveRequestMetrics with definitions: vllm (vllm bench serve)', () => {
  test('from the hand-off to the first and last chunk carrying a choice; ITL over every such chunk', () => {
    // A role-only chunk at 140 and a finish-only chunk at 191, then usage and [DONE] until 192.
    const r = makeRecord({ handed: 101, emptyChoiceTimes: [140, 191], lastChoice: 191 });
    expect(deriveRequestMetrics(r, 'vllm')).toMatchObject({
      ttftMs: 39, // 140 - 101
      e2eMs: 90, // 191 - 101
      tpotMs: 17, // (90 - 39) / (4 - 1)
      ntpotMs: 22.5,
      ttftFromIntendedMs: 50, // the tool's own, unchanged
      scheduleLagMs: 2,
    });
    const gaps: number[] = [];
    forEachItl(r, (g) => gaps.push(g), 'vllm');
    expect(gaps).toEqual([10, 10, 15, 15, 1]); // 140, 150, 160, 175, 190, 191
    // The default definitions ignore the new fields.
    expect(deriveRequestMetrics(r)).toMatchObject({ ttftMs: 48, e2eMs: 90, tpotMs: 14 });
  });

  test('N: completion_tokens, or when 0 the tokenizer count, else 1; a 1-token output has no TPOT', () => {
    const zero = makeRecord({ handed: 102, lastChoice: 190, usage: { promptTokens: 12, completionTokens: 0, cachedTokens: null }, tokenizerOutputTokens: 3 });
    expect(deriveRequestMetrics(zero, 'vllm')).toMatchObject({ outputTokens: 3, tpotMs: 20 }); // (88 - 48) / 2
    const none = makeRecord({ handed: 102, lastChoice: 150, chunkTimes: [150], usage: null, tokenizerOutputTokens: null });
    expect(deriveRequestMetrics(none, 'vllm')).toMatchObject({ outputTokens: 1, tpotMs: null, e2eMs: 48 });
  });

  test('records written before handed and lastChoice existed fall back to sent and the last content chunk', () => {
    expect(deriveRequestMetrics(makeRecord(), 'vllm')).toMatchObject({ ttftMs: 48, e2eMs: 88 });
  });

  test('non-streamed: E2E from the hand-off to the end, no TTFT; a failed request has no latency', () => {
    const unary = makeRecord({ stream: false, handed: 100, firstChunk: null, chunkTimes: [], chunkTokens: null });
    expect(deriveRequestMetrics(unary, 'vllm')).toMatchObject({ ttftMs: null, e2eMs: 92, tpotMs: null });
    const failed = makeRecord({ handed: 100, error: { class: 'stream_cut', message: 'cut' } });
    expect(deriveRequestMetrics(failed, 'vllm')).toMatchObject({ ok: false, ttftMs: null, e2eMs: null, scheduleLagMs: 2 });
  });
});

describe('StatsAccumulator', () => {
  test('pools ITL over requests, excludes warm-up, counts failures by key, and uses the measured window', () => {
    const acc = new StatsAccumulator([50]);
    acc.add(makeRecord({ warmup: true, intended: 0, end: 1000 }));
    acc.add(makeRecord());
    acc.add(makeRecord({ seq: 1, intended: 200, sent: 200, firstChunk: 230, chunkTimes: [230, 250], end: 300, usage: { promptTokens: 8, completionTokens: 2, cachedTokens: 4 } }));
    acc.add(makeRecord({ seq: 2, intended: 300, sent: 301, end: 310, status: 503, error: { class: 'http_status', message: 'HTTP 503: busy' } }));
    const s = acc.stats();
    expect(s.requests).toEqual({ total: 3, successful: 2, failed: 1, successRate: 2 / 3, warmup: 1, cut: 0, stalled: 0 });
    expect(s.errors).toEqual({ http_503: { count: 1, example: 'HTTP 503: busy' } });
    expect(s.window.durationMs).toBe(210); // intended 100 .. end 310
    expect(s.latency.itl.count).toBe(4); // 3 gaps + 1 gap
    expect(s.latency.ttft.percentiles.p50).toBe(39); // TTFTs 48 and 30
    expect(s.latency.schedule_lag.count).toBe(3); // the failed request was sent too
    expect(s.throughput.outputTokensPerS).toBeCloseTo((6 * 1000) / 210, 10);
    expect(s.throughput.inputTokensPerS).toBeCloseTo((20 * 1000) / 210, 10);
    expect(s.throughput.requestsPerS).toBeCloseTo((2 * 1000) / 210, 10);
    expect(s.tokens.outputSource).toEqual({ server: 2, tokenizer: 0, unknown: 0 });
    expect(s.tokens.checked).toBe(2); // both successful ones carry usage and a tokenizer count
    expect(s.tokens.mismatches).toBe(1); // the second: usage says 2, the tokenizer 4
  });

  test('failureKey splits HTTP failures by status', () => {
    expect(failureKey(makeRecord({ status: 429, error: { class: 'http_status', message: '' } }))).toBe('http_429');
    expect(failureKey(makeRecord({ error: { class: 'idle_timeout', message: '' } }))).toBe('idle_timeout');
    expect(failureKey(makeRecord())).toBeNull();
  });
});
