/**
 * A results folder carried through a pod's log as text lines (frames), so the launcher rebuilds
 * it byte for byte from `kubectl logs` without a shared volume.
 *
 * Frame format: one line `@@vitest-llm-d/frame@1 <json>` per frame, where the JSON is one of
 * - `{"t":"chunk","path":"<rel>","n":<k>,"data":"<base64>"}`: chunk k (0, 1, ...) of the file's
 *   gzip stream, at most 3 KiB before base64 (a line stays near 4 KiB, well under the 16 KiB at
 *   which container runtimes split log lines);
 * - `{"t":"end","path":"<rel>","chunks":<k>,"bytes":<n>,"sha256":"<hex>"}`: the file is complete;
 *   bytes and sha256 are of the original (uncompressed) bytes;
 * - `{"t":"abort","path":"<rel>","reason":"..."}`: the pod could not read the file to its end;
 * - `{"t":"done","files":<n>}`: the last line; n files were sent (ended or aborted).
 * Files are every regular file under the folder, by relative `/`-separated path in sorted order,
 * one after another. Anything else in the log (vitest's output, status lines, a kubelet prefix
 * before the marker) is ignored.
 *
 * Both directions stream: a file is read, hashed, compressed and cut as it goes; a decoder writes
 * each chunk through gunzip to disk as it arrives. Memory stays a few stream buffers, whatever
 * the file sizes (a 200 MB `requests.jsonl` is never one string or buffer).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip, type Gunzip } from 'node:zlib';

/** What starts every frame line. */
export const FRAME_MARKER = '@@vitest-llm-d/frame@1';
/** Largest chunk of a file's gzip stream in one frame, bytes (before base64). */
export const FRAME_CHUNK_BYTES = 3072;
/** The marker is looked for this far into a line (room for a log timestamp prefix). */
const MARKER_WITHIN = 256;
/** A longer line cannot be a frame: only its start is kept while it is split out of a stream. */
const MAX_LINE = 64 * 1024;

/** One frame's JSON. */
export type Frame =
  | { t: 'chunk'; path: string; n: number; data: string }
  | { t: 'end'; path: string; chunks: number; bytes: number; sha256: string }
  | { t: 'abort'; path: string; reason: string }
  | { t: 'done'; files: number };

const line = (f: Frame): string => `${FRAME_MARKER} ${JSON.stringify(f)}`;

/** Regular files under `dir` (symbolic links not followed), as sorted `/`-separated relative paths. */
export async function listFolder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk('');
  return out.sort();
}

/** The frame lines (without newline) of every regular file under `dir`, ending with the `done` line. */
export async function* folderFrames(dir: string): AsyncGenerator<string> {
  for await (const f of frames(dir)) yield line(f);
}

async function* frames(dir: string): AsyncGenerator<Frame> {
  let sent = 0;
  for (const rel of await listFolder(dir)) {
    let fh;
    try {
      fh = await open(join(dir, ...rel.split('/')), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed since the listing
      throw err;
    }
    sent++;
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(c: Buffer, _enc, cb) {
        hash.update(c);
        bytes += c.length;
        cb(null, c);
      },
    });
    const gz = pipeline(fh.createReadStream(), tap, createGzip(), () => {});
    const buf = Buffer.allocUnsafe(FRAME_CHUNK_BYTES);
    let fill = 0;
    let n = 0;
    try {
      for await (const z of gz as AsyncIterable<Buffer>) {
        for (let off = 0; off < z.length; ) {
          const take = Math.min(FRAME_CHUNK_BYTES - fill, z.length - off);
          z.copy(buf, fill, off, off + take);
          fill += take;
          off += take;
          if (fill === FRAME_CHUNK_BYTES) {
            yield { t: 'chunk', path: rel, n: n++, data: buf.toString('base64') };
            fill = 0;
          }
        }
      }
    } catch (err) {
      yield { t: 'abort', path: rel, reason: (err as Error).message };
      continue;
    }
    if (fill > 0) yield { t: 'chunk', path: rel, n: n++, data: buf.subarray(0, fill).toString('base64') };
    yield { t: 'end', path: rel, chunks: n, bytes, sha256: hash.digest('hex') };
  }
  yield { t: 'done', files: sent };
}

/**
 * Writes the frames of `dir` through `write` (one line each, without newline; a returned promise
 * is awaited, so a stream's backpressure holds the reading). Resolves to the files sent.
 */
export async function writeFolderFrames(dir: string, write: (line: string) => void | Promise<void>): Promise<{ files: number }> {
  let files = 0;
  for await (const f of frames(dir)) {
    if (f.t === 'done') files = f.files;
    await write(line(f));
  }
  return { files };
}

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

/** Whether `p` is a relative path that stays inside the folder it is resolved in. */
export function isSafeFramePath(p: string): boolean {
  if (p.length === 0 || p.length > 1024 || p.includes('\\') || p.includes('\0') || p.startsWith('/') || /^[A-Za-z]:/.test(p)) return false;
  return p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
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

/** A sink writing under `destDir`: each file goes to `<path>.partial` and is renamed when verified. */
export function folderSink(destDir: string): FrameSink {
  const root = resolve(destDir);
  return {
    async open(path) {
      const target = resolve(root, ...path.split('/'));
      const rel = relative(root, target);
      if (!isSafeFramePath(path) || rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) throw new Error(`refused: ${path} is outside ${destDir}`);
      await mkdir(dirname(target), { recursive: true });
      const partial = `${target}.partial`;
      const ws = createWriteStream(partial);
      await once(ws, 'open');
      return {
        async write(b) {
          if (!ws.write(b)) await once(ws, 'drain');
        },
        async commit() {
          await new Promise<void>((res, rej) => ws.end((err?: Error | null) => (err ? rej(err) : res())));
          await rename(partial, target);
        },
        async discard() {
          ws.destroy();
          await unlink(partial).catch(() => {});
        },
      };
    },
  };
}

/** Lines of a text stream (`\n`-separated, `\r` dropped); a line past 64 KiB is cut to its start. */
export async function* linesOf(input: Readable | AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  const dec = new StringDecoder('utf8');
  let parts: string[] = [];
  let size = 0;
  const keep = (s: string): void => {
    if (size < MAX_LINE) parts.push(s.slice(0, MAX_LINE - size));
    size += s.length;
  };
  for await (const chunk of input as AsyncIterable<string | Buffer>) {
    const s = typeof chunk === 'string' ? chunk : dec.write(chunk);
    let from = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', from)) {
      keep(s.slice(from, nl));
      yield parts.join('').replace(/\r$/, '');
      parts = [];
      size = 0;
      from = nl + 1;
    }
    if (from < s.length) keep(s.slice(from));
  }
  const rest = dec.end();
  if (rest) keep(rest);
  if (parts.length) yield parts.join('').replace(/\r$/, '');
}

/**
 * Rebuilds the folder sent as frames into `destDir`, each file written as it completes (paths
 * that would leave `destDir` are refused). `lines` are lines (an async iterable of strings) or a
 * text stream (a `Readable`, split into lines here).
 */
export async function collectFrames(lines: AsyncIterable<string> | Readable, destDir: string): Promise<FrameReport> {
  const decoder = new FrameDecoder(folderSink(destDir));
  const source = lines instanceof Readable ? linesOf(lines) : lines;
  for await (const l of source) await decoder.push(l);
  return decoder.finish();
}
