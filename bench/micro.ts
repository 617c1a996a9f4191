import { Bench } from 'tinybench';
import { API_ADAPTERS } from '../lib/apis/index.ts';
import { Exchange } from '../lib/http/exchange.ts';
import type { RequestRecord } from '../lib/metrics/record.ts';
import { SchedstatReader, StallWatch } from '../lib/load/stall-watch.ts';
import { SseParser } from '../lib/sse/parser.ts';
import { summarize } from '../lib/stats/index.ts';

/** One microbenchmark's result. Throughputs are null for tasks that do not process a stream. */
export interface MicroResult {
  name: string;
  /** Mean time of one call, ms. */
  msPerOp: number;
  /** Relative margin of error of that mean, %. */
  rmePct: number;
  samples: number;
  /** Stream bytes per second, MB/s (10^6 bytes). */
  mbPerS: number | null;
  /** SSE events per second. */
  eventsPerS: number | null;
  /** Bytes and events of the stream one call processes; null for tasks without a stream. */
  stream: { bytes: number; events: number } | null;
}

/** Content events of the sample stream: one 2,000-token completion. */
const TOKENS = 2000;
const WORDS = [' the', ' of', ' press', ' printing', ' Gutenberg', ' movable', ' type', ' in', ' Europe', ' books', ' and', ' a'];

/**
 * A vLLM `/v1/completions` stream as vLLM main writes it with `ignore_eos` and continuous usage:
 * one event per token (cumulative usage on each), the finishing chunk, the final usage-only chunk
 * and `[DONE]`. Field order and nulls are vLLM's, so `JSON.parse` sees the real shape.
 */
export function vllmCompletionsStream(tokens = TOKENS): { bytes: Buffer; events: Buffer[] } {
  const head = '{"id":"cmpl-5e2f0c1d9a7b4c3e8f6a1b2c3d4e5f60","object":"text_completion","created":1795434060,"model":"Qwen/Qwen3-0.6B","choices":';
  const events: string[] = [];
  for (let i = 0; i < tokens; i++) {
    const text = JSON.stringify(WORDS[(i * 7) % WORDS.length]);
    const finish = i === tokens - 1 ? '"length"' : 'null';
    const choice = `[{"index":0,"text":${text},"logprobs":null,"finish_reason":${finish},"stop_reason":null,"prompt_token_ids":null,"token_ids":null}]`;
    events.push(`${head}${choice},"usage":{"prompt_tokens":12,"total_tokens":${13 + i},"completion_tokens":${i + 1}}}`);
  }
  events.push(`${head}[],"usage":{"prompt_tokens":12,"total_tokens":${12 + tokens},"completion_tokens":${tokens},"prompt_tokens_details":{"cached_tokens":0}}}`);
  events.push('[DONE]');
  const framed = events.map((e) => Buffer.from(`data: ${e}\n\n`));
  return { bytes: Buffer.concat(framed), events: framed };
}

function slices(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < buf.length; o += size) out.push(buf.subarray(o, o + size));
  return out;
}

/** A record as the runner creates it, for feeding an `Exchange` without a socket. */
function freshRecord(): RequestRecord {
  return {
    seq: 0, requestId: 'bench-0', warmup: false, stage: 0, cell: 'micro', api: 'completions', stream: true, model: 'Qwen/Qwen3-0.6B',
    promptTokens: 12, maxTokens: TOKENS, intended: 0, sent: null, headers: null, firstChunk: null, chunkTimes: [],
    chunkTokens: null, chunkTokensSource: null, end: 0, status: null, usage: null, tokenizerOutputTokens: null,
    outputChars: 0, finishReason: null, servedBy: {}, error: null,
  };
}

const TIMEOUTS = { connect: 5_000, firstToken: 60_000, idle: 60_000, total: 600_000 };
const NO_CONTROLLER = {} as never;

/**
 * Microbenchmarks with tinybench: the SSE parser alone over a realistic stream in 1 KB chunks and
 * in one chunk per event; the exchange's whole per-event path (parser, `JSON.parse`, adapter,
 * timestamp and token bookkeeping into the record) through its undici handler methods; and
 * `summarize()` of 1,000,000 samples.
 */
