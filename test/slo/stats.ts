import { StatsAccumulator, type RunStats } from '../../lib/metrics/aggregate.ts';
import type { RequestRecord } from '../../lib/metrics/record.ts';
import { makeRecord } from '../metrics/records.ts';

/**
 * A successful streamed record of 4 output tokens with exact TTFT, TPOT and schedule lag:
 * intended 0, sent = lag, firstChunk = sent + ttft, end = firstChunk + 3 * tpot.
 */
export function timedRecord(ttft: number, tpot: number, lag = 0, over: Partial<RequestRecord> = {}): RequestRecord {
  const sent = lag;
  const first = sent + ttft;
  const chunkTimes = [0, 1, 2, 3].map((k) => first + k * tpot);
  return makeRecord({ intended: 0, sent, headers: sent, firstChunk: first, chunkTimes, end: chunkTimes[3]!, ...over });
}

/** A failed record (sent, no output). */
export function failedRecord(over: Partial<RequestRecord> = {}): RequestRecord {
  return makeRecord({
    intended: 0,
    sent: 1,
    headers: 2,
    firstChunk: null,
    chunkTimes: [],
    chunkTokens: null,
    chunkTokensSource: null,
    end: 3,
    status: 503,
    usage: null,
    error: { class: 'http_status', message: 'HTTP 503: overloaded' },
    ...over,
  });
}

/** Statistics of the records, through the real accumulator. */
export function statsOf(records: RequestRecord[]): RunStats {
  const acc = new StatsAccumulator();
  for (const r of records) acc.add(r);
  return acc.stats();
}
