import type { RequestRecord } from '../../lib/metrics/record.ts';

/** A successful streamed request record with the given times; override anything. */
export function makeRecord(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    seq: 0,
    requestId: 'r-0',
    warmup: false,
    stage: 0,
    cell: 'prompt=10,max_tokens=4',
    api: 'completions',
    stream: true,
    model: 'm',
    promptTokens: 10,
    maxTokens: 4,
    intended: 100,
    sent: 102,
    headers: 105,
    firstChunk: 150,
    chunkTimes: [150, 160, 175, 190],
    chunkTokens: [1, 1, 1, 1],
    chunkTokensSource: 'server',
    end: 192,
    status: 200,
    usage: { promptTokens: 12, completionTokens: 4, cachedTokens: null },
    tokenizerOutputTokens: 4,
    outputChars: 20,
    finishReason: 'length',
    servedBy: {},
    error: null,
    ...over,
  };
}
