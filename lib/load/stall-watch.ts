import { closeSync, openSync, readSync } from 'node:fs';
import type { RequestRecord } from '../metrics/record.ts';
import type { RequestStall, Stall, StallSummary } from '../report/load.ts';

export type { RequestStall, Stall, StallSummary };

/** Fields of `/proc/<pid>/task/<tid>/schedstat`: ns on a CPU, ns waiting on a run queue, timeslices run. */
export interface Schedstat {
  runNs: number;
  waitNs: number;
  slices: number;
}

/** Parses a schedstat line (`<run ns> <wait ns> <timeslices>`, Documentation/scheduler/sched-stats.rst); null when malformed. */
export function parseSchedstat(text: string): Schedstat | null {
  const m = /^(\d+) (\d+) (\d+)\s*$/.exec(text);
  if (!m) return null;
  return { runNs: Number(m[1]), waitNs: Number(m[2]), slices: Number(m[3]) };
}

/**
 * Reads the calling thread's run-queue wait (ns) from `/proc/thread-self/schedstat`, kept open
 * and read with one `pread` each time (about 4 µs). `/proc/thread-self` names the thread that
 * opened it, so a reader belongs to the thread that created it.
 */
export class SchedstatReader {
  private readonly buf = Buffer.alloc(96);

  private constructor(private fd: number | null) {}

  /** A reader of this thread's schedstat, or null where there is none (not Linux, schedstats off). */
  static open(path = '/proc/thread-self/schedstat'): SchedstatReader | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return null;
    }
    const reader = new SchedstatReader(fd);
    if (reader.read() === null) {
      reader.close();
      return null;
    }
    return reader;
  }

  /** The whole parsed line, or null if it cannot be read. */
  read(): Schedstat | null {
    if (this.fd === null) return null;
    try {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
      return parseSchedstat(this.buf.toString('latin1', 0, n));
    } catch {
      return null;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Period of the watch's timer, ms: while the thread is idle it is seen running at least this often
 * (plus up to 1 ms of timer rounding), so a stall's bounds and length include up to about 3 ms of
 * idle time. 1 ms for limits under 8 ms (limits under 3 ms cannot tell an idle thread from a stalled one).
 */
export const STALL_TICK_MS = 2;

/** Ticks between two reads of the run-queue wait (and at each stall seen): about every 10 ms. */
const SCHEDSTAT_EVERY = 5;

/**
 * Watches the measuring thread for stalls, as intervals. The thread is seen running whenever its
 * 2 ms timer fires and whenever the runner hands it a finished request (`mark`); a gap between
 * two sightings longer than `limitMs` is a stall (an idle loop is seen every 2-3 ms: only a
 * blocked loop or a thread kept off the CPU leaves a longer gap). The run-queue wait, read every
 * fifth tick and at each stall, says how much of a stall the thread spent waiting for a CPU (at
 * most: a wait just before the stall may count).
 *
 * A request is marked when its measured interval, from `sent` to `end`, overlaps a stall by more
 * than `limitMs`: only a stall inside that interval moves its TTFT, ITL or E2E. A request
 * timestamp inside a gap shows the thread ran then, so only the part of the gap within the
 * request's interval counts (a request sent just after a stall ended is not marked for it).
 *
 * Cost (`npm run bench`, stall watch lines): a timer callback every 2 ms and a 6 µs schedstat read
 * every 10 ms; per finished request one clock read and a look back over the stalls that could
 * overlap it (0.25 µs).
 */
export class StallWatch {
  /** Stalls seen so far, in order. */
  readonly stalls: Stall[] = [];
  /** Timer callbacks run so far. */
  ticks = 0;
  private sched: SchedstatReader | null = null;
  private readonly useSchedstat: boolean;
  /** Whether the run-queue wait could be read (schedstat opened at `start`). */
  private schedstat = false;
  private timer: NodeJS.Timeout | null = null;
  /** Last sighting of the thread running, and the run-queue wait (ns) read at the last tick. */
  private last = 0;
  private lastWaitNs = 0;

  /** Period of its timer, ms. */
  readonly periodMs: number;

  constructor(
    readonly limitMs: number,
    options: { schedstat?: boolean; periodMs?: number } = {},
  ) {
    this.useSchedstat = options.schedstat !== false;
    this.periodMs = options.periodMs ?? (limitMs >= 8 ? STALL_TICK_MS : 1);
  }

  /** Starts watching (idempotent). */
  start(): void {
    if (this.timer) return;
    // Opened by the thread it watches: `/proc/thread-self` names the opener.
    if (this.useSchedstat && !this.sched) this.sched = SchedstatReader.open();
    this.schedstat ||= this.sched !== null;
    this.last = performance.now();
    this.lastWaitNs = this.sched?.read()?.waitNs ?? 0;
    this.timer = setInterval(this.tick, this.periodMs);
    this.timer.unref();
  }

  /** Stops watching, closing a stall still open, and releases the schedstat file. */
  stop(): void {
    if (this.timer) {
      this.tick();
      clearInterval(this.timer);
      this.timer = null;
    }
    this.sched?.close();
    this.sched = null;
  }

  /** Marks `r` (`r.stall`) with the longest stall its [sent, end] overlapped by more than the limit; call as it is handed on. */
  mark(r: RequestRecord): void {
    if (this.timer) this.seen(performance.now(), null);
    if (r.sent === null || this.stalls.length === 0) return;
    const s = this.overlapping(r.sent, r.end);
    if (s) r.stall = { start: s.start, ms: s.end - s.start, runQueueMs: s.runQueueMs };
  }

  /** The longest stall overlapping [from, to] by more than the limit, or null. */
  overlapping(from: number, to: number): Stall | null {
    let best: Stall | null = null;
    for (let k = this.stalls.length - 1; k >= 0; k--) {
      const s = this.stalls[k]!;
      if (s.end <= from) break;
      const overlap = Math.min(to, s.end) - Math.max(from, s.start);
      if (overlap > this.limitMs && (!best || s.end - s.start > best.end - best.start)) best = s;
    }
    return best;
  }

  /** Stalls that began in [from, to). */
  summary(from = -Infinity, to = Infinity): StallSummary {
    let count = 0;
    let longestMs = 0;
    for (const s of this.stalls) {
      if (s.start < from || s.start >= to) continue;
      count++;
      if (s.end - s.start > longestMs) longestMs = s.end - s.start;
    }
    return { count, longestMs, limitMs: this.limitMs, schedstat: this.schedstat };
  }

  private readonly tick = (): void => {
    const read = ++this.ticks % SCHEDSTAT_EVERY === 0;
    this.seen(performance.now(), read ? (this.sched?.read()?.waitNs ?? null) : null);
  };

  /** The thread runs at `now`; `waitNs` is its run-queue wait read then (null: not read). */
  private seen(now: number, waitNs: number | null): void {
    if (now - this.last > this.limitMs) {
      const w = waitNs ?? this.sched?.read()?.waitNs ?? null;
      // The wait since the last read, which may predate the stall by up to SCHEDSTAT_EVERY ticks: at most the stall's length.
      const runQueueMs = w === null ? null : Math.min(now - this.last, Math.max(0, (w - this.lastWaitNs) / 1e6));
      this.stalls.push({ start: this.last, end: now, runQueueMs });
      if (w !== null) this.lastWaitNs = w;
    } else if (waitNs !== null) this.lastWaitNs = waitNs;
    this.last = now;
  }
}
