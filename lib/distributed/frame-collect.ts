/**
 * A folder rebuilt from a pod's log: the lines of a log stream, a sink that writes each verified
 * file under a destination folder, and the two put together around a `FrameDecoder`.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { FrameDecoder, type FrameReport, type FrameSink } from './frame-decoder.ts';
import { isSafeFramePath } from './log-frames.ts';

/** A longer line cannot be a frame: only its start is kept while it is split out of a stream. */
const MAX_LINE = 64 * 1024;

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
