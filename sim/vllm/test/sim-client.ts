/*
 * A deliberately small test client for the simulator: global fetch plus a hand-rolled SSE split.
 * It must not use the project's client rooms (lib/http, lib/sse, lib/apis): the simulator is
 * tested independently of them.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChunkLogEntry } from '../chunk-log.ts';

/** One SSE event as received. */
export interface ReceivedEvent {
  /** The `data:` payload. */
  data: string;
  /** Parsed JSON, or undefined for `[DONE]` and invalid JSON. */
  json: any;
  /** performance.now() when the bytes carrying its end arrived. */
  atMs: number;
}

/** A streamed response read to its end (or until the body failed). */
export interface StreamResult {
  status: number;
  headers: Headers;
  events: ReceivedEvent[];
  /** The body ended with an error (socket closed mid-stream). */
  bodyError: Error | null;
  sentMs: number;
  headersMs: number;
  endMs: number;
}

/** POSTs JSON; returns the fetch Response. */
export function post(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), signal: signal ?? null });
}

/** Reads SSE events from a response body, timestamping each at arrival. */
export async function readEvents(res: Response, onEvent?: (e: ReceivedEvent) => void): Promise<{ events: ReceivedEvent[]; bodyError: Error | null }> {
  const events: ReceivedEvent[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      const atMs = performance.now();
      buf += decoder.decode(part, { stream: true });
      let sep: number;
      while ((sep = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, sep);
        buf = buf.slice(sep + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        let json: unknown;
        try {
          json = data === '[DONE]' ? undefined : JSON.parse(data);
        } catch {
          json = undefined;
        }
        const ev = { data, json, atMs };
        events.push(ev);
        onEvent?.(ev);
      }
    }
    return { events, bodyError: null };
  } catch (err) {
    return { events, bodyError: err as Error };
  }
}

/** POSTs a streaming request and reads it to the end. */
export async function stream(url: string, body: unknown, headers: Record<string, string> = {}): Promise<StreamResult> {
  const sentMs = performance.now();
  const res = await post(url, body, headers);
  const headersMs = performance.now();
  const { events, bodyError } = await readEvents(res);
  return { status: res.status, headers: res.headers, events, bodyError, sentMs, headersMs, endMs: performance.now() };
}

/** Content events: chunks whose text/delta.content is non-empty. */
export function contentEvents(events: readonly ReceivedEvent[]): ReceivedEvent[] {
  return events.filter((e) => {
    const c = e.json?.choices?.[0];
    return typeof (c?.text ?? c?.delta?.content) === 'string' && (c.text ?? c.delta.content) !== '';
  });
}

/** A fresh temporary directory for this test file. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sim-test-'));
}

/** The chunk-log entries of a file. */
export function readChunkLog(path: string): ChunkLogEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ChunkLogEntry);
}

/** Waits until `check()` is true, polling every `everyMs`; throws after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000, everyMs = 5): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Parses Prometheus text into `name{labels}` -> value (comments skipped). */
export function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/** Fetches /metrics and returns the value of the series whose key starts with `prefix`. */
export async function metric(url: string, name: string, labels = ''): Promise<number> {
  const m = parseProm(await (await fetch(`${url}/metrics`)).text());
  for (const [k, v] of m) if (k.startsWith(`${name}{`) && k.includes(labels)) return v;
  throw new Error(`metric ${name} ${labels} not found`);
}

/** A response body parsed as JSON, loosely typed for assertions. */
export function json(res: Response): Promise<any> {
  return res.json();
}

/** POSTs JSON and parses the JSON answer. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  return json(await post(url, body, headers));
}

/** GETs a JSON document. */
export async function getJson(url: string): Promise<any> {
  return json(await fetch(url));
}
