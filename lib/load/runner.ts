import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as immediate } from 'node:timers/promises';
import type { ApiAdapter } from '../apis/adapter.ts';
import { Exchange } from '../http/exchange.ts';
import type { HttpTarget, TimeoutsMs } from '../http/target.ts';
import { type ErrorClass, type RequestRecord, type RunClock, readRunClock } from '../metrics/record.ts';
import { type MeasuringPriority, raiseMeasuringPriority } from './measuring-process.ts';
import type { OpenLoopSchedule, Schedule } from './schedule.ts';

/** Request i's payload, prepared ahead of its send time. */
export interface RequestSpec {
  body: string;
  cell: string;
  promptTokens: number;
  maxTokens: number;
}

/** Everything one load run needs. */
export interface RunnerOptions {
  target: HttpTarget;
  adapter: ApiAdapter;
  model: string;
  stream: boolean;
  schedule: Schedule;
  /** Warm-up requests, sent first (closed loop), recorded with `warmup: true`. */
  warmup: number;
  /** Measured requests. */
  requests: number;
  /** Payload of request i, i counting warm-up requests first. */
  request(i: number): RequestSpec;
  /** Prefix of each request's `x-request-id` (`<prefix>-<seq>`). */
  requestIdPrefix: string;
  /** Keep each response's text for `onRecord` (to count its tokens). */
  keepText: boolean;
  /** Receives each finished record, in completion order, on the event-loop turn after it finished. Must not throw; if it does, the run stops with that error. */
  onRecord(record: RequestRecord, text: string): void;
  /** Aborting it stops sending and cancels requests in flight (they are recorded as `cancelled`). */
  signal?: AbortSignal;
  /** Per-request timeouts; default the target's. */
  timeouts?: TimeoutsMs;
  /** Clock anchor of the run; read at the start when not given. */
  clock?: RunClock;
  /** Consecutive connection-level failures after which the target is taken as gone and the run stops. Default max(5, in-flight bound). */
  unreachableAfter?: number;
}

/** What the runner knows about the run besides the records. */
export interface LoadOutcome {
  clock: RunClock;
  /** Start of the measured phase (`performance.now()`), after warm-up. */
  measuredStart: number;
  /** When the last request finished. */
  end: number;
  /** Why the run stopped before sending everything, or null. */
  stopped: string | null;
  /** Measured requests actually sent. */
  sent: number;
  /** Send rate achieved over the measured phase (requests/s), null with fewer than 2 sends. */
  achievedSendRate: number | null;
  /** Event-loop delay of this process during the measured phase (warm-up excluded), ms (from `monitorEventLoopDelay`). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Scheduling priority of the thread that timestamped the chunks. */
  priority: MeasuringPriority;
}

/**
 * How long before a send the pacer stops sleeping and polls, ms: 1 ms of timer granularity plus
 * 1 ms for the thread to get a CPU back after the timer fires. With only the granularity (1 ms),
 * a wake-up delayed past it made the send late: at 500 requests/s on a 2-core VM shared with
 * the simulator, schedule lag p99 was 2.8-3.8 ms, against 0.5 ms with 2 ms (`npm run bench`).
 */
const SPIN_MS = 2;

/** Sampling interval of the event-loop delay histogram, ms. It records whole intervals, so this is subtracted. */
const ELD_RESOLUTION_MS = 5;

/** Failures that mean the endpoint cannot be reached at all. */
const UNREACHABLE: ReadonlySet<ErrorClass> = new Set(['connect_refused', 'dns', 'tls', 'connect_timeout']);

/**
 * Runs warm-up then the measured phase of a schedule against a target. Per-request failures are
 * records, never exceptions; the only rejection is an `onRecord` that threw.
 */
