/*
 * Goodput counts a request as vLLM's `--goodput` does (vllm/benchmarks/serve.py,
 * `calculate_metrics`), checked against a transcription of that function's goodput part on the
 * same requests: only successful requests can be good, a value at the limit meets it, and a
 * 1-token output has TPOT 0 for goodput, so it meets any TPOT limit. A limit whose metric has no
 * sample at all is not judged, with the reason, and fails nothing by itself.
 */
import { describe, expect, test } from 'vitest';
import { deriveRequestMetrics } from '../../lib/metrics/derive.ts';
import type { RequestRecord } from '../../lib/metrics/record.ts';
import { evaluateSlo, formatEvaluation, verdictWord } from '../../lib/slo/evaluate.ts';
import { GoodputCounter } from '../../lib/slo/goodput.ts';
import { DEFAULT_FLOORS, type SloProfile } from '../../lib/slo/profile.ts';
import { makeRecord } from '../metrics/records.ts';
import { failedRecord, statsOf } from './stats.ts';

/** A successful streamed request: TTFT `ttft` ms from send, then `n` tokens in `n` chunks `gap` ms apart (N from usage). */
function streamed(ttft: number, n: number, gap: number): RequestRecord {
  const first = 10 + ttft;
  const chunkTimes = Array.from({ length: n }, (_, k) => first + k * gap);
  return makeRecord({
    intended: 10, sent: 10, headers: 10, firstChunk: first, chunkTimes, chunkTokens: chunkTimes.map(() => 1), chunkTokensSource: 'server',
    end: chunkTimes.at(-1)!, usage: { promptTokens: 12, completionTokens: n, cachedTokens: null }, tokenizerOutputTokens: n, outputChars: 5 * n, maxTokens: Math.max(n, 1),
  });
}

/** vLLM's RequestFuncOutput, as far as `calculate_metrics` reads it (seconds). */
interface VllmOutput {
  success: boolean;
  output_tokens: number;
  ttft: number;
  latency: number;
}

/**
 * The goodput part of vLLM's `calculate_metrics`, transcribed: per successful output, TPOT =
 * (latency - ttft) / (output_len - 1) when output_len > 1, else 0 ("we regard tpot as 0 for
 * goodput"); a request is good when every configured SLO >= its value.
 */
function vllmGoodCompleted(outputs: VllmOutput[], goodput: { ttft?: number; tpot?: number; e2el?: number }): number {
  const ttfts: number[] = [];
  const allTpots: number[] = [];
  const e2els: number[] = [];
  for (const o of outputs) {
    if (!o.success) continue;
    const outputLen = o.output_tokens;
    let tpot = 0;
    if (outputLen > 1) tpot = (o.latency - o.ttft) / (outputLen - 1);
    allTpots.push(tpot);
    ttfts.push(o.ttft);
    e2els.push(o.latency);
  }
  const valid: number[][] = [];
  const slo: number[] = [];
  if (goodput.ttft !== undefined) (valid.push(ttfts), slo.push(goodput.ttft / 1000));
  if (goodput.tpot !== undefined) (valid.push(allTpots), slo.push(goodput.tpot / 1000));
  if (goodput.e2el !== undefined) (valid.push(e2els), slo.push(goodput.e2el / 1000));
  let good = 0;
  for (let i = 0; i < (valid[0]?.length ?? 0); i++) if (slo.every((s, k) => s >= valid[k]![i]!)) good++;
  return good;
}

/** The same request as vLLM's client records it (its E2E ends at the last content chunk, as `end` does here). */
function asVllm(r: RequestRecord): VllmOutput {
  return { success: r.error === null, output_tokens: r.usage?.completionTokens ?? 0, ttft: ((r.firstChunk ?? 0) - r.sent!) / 1000, latency: (r.end - r.sent!) / 1000 };
}

const profile = (limits: SloProfile['limits']): SloProfile => ({ name: 'p', description: 'p', source: 'test', limits });
const ms = (metric: 'ttft' | 'tpot' | 'e2e', max: number): SloProfile['limits'][number] => ({ metric, stat: 'p95', max, unit: 'ms' });

function goodOf(p: SloProfile, records: RequestRecord[]): { good: number; requests: number } {
  const g = new GoodputCounter(p);
  for (const r of records) g.add(deriveRequestMetrics(r));
  const { good, requests } = g.result(1000);
  return { good, requests };
}

