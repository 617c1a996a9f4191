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
 * the file sizes (a 200 MB `requests.jsonl` is never one string or buffer). This module holds the
 * format and the sending side; `frame-decoder.ts` checks and rebuilds files from frames, and
 * `frame-collect.ts` rebuilds a folder from a pod's log.
 */
import { createHash } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';

/** What starts every frame line. */
export const FRAME_MARKER = '@@vitest-llm-d/frame@1';
/** Largest chunk of a file's gzip stream in one frame, bytes (before base64). */
export const FRAME_CHUNK_BYTES = 3072;

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
/** Whether `p` is a relative path that stays inside the folder it is resolved in. */
export function isSafeFramePath(p: string): boolean {
  if (p.length === 0 || p.length > 1024 || p.includes('\\') || p.includes('\0') || p.startsWith('/') || /^[A-Za-z]:/.test(p)) return false;
  return p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
