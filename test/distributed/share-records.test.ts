/**
 * The small pieces between a pod and the merge: a record survives `requests.jsonl` (the merge
 * rebuilds raw records from it, on a shifted timeline), and the settings a pod and a merge read.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeEnv } from '../../lib/distributed/merge-run.ts';
import type { PodScenario } from '../../lib/distributed/pod-folders.ts';
import { replayDriver } from '../../lib/distributed/replay-load.ts';
import type { RunnerOptions } from '../../lib/load/runner.ts';
import { fixedPlanner, type StagePlan } from '../../lib/load/stage.ts';
import { StatsAccumulator } from '../../lib/metrics/aggregate.ts';
import type { StageReport } from '../../lib/report/model.ts';
import { shareFromEnv } from '../../lib/distributed/share-env.ts';
import { deriveRequestMetrics } from '../../lib/metrics/derive.ts';
import type { RequestRecord, RunClock } from '../../lib/metrics/record.ts';
import { recordFromLine, type RequestLine, RequestsFile } from '../../lib/run-folder/requests-file.ts';

const clock: RunClock = { perfMs: 1000.25, hrtimeUs: 5, wallTime: '2026-12-06T10:00:00.000Z', wallMs: 1_796_551_200_000.5 };

const record: RequestRecord = {
  seq: 13, requestId: 'dist-poisson-x-13', warmup: false, stage: 1, cell: 'prompt=32,max_tokens=16', api: 'completions', stream: true,
  model: 'm', promptTokens: 32, maxTokens: 16, intended: 1100.5, sent: 1100.75, headers: 1110.125, firstChunk: 1120.5,
  chunkTimes: [1120.5, 1124.25, 1128], chunkTokens: [1, 1, 1], chunkTokensSource: 'server', end: 1129.5, status: 200,
  usage: { promptTokens: 33, completionTokens: 3, cachedTokens: 16 }, tokenizerOutputTokens: 3, outputChars: 12, finishReason: 'length',
  servedBy: { 'x-request-id': 'dist-poisson-x-13' }, error: null,
  retries: [{ key: 'http_503', message: 'busy', sent: 1100.6, end: 1100.7, backoffMs: 0.05 }],
  handed: 1100.625, emptyChoiceTimes: [1120.25], lastChoice: 1128.5,
};

describe('requests.jsonl back to records', () => {
  it('rebuilds the raw record (to the microsecond), on its own clock or shifted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmd-rec-'));
    const file = new RequestsFile(join(dir, 'requests.jsonl'));
    file.append('poisson', clock, record, deriveRequestMetrics(record));
    file.close();
    const line = JSON.parse(readFileSync(join(dir, 'requests.jsonl'), 'utf8')) as RequestLine;
    expect(recordFromLine(line, clock.perfMs)).toEqual(record);
    const shifted = recordFromLine(line, clock.perfMs + 250);
    expect(shifted.intended).toBeCloseTo(record.intended + 250, 6);
    expect(shifted.chunkTimes.map((t) => t - 250)).toEqual(record.chunkTimes.map((t) => expect.closeTo(t, 6)));
    // Latencies are differences on one clock: a shift leaves them as they were.
    expect(deriveRequestMetrics(shifted)).toEqual(deriveRequestMetrics(record));
    expect(deriveRequestMetrics(shifted, 'vllm')).toEqual(deriveRequestMetrics(record, 'vllm'));
  });

  it('reads a line written before the hand-off and choice-chunk times were recorded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmd-rec-'));
    const file = new RequestsFile(join(dir, 'requests.jsonl'));
    file.append('poisson', clock, record, deriveRequestMetrics(record));
    file.close();
    const { handed_ms, empty_choice_ms, last_choice_ms, ...old } = JSON.parse(readFileSync(join(dir, 'requests.jsonl'), 'utf8')) as RequestLine;
    expect([handed_ms, empty_choice_ms, last_choice_ms]).toEqual([100.375, [1120.25 - 1000.25], 128.25]);
    const back = recordFromLine(old, clock.perfMs);
    expect(back).toMatchObject({ handed: null, emptyChoiceTimes: null, lastChoice: null, sent: record.sent });
    // vLLM's variants then start at sent and end at the last content chunk.
    expect(deriveRequestMetrics(back, 'vllm')).toMatchObject({ ttftMs: 1120.5 - 1100.75, e2eMs: 1128 - 1100.75 });
  });
});

describe('stall marks through a merge', () => {
  const marked: RequestRecord = { ...record, stall: { start: 1105.5, ms: 14.25, runQueueMs: 3.5 } };

  it('a marked record keeps its mark, moved with its times; a line without the field reads unmarked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmd-rec-'));
    const file = new RequestsFile(join(dir, 'requests.jsonl'));
    file.append('poisson', clock, marked, deriveRequestMetrics(marked));
    file.close();
    const line = JSON.parse(readFileSync(join(dir, 'requests.jsonl'), 'utf8')) as RequestLine;
    expect(line.stall).toEqual({ start_ms: 105.25, ms: 14.25, run_queue_ms: 3.5 });
    expect(recordFromLine(line, clock.perfMs)).toEqual(marked);
    expect(recordFromLine(line, clock.perfMs + 250).stall).toEqual({ start: 1355.5, ms: 14.25, runQueueMs: 3.5 });
    const { stall: _, ...older } = line;
    expect(recordFromLine(older, clock.perfMs).stall ?? null).toBeNull();
  });

  it('the replayed run counts every pod\'s marked records and keeps the longest stall', async () => {
    const plan: StagePlan = {
      label: 'concurrency 2', description: 'c2', schedule: { kind: 'closed', concurrency: 2, description: 'c2' }, maxRequests: 2, durationMs: null, drainMs: 0,
      offered: { rate: null, concurrency: 2 },
    };
    const stageReport = (longestMs: number, count: number) => ({ index: 0, eventLoopDelayMs: { p50: 0, p99: 1, max: 2 }, stopRule: null, stalls: { count, longestMs, limitMs: 10, schedstat: true } }) as unknown as StageReport;
    const pod = (records: RequestRecord[], rep: StageReport) =>
      ({ records, stages: [{ stage: 0, start_ms: 0 }], stageReports: [rep], anchorMs: clock.perfMs }) as unknown as PodScenario;
    const a = { ...marked, seq: 0, stage: 0 };
    const b: RequestRecord = { ...record, seq: 1, stage: 0, retries: null };
    const seen: RequestRecord[] = [];
    const stats = new StatsAccumulator();
    const outcome = await replayDriver([pod([a], stageReport(14.25, 1)), pod([b], stageReport(30, 2))])({
      plan: fixedPlanner('c2', [plan]), clock, onRecord: (r: RequestRecord) => { seen.push(r); stats.add(r); },
    } as unknown as RunnerOptions);
    expect(seen.map((r) => r.stall ?? null)).toEqual([marked.stall, null]);
    expect(stats.stats().requests.stalled).toBe(1);
    expect(outcome.stages[0]!.stalls).toEqual({ count: 3, longestMs: 30, limitMs: 10, schedstat: true });
    expect(outcome.stalls).toEqual({ count: 3, longestMs: 30, limitMs: 10, schedstat: true });
  });
});

describe('distributed settings', () => {
  it('reads a pod share and rejects a bad one in one line', () => {
    expect(shareFromEnv({})).toBeNull();
    expect(shareFromEnv({ BENCH_SHARE: '2/4', BENCH_COORDINATOR: 'http://10.0.0.1:7070', BENCH_CLOCK_OFFSET_MS: '-1.5', BENCH_CLOCK_OFFSET_BOUND_MS: '0.2' })).toEqual({
      slot: { index: 2, count: 4 }, coordinator: 'http://10.0.0.1:7070', clockOffsetMs: -1.5, clockBoundMs: 0.2, barrierTimeoutMs: 120_000,
    });
    for (const bad of ['4/4', '1', 'a/b', '0/0', '-1/2']) expect(() => shareFromEnv({ BENCH_SHARE: bad })).toThrow(/BENCH_SHARE.*expected <index>\/<count>/);
    expect(() => shareFromEnv({ BENCH_SHARE: '0/2', BENCH_CLOCK_OFFSET_MS: 'soon' })).toThrow(/BENCH_CLOCK_OFFSET_MS.*expected a number/);
  });

  it('merges into the launch folder with its stamp, and refuses a folder that is not a run', () => {
    const env = mergeEnv('/r/2026-12-06T19-00-00Z-throughput', { BENCH_SHARE: '1/2', BENCH_COORDINATOR: 'http://x:7070', PATH: '/bin' });
    expect(env).toEqual({ PATH: '/bin', BENCH_MERGE: '/r/2026-12-06T19-00-00Z-throughput', BENCH_RUN_STAMP: '2026-12-06T19-00-00Z', BENCH_RESULTS_DIR: '/r' });
    expect(() => mergeEnv('/r/throughput', {})).toThrow('/r/throughput: not a run folder');
  });
});
