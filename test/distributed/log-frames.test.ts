import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podExportCommand } from '../../cli/pod-export-command.ts';
import { collectFrames } from '../../lib/distributed/frame-collect.ts';
import { FrameDecoder } from '../../lib/distributed/frame-decoder.ts';
import { FRAME_CHUNK_BYTES, FRAME_MARKER, folderFrames, listFolder, writeFolderFrames } from '../../lib/distributed/log-frames.ts';

const temp = mkdtempSync(join(tmpdir(), 'frames-'));
const src = join(temp, 'src');
let lines: string[] = [];

/** A few-MB JSONL of records like the runner writes, not too compressible (random ids). */
function jsonl(records: number): string {
  const out: string[] = [];
  for (let i = 0; i < records; i++) out.push(JSON.stringify({ seq: i, id: randomBytes(12).toString('hex'), ttft_ms: Math.random() * 100, text: 'x'.repeat(i % 300) }));
  return `${out.join('\n')}\n`;
}

beforeAll(async () => {
  mkdirSync(join(src, 'run', 'deep', 'er'), { recursive: true });
  writeFileSync(join(src, 'pod.json'), '{"index":1}\n');
  writeFileSync(join(src, 'run', 'empty.txt'), '');
  writeFileSync(join(src, 'run', 'blob.bin'), randomBytes(50_000));
  writeFileSync(join(src, 'run', 'requests.jsonl'), jsonl(40_000));
  writeFileSync(join(src, 'run', 'deep', 'er', 'ünïcode name.json'), '{"ok":true}');
  lines = [];
  for await (const l of folderFrames(src)) lines.push(l);
});

afterAll(() => rmSync(temp, { recursive: true, force: true }));

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const frameOf = (l: string): Record<string, unknown> => JSON.parse(l.slice(FRAME_MARKER.length + 1)) as Record<string, unknown>;

/** The frames with noise between them, as a log would have them (kubelet prefix included). */
function noisy(ls: string[]): string {
  const out: string[] = ['pod-run: index 1 of 2', ' RUN  v4.1.12 /app'];
  ls.forEach((l, i) => {
    out.push(i % 7 === 3 ? `2026-12-06T19:00:00.123456789Z stdout F ${l}` : l);
    if (i % 5 === 0) out.push(`  ✓ suites/x.test.ts (1 test) ${i}ms`, '', `${FRAME_MARKER.slice(0, 10)} not a frame`);
  });
  return `${out.join('\r\n')}\r\n`;
}

function compare(dest: string): void {
  const files = listFolderSync(src);
  expect(listFolderSync(dest)).toEqual(files);
  for (const f of files) expect(sha(readFileSync(join(dest, f)))).toBe(sha(readFileSync(join(src, f))));
}

function listFolderSync(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFolderSync(dir, rel ? `${rel}/${e.name}` : e.name) : [rel ? `${rel}/${e.name}` : e.name]))
    .sort();
}

describe('writing frames', () => {
  it('sends every regular file by sorted relative path, in lines well under 16 KiB, ending with the file count', async () => {
    expect(await listFolder(src)).toEqual(['pod.json', 'run/blob.bin', 'run/deep/er/ünïcode name.json', 'run/empty.txt', 'run/requests.jsonl']);
    for (const l of lines) {
      expect(l.startsWith(`${FRAME_MARKER} {`)).toBe(true);
      expect(Buffer.byteLength(l)).toBeLessThan(4300);
      expect(l).not.toContain('\n');
    }
    const frames = lines.map(frameOf);
    expect(frames.at(-1)).toEqual({ t: 'done', files: 5 });
    const ends = frames.filter((f) => f.t === 'end');
    expect(ends.map((f) => f.path)).toEqual(await listFolder(src));
    const big = readFileSync(join(src, 'run', 'requests.jsonl'));
    expect(ends.find((f) => f.path === 'run/requests.jsonl')).toMatchObject({ bytes: big.length, sha256: sha(big) });
    expect(ends.find((f) => f.path === 'run/empty.txt')).toMatchObject({ bytes: 0, chunks: 1 });
    const chunks = frames.filter((f) => f.t === 'chunk' && f.path === 'run/requests.jsonl');
    expect(chunks.length).toBeGreaterThan(100);
    expect(chunks.map((f) => f.n)).toEqual(chunks.map((_f, i) => i));
    for (const c of chunks.slice(0, -1)) expect(Buffer.from(String(c.data), 'base64').length).toBe(FRAME_CHUNK_BYTES);
  });

  it('writeFolderFrames awaits the writer and counts the files', async () => {
    const got: string[] = [];
    const r = await writeFolderFrames(src, async (l) => {
      await new Promise((res) => setImmediate(res));
      got.push(l);
    });
    expect(r.files).toBe(5);
    expect(got.length).toBe(lines.length);
  });
});

