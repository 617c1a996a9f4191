/**
 * The channel that carries live progress from the benchmark workers (Vitest's forked test
 * processes) to the progress reporter in the main process: a local socket (a unix socket in the
 * temp folder; a named pipe on Windows) that the reporter listens on, its path handed to the
 * workers in `PROGRESS_ENV`. One JSON message a line.
 *
 * Worker side: `progressFromEnv()` gives `runScenario` a hook that, for one run, connects, reads
 * the run's counters on a timer (1 s) and sends a sample per tick, then an `end` message. Nothing
 * of it exists when the variable is not set: no timer, no socket, no work per request.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROGRESS_ENV, RateMeter, type ProgressCounters, type ProgressMessage, type ProgressSample } from './progress.ts';

/**
 * Starts reporting one run's progress: `read` is called once a tick (never per request) and must
 * only read counters the run keeps anyway. Returns the function that stops it (sends `end`).
 */
export type ProgressHook = (test: string, read: () => ProgressCounters) => () => void;

/** Default sampling interval, ms. */
export const PROGRESS_INTERVAL_MS = 1000;

/** Bytes queued on the socket past which ticks are skipped (a reporter that stopped reading). */
const MAX_QUEUED = 64 * 1024;

let runs = 0;

/**
 * The progress hook for this process: one sending to the socket in `env[PROGRESS_ENV]`, or null
 * when it is not set (no progress reporter, stdout not a terminal, CI).
 */
export function progressFromEnv(env: NodeJS.ProcessEnv = process.env, intervalMs = PROGRESS_INTERVAL_MS): ProgressHook | null {
  const path = env[PROGRESS_ENV];
  return path ? (test, read) => emitProgress(path, test, read, intervalMs) : null;
}

/**
 * Connects to the receiver at `path` and sends a sample of `read()` every `intervalMs`, plus one
 * at once. Every failure (no receiver, receiver gone) silently ends the reporting: progress must
 * never fail or slow a run. The socket and timer are unref'd: they never keep a process alive.
 */
export function emitProgress(path: string, test: string, read: () => ProgressCounters, intervalMs = PROGRESS_INTERVAL_MS): () => void {
  const id = `${process.pid}-${++runs}`;
  const meter = new RateMeter();
  let socket: Socket | null = createConnection(path);
  socket.unref();
  socket.setNoDelay?.(true);
  const off = (): void => {
    clearInterval(timer);
    socket?.destroy();
    socket = null;
  };
  socket.on('error', off);
  socket.on('close', off);
  const send = (m: ProgressMessage): void => {
    if (socket && socket.writableLength < MAX_QUEUED) socket.write(`${JSON.stringify(m)}\n`);
  };
  const tick = (): void => {
    let c: ProgressCounters;
    try {
      c = read();
    } catch {
      return off();
    }
    const now = performance.now();
    const sample: ProgressSample = {
      id,
      test,
      phase: c.phase,
      stage: c.stage,
      stageNumber: c.stageNumber,
      stages: c.stages,
      done: c.done,
      total: c.total,
      errors: c.errors,
      elapsedMs: c.startedAt === null ? 0 : now - c.startedAt,
      durationMs: c.durationMs,
      rate: c.phase === 'stage' ? meter.add(c.stageNumber, now, c.done) : null,
    };
    send({ type: 'progress', ...sample });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return () => {
    if (!socket) return;
    send({ type: 'end', id });
    clearInterval(timer);
    socket.end();
  };
}

/** The main-process end of the channel. */
export interface ProgressReceiver {
  /** Socket path to put in the workers' `PROGRESS_ENV`. */
  readonly path: string;
  close(): Promise<void>;
}

/** A fresh socket path, unique to this process. */
function socketPath(): string {
  const name = `llmd-progress-${process.pid}-${randomBytes(4).toString('hex')}`;
  return process.platform === 'win32' ? `\\\\.\\pipe\\${name}` : join(tmpdir(), `${name}.sock`);
}

/**
 * Listens for workers' progress and hands each well-formed message to `onMessage`. Lines that
 * are not JSON messages are ignored; a connection that closes without `end` gets a synthetic
 * `end` for the runs it reported (a worker that crashed leaves no stale line behind).
 */
export async function openProgressReceiver(onMessage: (m: ProgressMessage) => void): Promise<ProgressReceiver> {
  const path = socketPath();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    const ids = new Set<string>();
    let rest = '';
    socket.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      if (rest.length > MAX_QUEUED) rest = '';
      for (const line of lines) {
        const m = parseMessage(line);
        if (!m) continue;
        if (m.type === 'end') ids.delete(m.id);
        else ids.add(m.id);
        onMessage(m);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      for (const id of ids) onMessage({ type: 'end', id });
    });
  });
  server.unref();
  // A process that exits without closing the receiver (a signal, process.exit) leaves no socket file behind.
  const unlink = (): void => {
    if (process.platform !== 'win32') rmSync(path, { force: true });
  };
  process.once('exit', unlink);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          process.off('exit', unlink);
          unlink();
          resolve();
        });
      }),
  };
}

/** A channel line as a message, or null when it is not one. */
function parseMessage(line: string): ProgressMessage | null {
  if (!line) return null;
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null) return null;
  const o = m as Record<string, unknown>;
  if (typeof o.id !== 'string') return null;
  if (o.type === 'end') return { type: 'end', id: o.id };
  if (o.type !== 'progress' || typeof o.test !== 'string' || typeof o.done !== 'number' || typeof o.errors !== 'number') return null;
  return m as ProgressMessage;
}