export async function runMicro(timeMs = 1500): Promise<MicroResult[]> {
  const stream = vllmCompletionsStream();
  const events = stream.events.length;
  const kb = slices(stream.bytes, 1024);
  let sink = 0;
  const parse = (chunks: Buffer[]) => (): void => {
    const p = new SseParser((data) => (sink += data.length));
    for (const c of chunks) p.push(c, 0);
    p.end();
  };
  const exchange = (chunks: Buffer[]) => (): void => {
    const ex = new Exchange(freshRecord(), {
      adapter: API_ADAPTERS.completions, path: '/v1/completions', headers: {}, body: '', timeouts: TIMEOUTS, keepText: false,
      onDone: (r) => (sink += r.chunkTimes.length),
    });
    ex.onRequestStart({ abort() {} } as never);
    ex.onResponseStart(NO_CONTROLLER, 200, { 'content-type': 'text/event-stream' });
    for (const c of chunks) ex.onResponseData(NO_CONTROLLER, c);
    ex.onResponseEnd();
  };
  const samples = new Float64Array(1_000_000);
  let seed = 42;
  for (let i = 0; i < samples.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    samples[i] = 20 + 200 * (seed / 2 ** 32) ** 3; // skewed like a latency distribution
  }

  const bench = new Bench({ time: timeMs, warmupTime: 300 });
  const streams = new Map<string, number>();
  const add = (name: string, fn: () => void, streamBytes?: number): void => {
    bench.add(name, fn);
    if (streamBytes !== undefined) streams.set(name, streamBytes);
  };
  add('SseParser, 1 KB chunks', parse(kb), stream.bytes.length);
  add('SseParser, 1 event per chunk', parse(stream.events), stream.bytes.length);
  add('Exchange per-event path, 1 KB chunks', exchange(kb), stream.bytes.length);
  add('Exchange per-event path, 1 event per chunk', exchange(stream.events), stream.bytes.length);
  // Socket reads of a saturated stream hold many events: any per-event work that looks past its
  // event (a search to the end of the buffer, say) makes this case quadratic.
  add('Exchange per-event path, 64 KB chunks', exchange(slices(stream.bytes, 65536)), stream.bytes.length);
  add('summarize(), 1,000,000 samples', () => void (sink += summarize(samples).count));
  // The stall watch's work: each 1 ms tick reads the clock and the thread's schedstat; each
  // finished record reads the clock and looks back over the stalls that could overlap it.
  const sched = SchedstatReader.open();
  if (sched) add('stall watch tick (clock + schedstat pread)', () => void (sink += performance.now() + (sched.read()?.waitNs ?? 0)));
  const watch = new StallWatch(10, { schedstat: false });
  for (let k = 0; k < 100; k++) watch.stalls.push({ start: k * 100, end: k * 100 + 20, runQueueMs: null });
  const marked = { ...freshRecord(), sent: 9_990, end: 10_050 };
  add('stall watch mark, one finished record (100 stalls seen)', () => {
    marked.stall = null;
    watch.mark(marked);
    sink += marked.stall ? 1 : 0;
  });
  await bench.run();
  sched?.close();
  if (sink === 0) throw new Error('bench: microbenchmarks did no work');

  return bench.tasks.map((task) => {
    const r = task.result;
    if (r.state !== 'completed') {
      const why = r.state === 'errored' ? r.error.message : r.state;
      throw new Error(`bench: microbenchmark "${task.name}" did not complete: ${why}`);
    }
    const bytes = streams.get(task.name);
    const opsPerS = 1000 / r.latency.mean;
    return {
      name: task.name,
      msPerOp: r.latency.mean,
      rmePct: r.latency.rme,
      samples: r.latency.samplesCount,
      mbPerS: bytes === undefined ? null : (bytes * opsPerS) / 1e6,
      eventsPerS: bytes === undefined ? null : events * opsPerS,
      stream: bytes === undefined ? null : { bytes, events },
    };
  });
}