describe('collecting frames', () => {
  it('rebuilds the folder byte for byte from a noisy log stream (Readable, CRLF, prefixes, small reads)', async () => {
    const dest = join(temp, 'dest-stream');
    const text = Buffer.from(noisy(lines));
    // Reads of 1000 bytes split lines and multi-byte characters.
    const parts: Buffer[] = [];
    for (let i = 0; i < text.length; i += 1000) parts.push(text.subarray(i, i + 1000));
    const r = await collectFrames(Readable.from(parts), dest);
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ done: true, complete: true, incomplete: [] });
    expect(r.files.map((f) => f.path)).toEqual(await listFolder(src));
    compare(dest);
  });

  it('rebuilds it from an async iterable of lines', async () => {
    const dest = join(temp, 'dest-lines');
    const r = await collectFrames((async function* () { yield* noisy(lines).split('\r\n'); })(), dest);
    expect(r.complete).toBe(true);
    compare(dest);
  });

  it('names the file a truncated stream cut, keeps the files before it, and says the end is missing', async () => {
    const dest = join(temp, 'dest-cut');
    const firstBig = lines.findIndex((l) => frameOf(l).path === 'run/requests.jsonl');
    const r = await collectFrames((async function* () { yield* lines.slice(0, firstBig + 20); })(), dest);
    expect(r.complete).toBe(false);
    expect(r.done).toBe(false);
    expect(r.incomplete).toEqual(['run/requests.jsonl']);
    expect(r.files.map((f) => f.path)).toEqual(['pod.json', 'run/blob.bin', 'run/deep/er/ünïcode name.json', 'run/empty.txt']);
    expect(r.errors[0]).toBe('run/requests.jsonl: incomplete: the stream ended after 20 chunks with no end line');
    expect(r.errors[1]).toMatch(/cut short/);
    expect(listFolderSync(dest)).toEqual(['pod.json', 'run/blob.bin', 'run/deep/er/ünïcode name.json', 'run/empty.txt']);
  });

  it('reports a corrupt chunk, a lost chunk, a tampered end line and a lost file', async () => {
    const run = async (edit: (ls: string[]) => string[]): Promise<string[]> => {
      const d = new FrameDecoder();
      for (const l of edit([...lines])) void d.push(l);
      const r = await d.finish();
      expect(r.complete).toBe(false);
      return r.errors;
    };
    const idx = (path: string, n: number): number => lines.findIndex((l) => { const f = frameOf(l); return f.path === path && f.n === n; });
    // A character flipped inside a chunk of the jsonl.
    expect(await run((ls) => {
      const i = idx('run/requests.jsonl', 3);
      const f = frameOf(ls[i]!);
      const data = String(f.data);
      ls[i] = `${FRAME_MARKER} ${JSON.stringify({ ...f, data: `${data.slice(0, 100)}${data[100] === 'A' ? 'B' : 'A'}${data.slice(101)}` })}`;
      return ls;
    })).toEqual([expect.stringMatching(/^run\/requests\.jsonl: (corrupt data|sha256 mismatch)/)]);
    expect(await run((ls) => ls.filter((_l, i) => i !== idx('run/blob.bin', 5)))).toEqual(['run/blob.bin: chunk 6 where chunk 5 was due (a chunk is lost or out of order)']);
    expect(await run((ls) => ls.map((l) => (l.includes('"t":"end","path":"pod.json"') ? l.replace(/"sha256":"[0-9a-f]{4}/, '"sha256":"0000') : l)))).toEqual([expect.stringMatching(/^pod\.json: sha256 mismatch/)]);
    expect(await run((ls) => ls.filter((l) => frameOf(l).path !== 'run/empty.txt'))).toEqual(['the final line says 5 files were sent, 4 arrived (a file is lost)']);
  });

  it('refuses paths that leave the destination', async () => {
    const dest = join(temp, 'dest-evil');
    const evil = lines.filter((l) => frameOf(l).path === 'pod.json').map((l) => l.replace('"path":"pod.json"', '"path":"../escaped.json"'));
    const r = await collectFrames((async function* () { yield* evil; })(), dest);
    expect(r.errors[0]).toBe('../escaped.json: refused: not a relative path inside the folder');
    expect(readdirSync(temp)).not.toContain('escaped.json');
  });
});

describe('vitest-llm-d pod-export', () => {
  const capture = () => {
    const io = { outText: '', errText: '', out(t: string) { io.outText += t; }, err(t: string) { io.errText += t; } };
    return io;
  };

  it('sends a folder as the frames a launcher decodes back, byte for byte', async () => {
    const io = capture();
    expect(await podExportCommand.run([src], io)).toBe(0);
    expect(io.errText).toBe(`pod-export: sent 5 files of ${src} as frames\n`);
    const dest = join(temp, 'dest-export');
    const r = await collectFrames((async function* () { yield* io.outText.split('\n').filter(Boolean); })(), dest);
    expect(r.complete, r.errors.join('; ')).toBe(true);
    for (const rel of await listFolder(src)) expect(sha(readFileSync(join(dest, rel)))).toBe(sha(readFileSync(join(src, rel))));
  });

  it('a missing folder or a wrong call is one line and exit 2, nothing on stdout', async () => {
    const io = capture();
    expect(await podExportCommand.run([join(temp, 'nope')], io)).toBe(2);
    expect(io.errText).toBe(`pod-export: ${join(temp, 'nope')}: no such folder (nothing was written there)\n`);
    expect(io.outText).toBe('');
    const none = capture();
    expect(await podExportCommand.run([], none)).toBe(2);
    expect(none.errText).toContain('pod-export: a folder is required');
  });
});
