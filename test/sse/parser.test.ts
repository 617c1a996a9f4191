import { describe, expect, test } from 'vitest';
import { SseParser } from '../../lib/sse/parser.ts';

type Ev = { data: string; time: number; type: string | null };

function parseChunks(chunks: Uint8Array[], raw = false): { events: Ev[]; pending: boolean; rawCount: number } {
  const events: Ev[] = [];
  let rawCount = 0;
  const p = new SseParser(
    (data, time, type) => events.push({ data, time, type }),
    raw
      ? (buf, start, end, time, type) => {
          rawCount++;
          events.push({ data: buf.toString('utf8', start, end), time, type });
        }
      : undefined,
  );
  chunks.forEach((c, i) => p.push(c, i));
  return { events, pending: p.end(), rawCount };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Every way of cutting `bytes` in two, plus one byte at a time. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
  return out;
}

const STREAM =
  '\uFEFF: keep-alive comment\n' +
  'data: {"a":1}\n\n' +
  'event: ping\r\ndata: line one\r\ndata: line two\r\n\r\n' +
  'data:no-space\r\rdata:  two spaces\n\n' +
  'id: 7\nretry: 100\ndata: é漢🙂\n\n' +
  'data\n\n' +
  'data: [DONE]\n\n';

const EXPECTED = [
  { data: '{"a":1}', type: null },
  { data: 'line one\nline two', type: 'ping' },
  { data: 'no-space', type: null },
  { data: ' two spaces', type: null },
  { data: 'é漢🙂', type: null },
  { data: '', type: null },
  { data: '[DONE]', type: null },
];

describe('SseParser', () => {
  test('parses LF, CRLF and CR line ends, comments, multi-line data, event types, BOM and UTF-8', () => {
    const { events, pending } = parseChunks([enc(STREAM)]);
    expect(events.map(({ data, type }) => ({ data, type }))).toEqual(EXPECTED);
    expect(pending).toBe(false);
  });

  test('gives the same events however the bytes are split, at every boundary, with and without raw events', () => {
    for (const raw of [false, true]) {
      for (const chunks of splits(enc(STREAM))) {
        const { events } = parseChunks(chunks, raw);
        expect(events.map(({ data, type }) => ({ data, type }))).toEqual(EXPECTED);
      }
    }
  });

  test('hands single-line events over as bytes when the whole event is in one chunk, and only then', () => {
    const whole = parseChunks([enc('data: {"a":1}\n\ndata: x\ndata: y\n\ndata: z\n')], true);
    expect(whole.rawCount).toBe(1); // the multi-line event and the unfinished one are strings
    const split = parseChunks([enc('data: {"a":'), enc('1}\n\n')], true);
    expect(split.events.map((e) => e.data)).toEqual(['{"a":1}']);
    expect(split.rawCount).toBe(0); // carried across chunks: made a string
    const lineThenBlank = parseChunks([enc('data: {"a":1}\n'), enc('\n')], true);
    expect(lineThenBlank.events.map((e) => [e.data, e.time])).toEqual([['{"a":1}', 1]]);
  });

  test('a CRLF split between chunks is one line break, not two', () => {
    const { events } = parseChunks([enc('data: x\r'), enc('\ndata: y\r'), enc('\n\r\n')]);
    expect(events.map((e) => e.data)).toEqual(['x\ny']);
  });

  test('stamps each event with the time of the chunk holding its terminating blank line', () => {
    const { events } = parseChunks([enc('data: a\n'), enc('\ndata: b\n\nda'), enc('ta: c\n'), enc('\n')]);
    expect(events.map((e) => [e.data, e.time])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 3],
    ]);
  });

  test('reports an event left incomplete at the end of the stream and does not dispatch it', () => {
    const { events, pending } = parseChunks([enc('data: a\n\ndata: {"cut":')]);
    expect(events.map((e) => e.data)).toEqual(['a']);
    expect(pending).toBe(true);
  });

  test('carries only the unfinished line, so a long stream in small chunks stays linear', () => {
    const event = `data: ${JSON.stringify({ choices: [{ text: 'x'.repeat(40) }] })}\n\n`;
    const body = enc(event.repeat(20_000));
    let n = 0;
    const p = new SseParser(() => n++);
    for (let i = 0; i < body.length; i += 7) p.push(body.subarray(i, i + 7), 0);
    expect(n).toBe(20_000);
  });
});
