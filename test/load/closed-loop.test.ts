import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LoadOutcome } from '../../lib/load/runner.ts';
import type { RequestRecord } from '../../lib/metrics/record.ts';
import type { ChunkLogEntry } from '../../sim/vllm/chunk-log.ts';
import { startSimServer } from '../../sim/vllm/server.ts';
import { drive } from '../http/drive.ts';
import { maxOverlap } from './overlap.ts';

/** Closed loop against the simulator, checked against its chunk log. */
const CONCURRENCY = 3;
const WARMUP = 3;
const MEASURED = 24;
/** Varied lengths, so requests finish out of order and slots are taken over in a mixed order. */
const maxTokensOf = (i: number): number => 4 + ((i * 7) % 17);

let dir: string;
let records: RequestRecord[];
let outcome: LoadOutcome;
let order: string[];
let server: ChunkLogEntry[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-closed-'));
  const sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words', chunk_log: join(dir, 'chunks.jsonl') });
  order = [];
  try {
    const run = await drive({
      url: sim.url,
      requests: MEASURED,
      warmup: WARMUP,
      maxTokens: (i) => {
        order.push(`request ${i}`);
        return maxTokensOf(i);
      },
      schedule: { kind: 'closed', concurrency: CONCURRENCY, description: '' },
      requestIdPrefix: 'closed',
      onRecord: (r) => order.push(`record ${r.seq}`),
    });
    records = run.records;
    outcome = run.outcome;
  } finally {
    await sim.close();
  }
  server = readFileSync(join(dir, 'chunks.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ChunkLogEntry);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const measured = (): RequestRecord[] => records.filter((r) => !r.warmup);
const warmups = (): RequestRecord[] => records.filter((r) => r.warmup);

describe('closed loop', () => {
  test('every request recorded once, successful, the outcome counting measured sends only', () => {
    expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: WARMUP + MEASURED }, (_, i) => i));
    expect(records.every((r) => r.error === null)).toBe(true);
    expect(records.map((r) => r.usage!.completionTokens)).toEqual(records.map((r) => maxTokensOf(r.seq)));
    expect(outcome).toMatchObject({ stopped: null, sent: MEASURED });
    expect(server).toHaveLength(WARMUP + MEASURED);
  });

  test('warm-up requests are flagged, take the first sequence numbers, and finish before measuring starts', () => {
    expect(warmups().map((r) => r.seq).sort()).toEqual([0, 1, 2]);
    expect(records.slice(0, WARMUP).every((r) => r.warmup)).toBe(true);
    const lastWarmupEnd = Math.max(...warmups().map((r) => r.end));
    expect(outcome.measuredStart).toBeGreaterThanOrEqual(lastWarmupEnd);
    expect(Math.min(...measured().map((r) => r.intended))).toBeGreaterThanOrEqual(outcome.measuredStart);
  });

  test(`never more than ${CONCURRENCY} requests in flight, on the server and on the client`, () => {
    expect(maxOverlap(server.map((e) => [e.received_us, e.end_us]))).toBe(CONCURRENCY);
    expect(maxOverlap(records.map((r) => [r.sent!, r.end]))).toBe(CONCURRENCY);
  });

  test('intended = the end of the request whose slot it took; the first of each phase start together', () => {
    for (const phase of [warmups(), measured()]) {
      const bySeq = [...phase].sort((a, b) => a.seq - b.seq);
      const first = bySeq.slice(0, CONCURRENCY);
      expect(new Set(first.map((r) => r.intended)).size).toBe(1);
      const ends = new Map(phase.map((r) => [r.end, r.seq]));
      const freed = new Set<number>();
      for (const r of bySeq.slice(CONCURRENCY)) {
        const from = ends.get(r.intended);
        expect(from, `seq ${r.seq}: intended ${r.intended} is no earlier request's end`).toBeDefined();
        expect(from!).toBeLessThan(r.seq);
        expect(freed.has(from!), `slot of ${from} taken twice`).toBe(false);
        freed.add(from!);
      }
      // Every slot freed but the last CONCURRENCY was taken over.
      expect(freed.size).toBe(phase.length - CONCURRENCY);
    }
  });

  test('schedule lag is sent - intended, never negative', () => {
    for (const r of records) expect(r.sent! - r.intended).toBeGreaterThanOrEqual(0);
  });

  test('a finished request is handed to onRecord only after the request taking its slot was dispatched', () => {
    let checked = 0;
    for (const r of records) {
      const next = records.find((s) => s.intended === r.end);
      if (!next) continue;
      expect(order.indexOf(`request ${next.seq}`)).toBeLessThan(order.indexOf(`record ${r.seq}`));
      checked++;
    }
    expect(checked).toBe(WARMUP + MEASURED - 2 * CONCURRENCY);
  });
});
