/**
 * The live progress line of a long stage: what a benchmark worker samples once a second, the
 * message it sends to the reporter in the main process, and the line the reporter draws, fitted
 * to the terminal's width. Pure: no I/O, no clocks (times are passed in).
 *
 * The channel (a local socket, one JSON message a line) is in `channel.ts`; the main process's
 * side, which draws the lines, is `reporters/progress-reporter.ts`.
 */

/** Environment variable carrying the reporter's socket path to the worker processes. */
export const PROGRESS_ENV = 'LLMD_PROGRESS_SOCKET';

/** What a run reports about itself at one sampling tick (`runScenario`'s `progress` reader). */
export interface ProgressCounters {
  /** `preparing` (building prompts), `warm-up`, or `stage` (measuring). */
  phase: 'preparing' | 'warm-up' | 'stage';
  /** The stage's label (`concurrency 64`, `rate 5/s`, a ramp phase), or null outside a stage. */
  stage: string | null;
  /** 1-based index of the stage being run or prepared, and the planned count (null: unknown, e.g. a search). */
  stageNumber: number;
  stages: number | null;
  /** Measured requests of the stage finished (successful or not), and its count bound (null: duration-bounded). */
  done: number;
  total: number | null;
  /** Failed requests among `done`. */
  errors: number;
  /** `performance.now()` when the stage started sending (null before it starts). */
  startedAt: number | null;
  /** The stage's time bound, ms (null: count-bounded). */
  durationMs: number | null;
}

/** One progress message, worker to reporter: a run's counters at one tick, with the time since its stage started instead of the worker's clock reading. */
export interface ProgressSample extends Omit<ProgressCounters, 'startedAt'> {
  /** Identifies one run (worker pid and a sequence number): several may run at once. */
  id: string;
  /** `suite/scenario`. */
  test: string;
  /** Time since the stage started sending, ms (0 outside a stage). */
  elapsedMs: number;
  /** Requests finished per second over the last few seconds, null until two ticks of a stage. */
  rate: number | null;
}

/** Messages on the channel, one JSON object a line. */
export type ProgressMessage = ({ type: 'progress' } & ProgressSample) | { type: 'end'; id: string };

/**
 * Finished requests per second over a sliding window of ticks: the "current" rate, which a sweep
 * or a ramp changes stage by stage, rather than the average since the start. Keeps a fixed ring
 * of samples (no allocation per tick); resets when the stage changes.
 */
export class RateMeter {
  private readonly times: Float64Array;
  private readonly counts: Float64Array;
  private n = 0;
  private head = 0;
  private stage = -1;

  /** `size` samples: at one tick a second, the rate is over the last `size - 1` seconds. */
  constructor(size = 6) {
    this.times = new Float64Array(size);
    this.counts = new Float64Array(size);
  }

  /** Adds the count `done` of stage `stage` at time `now` (ms), and returns the rate in requests/s. */
  add(stage: number, now: number, done: number): number | null {
    if (stage !== this.stage) {
      this.stage = stage;
      this.n = 0;
      this.head = 0;
    }
    const size = this.times.length;
    this.times[this.head] = now;
    this.counts[this.head] = done;
    this.head = (this.head + 1) % size;
    if (this.n < size) this.n++;
    if (this.n < 2) return null;
    const newest = (this.head - 1 + size) % size;
    const oldest = (this.head - this.n + size) % size;
    const dt = this.times[newest]! - this.times[oldest]!;
    return dt > 0 ? ((this.counts[newest]! - this.counts[oldest]!) * 1000) / dt : null;
  }
}

/** `12 s`, `4m05s`, `1h02m`. */
export function formatSeconds(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `text` cut to `width` columns, with `…` where it was cut. */
function cut(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 0 ? '' : `${text.slice(0, width - 1)}…`;
}

/**
 * The progress line of one sample, at most `width` columns (plain text; the reporter styles it):
 *
 * `latency/chat  stage 2/5 concurrency 64  120/500 req  24%  31.2 req/s  2 errors  12 s`
 *
 * The counts, rate and errors are kept whole; the test name and then the stage label are
 * shortened (with `…`) to make room, and the time is dropped before them. A duration-bounded
 * stage shows `elapsed / duration` and the requests done so far, then how long it has been
 * draining (requests still in flight after its time was up).
 */
export function formatProgress(p: ProgressSample, width: number): string {
  const of = p.stages === null ? `${p.stageNumber}` : `${p.stageNumber}/${p.stages}`;
  const where =
    p.phase === 'preparing'
      ? `preparing stage ${of}`
      : p.phase === 'warm-up'
        ? 'warm-up'
        : `stage ${of}${p.stage ? ` ${p.stage}` : ''}`;
  const facts: string[] = [];
  if (p.phase === 'stage') {
    if (p.total !== null) {
      facts.push(`${p.done}/${p.total} req`);
      if (p.total > 0) facts.push(`${Math.min(100, Math.floor((p.done * 100) / p.total))}%`);
    } else facts.push(`${p.done} req`);
    facts.push(p.rate === null ? '- req/s' : `${p.rate >= 100 ? p.rate.toFixed(0) : p.rate.toFixed(1)} req/s`);
    facts.push(`${p.errors} error${p.errors === 1 ? '' : 's'}`);
  }
  const time =
    p.phase !== 'stage'
      ? ''
      : p.durationMs === null
        ? formatSeconds(p.elapsedMs)
        : p.elapsedMs > p.durationMs
          ? `${formatSeconds(p.durationMs)} + draining ${formatSeconds(p.elapsedMs - p.durationMs)}`
          : `${formatSeconds(p.elapsedMs)} / ${formatSeconds(p.durationMs)}`;
  const core = facts.join('  ');
  const gap = '  ';
  const fixed = (withTime: boolean): number => core.length + (core ? gap.length : 0) + (withTime && time ? gap.length + time.length : 0);
  const withTime = fixed(true) + where.length + gap.length + Math.min(p.test.length, 12) <= width;
  const room = width - fixed(withTime);
  // The stage keeps its label first; the test name gets what is left (none when it would be a stub).
  const whereText = cut(where, Math.min(where.length, room));
  const testRoom = room - whereText.length - gap.length;
  const testText = testRoom >= Math.min(p.test.length, 8) ? cut(p.test, testRoom) : '';
  const parts = [testText, whereText, core, withTime ? time : ''].filter(Boolean);
  return cut(parts.join(gap), width);
}
