/**
 * The receiving side of log frames (`log-frames.ts` defines them): a decoder that takes a pod's
 * log line by line, checks every frame (order, sizes, lengths, sha256) and writes each file's
 * bytes through gunzip into a sink as they arrive, then reports what arrived intact.
 */
import { createHash } from 'node:crypto';
import { createGunzip, type Gunzip } from 'node:zlib';
import { FRAME_CHUNK_BYTES, FRAME_MARKER, type Frame, isSafeFramePath } from './log-frames.ts';

/** The marker is looked for this far into a line (room for a log timestamp prefix). */
const MARKER_WITHIN = 256;

/** Where a decoder puts a file's bytes: written as they come, kept when verified, else dropped. */
export interface FrameSink {
  open(path: string): Promise<FrameFileWriter> | FrameFileWriter;
}

/** One file being decoded. */
export interface FrameFileWriter {
  write(bytes: Buffer): Promise<void> | void;
  /** Its length and sha256 matched: keep it. */
  commit(): Promise<void> | void;
  /** It is incomplete or corrupt: drop it. */
  discard(): Promise<void> | void;
}

/** A file rebuilt and verified. */
export interface DecodedFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** What a frame stream held (`FrameDecoder.finish`). */
export interface FrameReport {
  /** Files rebuilt and verified (length and sha256), in stream order. */
  files: DecodedFile[];
  /** One line per problem, naming the file (`run/requests.jsonl: sha256 mismatch ...`). */
  errors: string[];
  /** Files begun but never ended: the stream was cut. */
  incomplete: string[];
  /** The final `done` line was seen. */
  done: boolean;
  /** Everything sent arrived intact: `done` seen, no errors, nothing incomplete. */
  complete: boolean;
}

interface OpenFile {
  path: string;
  next: number;
  gunzip: Gunzip | null;
  consumer: Promise<void> | null;
  writer: FrameFileWriter | null;
  hash: ReturnType<typeof createHash>;
  bytes: number;
  failed: boolean;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Resolves on `drain`, `close` or `error` (a destroyed stream never drains). */
function drained(s: Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      s.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    s.on('drain', done).on('close', done).on('error', done);
  });
}

/** Verifies bytes only (nothing is kept). */
const verifyOnly: FrameSink = { open: () => ({ write() {}, commit() {}, discard() {} }) };

/**
 * Rebuilds files from frame lines pushed in log order (every non-frame line is ignored),
 * checking chunk order, sizes, lengths and sha256. `push` may be called without awaiting: lines
 * are handled in order.
 */
export class FrameDecoder {
  private queue: Promise<void> = Promise.resolve();
  private cur: OpenFile | null = null;
  private readonly seen = new Set<string>();
  private sent = 0;
  private lineNo = 0;
  private readonly report: FrameReport = { files: [], errors: [], incomplete: [], done: false, complete: false };

  constructor(private readonly sink: FrameSink = verifyOnly) {}

  /** Takes one log line (a trailing `\r` is ignored). */
  push(text: string): Promise<void> {
    const no = ++this.lineNo;
    const at = text.indexOf(FRAME_MARKER);
    if (at < 0 || at > MARKER_WITHIN) return this.queue;
    this.queue = this.queue.then(() => this.handle(text.slice(at + FRAME_MARKER.length).trim(), no));
    return this.queue;
  }

  /** Ends the stream: what arrived, what is missing and what was wrong. */
  async finish(): Promise<FrameReport> {
    await this.queue;
    const r = this.report;
    if (this.cur) {
      const c = this.cur;
      this.cur = null;
      r.incomplete.push(c.path);
      this.fail(c, `incomplete: the stream ended after ${c.next} chunk${c.next === 1 ? '' : 's'} with no end line`);
      await this.close(c, false);
    }
    if (!r.done) r.errors.push(`the stream ended before its final line: it was cut short (${r.files.length} file${r.files.length === 1 ? '' : 's'} complete)`);
    r.complete = r.done && r.errors.length === 0;
    return r;
  }

  private fail(c: OpenFile, reason: string): void {
    if (c.failed) return;
    c.failed = true;
    this.report.errors.push(`${c.path}: ${reason}`);
    c.gunzip?.destroy();
  }

