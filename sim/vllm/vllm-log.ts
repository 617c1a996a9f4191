import { nowUs } from './chunk-log.ts';

/** One line of a simulated vLLM instance's log. */
export interface SimLogEntry {
  /** Position in the log, from 0 (keeps counting when old lines are dropped). */
  seq: number;
  /** `process.hrtime.bigint() / 1000n` when it was written: the chunk log's clock. */
  timeUs: number;
  /** The wall time printed in the line, in ms since 1970 (the `wallClockMs` in use). */
  wallMs: number;
  /** The text, without a trailing newline, exactly as vLLM prints it. */
  line: string;
}

/** Which vLLM process writes a line: the API server or the engine core. */
export type LogSource = 'api' | 'engine';

/** Where in vLLM a message comes from (file:line as vLLM 0.11 prints them; illustrative). */
export const LOG_SITES = {
  version: 'api_server.py:1839',
  devMode: 'api_server.py:1226',
  starting: 'api_server.py:1971',
  wakeRequest: 'api_server.py:1053',
  isSleeping: 'api_server.py:1061',
  executor: 'abstract.py:288',
  worker: 'gpu_worker.py:117',
} as const;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** vLLM's log time: `%m-%d %H:%M:%S` (UTC here). */
export function vllmLogTime(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** A Python list of strings as `repr` prints it: `['weights', 'kv_cache']`. */
export function pyList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

/** A Python set of strings as `repr` prints it (`{'weights', 'kv_cache'}`; `set()` when empty). */
export function pySet(items: readonly string[]): string {
  return items.length === 0 ? 'set()' : `{${items.map((s) => `'${s}'`).join(', ')}}`;
}

/**
 * The in-memory log of one simulated vLLM instance: the lines vLLM prints for the events the
 * simulator models, in vLLM's format (`(APIServer pid=N) INFO 11-23 13:08:50 [file.py:123] msg`,
 * uvicorn's `INFO:     msg`), each stamped on the shared monotonic clock. Keeps the last
 * `maxLines` lines; listeners see every line as it is written.
 */
export class VllmLog {
  private readonly lines: SimLogEntry[] = [];
  private head = 0;
  private nextSeq = 0;
  private readonly listeners = new Set<(e: SimLogEntry) => void>();

  constructor(
    private readonly maxLines: number,
    private readonly wallClockMs: () => number = Date.now,
    private readonly pid: number = process.pid,
  ) {}

  /** A vLLM logger line (`INFO`, `WARNING`, `ERROR`) from `source` at `site`. */
  write(source: LogSource, level: 'INFO' | 'WARNING' | 'ERROR', site: string, message: string): SimLogEntry {
    const wallMs = this.wallClockMs();
    return this.append(`${this.prefix(source)} ${level} ${vllmLogTime(wallMs)} [${site}] ${message}`, wallMs);
  }

  /** A uvicorn line from the API server (`INFO:     Application startup complete.`). */
  uvicorn(message: string): SimLogEntry {
    return this.append(`${this.prefix('api')} INFO:     ${message}`, this.wallClockMs());
  }

  /** Lines kept, oldest first; with `sinceSeq`, only those whose `seq` is at least that. */
  entries(sinceSeq = 0): SimLogEntry[] {
    const kept = this.lines.slice(this.head);
    return sinceSeq <= 0 ? kept : kept.filter((e) => e.seq >= sinceSeq);
  }

  /** The kept lines as a log file's text (one line each, newline-terminated). */
  text(): string {
    let out = '';
    for (let i = this.head; i < this.lines.length; i++) out += `${this.lines[i]!.line}\n`;
    return out;
  }

  /** Calls `fn` for every line written from now on; returns the function that stops it. */
  subscribe(fn: (e: SimLogEntry) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  private prefix(source: LogSource): string {
    return source === 'api' ? `(APIServer pid=${this.pid})` : `(EngineCore_DP0 pid=${this.pid})`;
  }

  private append(line: string, wallMs: number): SimLogEntry {
    const entry: SimLogEntry = { seq: this.nextSeq++, timeUs: nowUs(), wallMs, line };
    this.lines.push(entry);
    if (this.lines.length - this.head > this.maxLines) this.head++;
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines.splice(0, this.head);
      this.head = 0;
    }
    for (const fn of this.listeners) {
      try {
        fn(entry);
      } catch (err) {
        // A failing listener must not break the server that logs.
        process.emitWarning(`vLLM simulator log listener failed: ${(err as Error).message}`);
      }
    }
    return entry;
  }
}