describe('goodput as vLLM counts it', () => {
  test('ten 1-token outputs meet a TPOT limit: 10/10 good, as vLLM, though none has a TPOT sample', () => {
    const ones = Array.from({ length: 10 }, (_, k) => streamed(20 + k, 1, 0));
    expect(ones.every((r) => deriveRequestMetrics(r).tpotMs === null)).toBe(true);
    const mlperf = profile([ms('ttft', 2000), ms('tpot', 100)]);
    expect(goodOf(mlperf, ones)).toEqual({ good: 10, requests: 10 });
    expect(vllmGoodCompleted(ones.map(asVllm), { ttft: 2000, tpot: 100 })).toBe(10);
    // Even a TPOT limit of 0 ms: vLLM's TPOT of a 1-token output is 0, and 0 <= 0.
    expect(goodOf(profile([ms('tpot', 0)]), ones).good).toBe(10);
  });

  test('a mix of lengths, limits at and past the values, and failures: the same count as vLLM for each limit set', () => {
    const records = [
      streamed(100, 1, 0), // 1 token: TPOT 0
      streamed(100, 2, 30), // TPOT 30
      streamed(250, 5, 20), // TPOT 20, E2E 330
      streamed(50, 10, 40), // TPOT 40, E2E 410
      streamed(300, 1, 0), // 1 token, slow first token
      failedRecord(), // never good
      failedRecord({ firstChunk: 20, chunkTimes: [20], status: 200, error: { class: 'stream_cut', message: 'cut' } }),
    ];
    // Limits between the values: vLLM compares seconds, where (0.33 - 0.25) / 4 is 0.020000000000000004.
    const sets: Array<[{ ttft?: number; tpot?: number; e2el?: number }, SloProfile['limits']]> = [
      [{ tpot: 30.5 }, [ms('tpot', 30.5)]],
      [{ tpot: 20.5 }, [ms('tpot', 20.5)]],
      [{ tpot: 19 }, [ms('tpot', 19)]],
      [{ ttft: 260 }, [ms('ttft', 260)]],
      [{ ttft: 260, tpot: 30.5 }, [ms('ttft', 260), ms('tpot', 30.5)]],
      [{ e2el: 340 }, [ms('e2e', 340)]],
      [{ ttft: 110, tpot: 0, e2el: 1000 }, [ms('ttft', 110), ms('tpot', 0), ms('e2e', 1000)]],
    ];
    for (const [vllm, limits] of sets) {
      const ours = goodOf(profile(limits), records);
      expect([JSON.stringify(vllm), ours.good]).toEqual([JSON.stringify(vllm), vllmGoodCompleted(records.map(asVllm), vllm)]);
      expect(ours.requests).toBe(7);
    }
  });

  test('an output of unknown length is not good under a TPOT limit: there is no count to judge by', () => {
    const unknown = makeRecord({ usage: null, tokenizerOutputTokens: null });
    expect(goodOf(profile([ms('tpot', 100)]), [unknown]).good).toBe(0);
    expect(goodOf(profile([ms('ttft', 2000)]), [unknown]).good).toBe(1);
  });
});

describe('a limit with no sample at all', () => {
  const ones = Array.from({ length: 10 }, (_, k) => streamed(20 + k, 1, 0));

  test('TPOT of 1-token outputs is not measurable, says why, and fails nothing by itself', () => {
    const e = evaluateSlo(profile([ms('ttft', 2000), ms('tpot', 100)]), statsOf(ones), DEFAULT_FLOORS);
    expect(e.checks[1]).toEqual({ name: 'TPOT p95', value: null, op: '<=', limit: 100, unit: 'ms', pass: null, note: 'not measurable: all outputs were 1 token' });
    expect(e.pass).toBe(true);
    expect(verdictWord(e)).toBe('PASS (partly judged)');
    expect(formatEvaluation(e).split('\n').at(-1)).toBe('  TPOT p95 not judged (not measurable: all outputs were 1 token)');
    // The limits that can be judged still fail the verdict.
    expect(evaluateSlo(profile([ms('ttft', 10), ms('tpot', 100)]), statsOf(ones), DEFAULT_FLOORS).pass).toBe(false);
  });

  test('ITL of one-chunk outputs, NTPOT and TPOT of outputs of unknown length: each with its reason', () => {
    const itl = evaluateSlo(profile([{ metric: 'itl', stat: 'p95', max: 50, unit: 'ms' }]), statsOf(ones), DEFAULT_FLOORS);
    expect(itl.checks[0]).toMatchObject({ pass: null, note: 'not measurable: every output came in one chunk' });
    const unknown = Array.from({ length: 3 }, () => makeRecord({ usage: null, tokenizerOutputTokens: null }));
    const e = evaluateSlo(profile([ms('tpot', 100), { metric: 'ntpot', stat: 'p95', max: 100, unit: 'ms' }]), statsOf(unknown), DEFAULT_FLOORS);
    expect(e.checks.slice(0, 2).map((c) => [c.pass, c.note])).toEqual([
      [null, 'not measurable: output token counts unknown'],
      [null, 'not measurable: output token counts unknown'],
    ]);
    const mixed = evaluateSlo(profile([ms('tpot', 100)]), statsOf([...ones, ...unknown]), DEFAULT_FLOORS);
    expect(mixed.checks[0]).toMatchObject({ pass: null, note: 'not measurable: all outputs were 1 token or of unknown length' });
  });

  test('a run where no limit and no floor could be judged fails', () => {
    const empty = evaluateSlo(profile([ms('ttft', 2000), ms('tpot', 100)]), statsOf([]), DEFAULT_FLOORS);
    expect(empty.pass).toBe(false);
    expect(empty.checks.map((c) => [c.name, c.pass, c.note])).toEqual([
      ['TTFT p95', null, 'not measurable: no measured requests'],
      ['TPOT p95', null, 'not measurable: no measured requests'],
      ['success rate', false, 'no measured requests'],
      ['schedule lag p99 (client kept up)', false, 'no request was sent'],
    ]);
    expect(verdictWord(empty)).toBe('FAIL');
  });
});
