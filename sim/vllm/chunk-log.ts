import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/**
 * One line of the chunk log: the simulator's ground truth for one finished request (success,
 * injected fault or client disconnect). Every `*_us` is `process.hrtime.bigint() / 1000n`
 * (the OS monotonic clock shared by all processes on the machine) sampled immediately before
 * the corresponding `res.writeHead` / `res.write` / `res.end`.
 */
export interface ChunkLogEntry {
  /** The `x-request-id` echoed in the response headers. */
  request_id: string;
  /** Model name the request asked for. */
  model: string;
  /** Which endpoint served it. */
  api: 'completions' | 'chat';
  /** Whether the response was an SSE stream. */
  stream: boolean;
  /** HTTP status sent; 499 when the client disconnected first (nginx's convention). */
  status: number;
  /** Prompt tokens after templating. */
  prompt_tokens: number;
  /** Prompt tokens served from the prefix cache. */
  cached_tokens: number;
  /** Output tokens generated (what `usage.completion_tokens` says, or would have said). */
  completion_tokens: number;
  /** `stop`, `length`, or null when the request did not finish normally. */
  finish_reason: string | null;
  /** Injected fault label (`stall:5`, `error:503`, ...), `shutdown`, or null. */
  fault: string | null;
  /** The HTTP 'request' event. */
  received_us: number;
  /** The response headers (streams: right after admission; others: with the body). */
  headers_us: number | null;
  /** The write that carried the first content chunk (null when none was sent). */
  first_content_us: number | null;
  /** One entry per content chunk, in order (several chunks sent in one write share a time). */
  content_us: number[];
  /** Output tokens in each content chunk. */
  content_tokens: number[];
  /** `res.end`, the socket destroy of a cut, or the disconnect. */
  end_us: number;
}

/** The current OS monotonic time in microseconds, as the chunk log records it. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Appends chunk-log lines to a file through one buffered stream (never a synchronous write per
 * chunk); {@link ChunkLog.close} flushes everything written so far.
 */
export class ChunkLog {
  /** Absolute or relative path of the JSONL file. */
  readonly path: string;
  private readonly stream: WriteStream;
  private pending = '';
  private flushScheduled = false;
  private closed = false;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', (err) => process.stderr.write(`sim: chunk log ${path}: ${err.message}\n`));
  }

  /** Queues one line; lines written in the same event-loop turn go out in one write. */
  append(entry: ChunkLogEntry): void {
    if (this.closed) return;
    this.pending += `${JSON.stringify(entry)}\n`;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.pending) return;
    this.stream.write(this.pending);
    this.pending = '';
  }

  /** Flushes queued lines and closes the file. */
  close(): Promise<void> {
    this.flush();
    this.closed = true;
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

/** The fields of a {@link ChunkLogEntry} that a {@link RequestTrace} does not keep itself. */
export type EntryOutcome = Omit<ChunkLogEntry, 'headers_us' | 'first_content_us' | 'content_us' | 'content_tokens'>;

/**
 * The send times of one request, kept only when the chunk log is on (otherwise every method is
 * a no-op and the clock is not read, to keep the hot path cheap).
 */
export class RequestTrace {
  /** When the response headers were sent. */
  headersUs: number | null = null;
  private readonly contentUs: number[] = [];
  private readonly contentTokens: number[] = [];

  constructor(readonly enabled: boolean) {}

  /** The chunk-log clock now, or 0 when tracing is off. */
  now(): number {
    return this.enabled ? nowUs() : 0;
  }

  /** A content chunk of `tokens` tokens was built (its send time follows with {@link sent}). */
  chunk(tokens: number): void {
    if (this.enabled) this.contentTokens.push(tokens);
  }

  /** The last `chunks` built chunks went out in one write at `us`. */
  sent(us: number, chunks: number): void {
    if (this.enabled) for (let i = 0; i < chunks; i++) this.contentUs.push(us);
  }

  /** The complete log line. */
  entry(outcome: EntryOutcome): ChunkLogEntry {
    const { end_us, ...rest } = outcome;
    return {
      ...rest,
      headers_us: this.headersUs,
      first_content_us: this.contentUs[0] ?? null,
      content_us: this.contentUs,
      content_tokens: this.contentTokens,
      end_us,
    };
  }
}