export async function runLoad(o: RunnerOptions): Promise<LoadOutcome> {
  const inFlight = new Set<Exchange>();
  const path = o.target.apiRoot + o.adapter.path;
  const bound = o.schedule.kind === 'closed' ? o.schedule.concurrency : o.schedule.maxInFlight;
  const pool = o.target.createPool(bound);
  const unreachableAfter = o.unreachableAfter ?? Math.max(5, bound);
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const priority = raiseMeasuringPriority();
  const clock = o.clock ?? readRunClock();
  const timeouts = o.timeouts ?? o.target.timeouts;
  let stopped: string | null = null;
  let sinkError: unknown = null;
  let unreachableRun = 0;
  let sent = 0;
  let firstSend = Infinity;
  let lastSend = -Infinity;
  let end = clock.perfMs;

  /** Ends the open loop's wait for its next send time (set while it waits). */
  const pacer: Pacer = { wake: null };
  const halt = (reason: string): void => {
    if (stopped) return;
    stopped = reason;
    for (const ex of inFlight) ex.cancel(reason);
    pacer.wake?.();
  };
  const onAbort = (): void => halt(`cancelled: ${abortReason(o.signal)}`);

  let sinking = 0;
  let sunk: (() => void) | null = null;
  const sink = (r: RequestRecord, text: string): void => {
    try {
      o.onRecord(r, text);
    } catch (err) {
      sinkError ??= err;
      halt('results could not be recorded');
    }
    if (--sinking === 0) sunk?.();
  };

  /** Sends request i; `after` runs when it finished (deferred if it finished synchronously). */
  const send = (i: number, warmup: boolean, intended: number, after: (end: number) => void): void => {
    const spec = o.request(i);
    const requestId = `${o.requestIdPrefix}-${i}`;
    const rec: RequestRecord = {
      seq: i, requestId, warmup, cell: spec.cell, api: o.adapter.type, stream: o.stream, model: o.model,
      promptTokens: spec.promptTokens, maxTokens: spec.maxTokens, intended, sent: null, headers: null,
      firstChunk: null, chunkTimes: [], chunkTokens: null, chunkTokensSource: null, end: 0, status: null,
      usage: null, tokenizerOutputTokens: null, outputChars: 0, finishReason: null, servedBy: {}, error: null,
    };
    let starting = true;
    const ex = new Exchange(rec, {
      adapter: o.adapter, path, body: spec.body, timeouts, keepText: o.keepText,
      headers: { ...o.target.requestHeaders, 'x-request-id': requestId },
      onDone(r, text) {
        inFlight.delete(ex);
        if (r.end > end) end = r.end;
        if (!warmup && r.sent !== null) {
          sent++;
          if (r.sent < firstSend) firstSend = r.sent;
          if (r.sent > lastSend) lastSend = r.sent;
        }
        unreachableRun = r.error && UNREACHABLE.has(r.error.class) ? unreachableRun + 1 : 0;
        if (unreachableRun >= unreachableAfter) halt(`target unreachable: ${unreachableRun} requests in a row failed (${r.error!.message})`);
        if (starting) setImmediate(after, r.end);
        else after(r.end);
        // Recorded on the next turn of the event loop, outside undici's callback, so the next
        // request is dispatched first; its bytes may still leave after the bookkeeping, and any
        // such delay shows in its schedule lag.
        sinking++;
        setImmediate(sink, r, text);
      },
    });
    inFlight.add(ex);
    ex.start(pool);
    starting = false;
  };

  const closedLoop = (first: number, count: number, concurrency: number, warmup: boolean): Promise<void> =>
    new Promise((resolve) => {
      let next = 0;
      let active = 0;
      const launch = (intended: number): void => {
        if (stopped || next >= count) {
          if (active === 0) resolve();
          return;
        }
        const i = first + next++;
        active++;
        send(i, warmup, intended, (freedAt) => {
          active--;
          launch(freedAt);
        });
      };
      const t0 = performance.now();
      if (count === 0) resolve();
      for (let k = 0; k < Math.min(concurrency, count); k++) launch(t0);
    });

  const openLoop = async (first: number, count: number, schedule: OpenLoopSchedule): Promise<void> => {
    const offsets = schedule.offsets();
    const t0 = performance.now();
    let active = 0;
    let wake: (() => void) | null = null;
    const settle = (): void => {
      active--;
      const w = wake;
      wake = null;
      w?.();
    };
    for (let k = 0; k < count && !stopped; k++) {
      const next = offsets.next();
      if (next.done) break;
      const due = t0 + next.value;
      await sleepUntil(due, pacer);
      if (stopped) break;
      while (active >= schedule.maxInFlight && !stopped) await new Promise<void>((r) => (wake = r));
      if (stopped) break;
      active++;
      send(first + k, false, due, settle);
    }
    while (active > 0) await new Promise<void>((r) => (wake = r));
  };

  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();
  let measuredStart = clock.perfMs;
  try {
    const warmupConcurrency = o.schedule.kind === 'closed' ? o.schedule.concurrency : 1;
    await closedLoop(0, o.warmup, warmupConcurrency, true);
    // Only the measured phase: warm-up is there to absorb first-use stalls (compilation,
    // connection setup), and the delay only matters for the chunk times that are measured.
    eld.enable();
    measuredStart = performance.now();
    if (o.schedule.kind === 'closed') await closedLoop(o.warmup, o.requests, o.schedule.concurrency, false);
    else await openLoop(o.warmup, o.requests, o.schedule);
  } finally {
    if (sinking > 0) await new Promise<void>((resolve) => (sunk = resolve));
    eld.disable();
    o.signal?.removeEventListener('abort', onAbort);
    await (stopped ? pool.destroy() : pool.close());
  }
  if (sinkError) throw sinkError;
  return {
    clock,
    measuredStart,
    end,
    stopped,
    sent,
    achievedSendRate: sent >= 2 && lastSend > firstSend ? ((sent - 1) * 1000) / (lastSend - firstSend) : null,
    priority,
    eventLoopDelayMs: {
      p50: delayMs(eld.count ? eld.percentile(50) : 0),
      p99: delayMs(eld.count ? eld.percentile(99) : 0),
      max: delayMs(eld.count ? eld.max : 0),
    },
  };
}

/** Lets a run that stops end the pacer's wait at once, rather than at the next send time. */
interface Pacer {
  wake: (() => void) | null;
}

/**
 * Waits until `due` (`performance.now()` ms) without waking early: a timer for all but the last
 * `SPIN_MS`, then yields to the event loop until the time has come, so I/O keeps being served
 * while waiting and the send is late by microseconds, not by the timer's rounding or the OS's
 * wake-up. `pacer.wake()` ends the wait early (the run stopped).
 */
async function sleepUntil(due: number, pacer: Pacer): Promise<void> {
  const d = due - performance.now();
  if (d > SPIN_MS + 0.5) {
    const woken = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(resolve, Math.floor(d - SPIN_MS), false);
      pacer.wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    pacer.wake = null;
    if (woken) return;
  }
  while (performance.now() < due) await immediate();
}

/** Event-loop delay from a histogram value (ns of a whole sampling interval). */
function delayMs(intervalNs: number): number {
  return Math.max(0, intervalNs / 1e6 - ELD_RESOLUTION_MS);
}

function abortReason(signal: AbortSignal | undefined): string {
  const r = signal?.reason as unknown;
  return r instanceof Error ? r.message : r === undefined ? 'aborted' : String(r);
}