  private async handle(json: string, no: number): Promise<void> {
    let f: Frame;
    try {
      f = JSON.parse(json) as Frame;
      if (typeof f !== 'object' || f === null || !['chunk', 'end', 'abort', 'done'].includes(f.t)) throw new Error('unknown frame type');
    } catch (err) {
      if (this.cur) this.fail(this.cur, `log line ${no}: not a valid frame (${(err as Error).message})`);
      else this.report.errors.push(`log line ${no}: not a valid frame (${(err as Error).message})`);
      return;
    }
    if (this.report.done) {
      if (!this.report.errors.includes('frames after the final line')) this.report.errors.push('frames after the final line');
      return;
    }
    if (f.t === 'done') return this.onDone(f.files);
    const path = typeof f.path === 'string' ? f.path : '';
    if (f.t === 'chunk' && f.n === 0 && this.cur?.path !== path) await this.begin(path);
    const c = this.cur;
    if (f.t === 'abort' && c?.path !== path) {
      // It failed before its first chunk.
      this.sent++;
      this.report.errors.push(`${path || '(no path)'}: the pod could not read it: ${String(f.reason)}`);
      return;
    }
    if (!c || c.path !== path) {
      this.report.errors.push(`${path || '(no path)'}: log line ${no}: a ${f.t} frame of a file that was not begun (its first chunk is lost)`);
      return;
    }
    if (f.t === 'chunk') return this.onChunk(c, f);
    this.cur = null;
    if (f.t === 'abort') {
      this.fail(c, `the pod could not read it: ${String(f.reason)}`);
      return this.close(c, false);
    }
    if (!c.failed && f.chunks !== c.next) this.fail(c, `${c.next} chunks arrived, the end line says ${f.chunks}`);
    if (!c.failed) {
      c.gunzip!.end();
      await c.consumer;
    }
    if (!c.failed && c.bytes !== f.bytes) this.fail(c, `${c.bytes} bytes rebuilt, the end line says ${f.bytes}`);
    const sha = c.hash.digest('hex');
    if (!c.failed && sha !== f.sha256) this.fail(c, `sha256 mismatch (a chunk is corrupt): rebuilt ${sha.slice(0, 12)}..., sent ${String(f.sha256).slice(0, 12)}...`);
    await this.close(c, !c.failed);
    if (!c.failed) this.report.files.push({ path: c.path, bytes: c.bytes, sha256: sha });
  }

  private async begin(path: string): Promise<void> {
    if (this.cur) {
      const prev = this.cur;
      this.report.incomplete.push(prev.path);
      this.fail(prev, `incomplete: ${path} began before its end line`);
      await this.close(prev, false);
    }
    this.sent++;
    const c: OpenFile = { path, next: 0, gunzip: null, consumer: null, writer: null, hash: createHash('sha256'), bytes: 0, failed: false };
    this.cur = c;
    if (!isSafeFramePath(path)) return this.fail(c, 'refused: not a relative path inside the folder');
    if (this.seen.has(path)) return this.fail(c, 'sent twice');
    this.seen.add(path);
    try {
      c.writer = await this.sink.open(path);
    } catch (err) {
      return this.fail(c, `cannot write it: ${(err as Error).message}`);
    }
    const g = createGunzip();
    c.gunzip = g;
    c.consumer = (async () => {
      for await (const out of g as AsyncIterable<Buffer>) {
        c.hash.update(out);
        c.bytes += out.length;
        await c.writer!.write(out);
      }
    })().catch((err: Error) => this.fail(c, c.failed ? '' : `corrupt data (${err.message})`));
  }

  private async onChunk(c: OpenFile, f: Extract<Frame, { t: 'chunk' }>): Promise<void> {
    if (c.failed) return void c.next++;
    if (f.n !== c.next) return this.fail(c, `chunk ${String(f.n)} where chunk ${c.next} was due (a chunk is lost or out of order)`);
    c.next++;
    const data = typeof f.data === 'string' ? f.data : '';
    if (data.length % 4 !== 0 || !BASE64.test(data)) return this.fail(c, `chunk ${f.n}: not base64`);
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length === 0 || bytes.length > FRAME_CHUNK_BYTES) return this.fail(c, `chunk ${f.n}: ${bytes.length} bytes, expected 1-${FRAME_CHUNK_BYTES}`);
    const g = c.gunzip!;
    // On an error or a destroy the consumer has recorded why; the wait ends either way.
    if (!g.write(bytes)) await drained(g);
  }

  private onDone(files: unknown): void {
    this.report.done = true;
    if (this.cur) {
      const c = this.cur;
      this.cur = null;
      this.report.incomplete.push(c.path);
      this.fail(c, 'incomplete: the final line came before its end line');
      void this.close(c, false);
    }
    if (files !== this.sent) this.report.errors.push(`the final line says ${String(files)} files were sent, ${this.sent} arrived (a file is lost)`);
  }

  private async close(c: OpenFile, keep: boolean): Promise<void> {
    c.gunzip?.destroy();
    await c.consumer;
    try {
      if (keep) await c.writer?.commit();
      else await c.writer?.discard();
    } catch (err) {
      this.fail(c, `cannot write it: ${(err as Error).message}`);
    }
  }
}
