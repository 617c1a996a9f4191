import { setImmediate as immediate } from 'node:timers/promises';
import type { Exchange } from '../http/exchange.ts';
import type { StopRuleHit } from './stage.ts';

/** Per-stage bookkeeping of the runner. */
export interface StageState {
  index: number;
  sent: number;
  firstSend: number;
  lastSend: number;
  cut: number;
  /** Finished (not cut) requests, failures among them, and successes over the latency limit. */
  finished: number;
  failed: number;
  slow: number;
  stopRule: StopRuleHit | null;
  /** Set when the stage stops sending (bound reached, rule fired, run stopped). */
  over: boolean;
  sendEnd: number;
  /** Latest end of its requests. */
  end: number;
}

/** The bookkeeping of stage `index` before it sends. */
export function newStageState(index: number): StageState {
  return {
    index, sent: 0, firstSend: Infinity, lastSend: -Infinity, cut: 0, finished: 0, failed: 0, slow: 0,
    stopRule: null, over: false, sendEnd: 0, end: 0,
  };
}

/** A retry waiting out its backoff: its stage (null: warm-up), and how to give up on it at once. */
export interface PendingRetry {
  st: StageState | null;
  giveUp: () => void;
}

/** Lets a run that stops end the pacer's wait at once, rather than at the next send time. */
export interface Pacer {
  wake: (() => void) | null;
}

/**
 * Whether a run and its stages may go on sending, what is in flight or waiting to retry, and the
 * wake-ups of the loops that wait: stopping the run (`halt`) or a stage (`endStage`) cancels what
 * belongs to it and wakes them.
 */
export class RunControl {
  /** Why the run stopped before sending everything, or null. */
  stopped: string | null = null;
  /** The first error of the caller's `request` or `onRecord`: the run stops, and `runLoad` rejects with it. */
  error: unknown = null;
  /** Exchanges in flight, with their stage (null: warm-up). */
  readonly inFlight = new Map<Exchange, StageState | null>();
  /** Pending retries, by their timer. */
  readonly backingOff = new Map<NodeJS.Timeout, PendingRetry>();
  /** Ends the open loop's wait for its next send time (set while it waits). */
  readonly pacer: Pacer = { wake: null };
  /** Wakes whatever loop waits for a free slot or its stage's end. */
  wakeLoop: (() => void) | null = null;
  /** Called on every wake-up (a stage ended, the run stopped): sessions waiting out a think time see whether their next turn may still go. */
  wakeTurns: (() => void) | null = null;

  wake(): void {
    const w = this.wakeLoop;
    this.wakeLoop = null;
    w?.();
    this.pacer.wake?.();
    this.wakeTurns?.();
  }

  /** Stops the run: requests in flight are cancelled, pending retries end as the failure they had. */
  halt(reason: string): void {
    if (this.stopped) return;
    this.stopped = reason;
    for (const ex of this.inFlight.keys()) ex.cancel(reason);
    for (const [timer, b] of this.backingOff) {
      clearTimeout(timer);
      this.backingOff.delete(timer);
      b.giveUp();
    }
    this.wake();
  }

  /** Stops the run for an error of the caller's (the first one is kept). */
  fail(err: unknown, reason: string): void {
    this.error ??= err;
    this.halt(reason);
  }

  /** Ends a stage's sending; with `cut`, its requests in flight are cut now. */
  endStage(st: StageState, cut: string | null): void {
    if (!st.over) {
      st.over = true;
      st.sendEnd = performance.now();
    }
    if (cut) {
      for (const [ex, s] of this.inFlight) if (s === st) ex.cancel(cut, 'cut');
      for (const [timer, b] of this.backingOff) {
        if (b.st !== st) continue;
        clearTimeout(timer);
        this.backingOff.delete(timer);
        b.giveUp();
      }
    }
    this.wake();
  }

  /** Sending may go on: the run and the stage are not over, and the stage's time is not up. */
  open(st: StageState | null, deadline: number): boolean {
    return !this.stopped && !(st && st.over) && (deadline === Infinity || performance.now() < deadline);
  }

  /** Whether a request of `st` that is ready to go (or retry) must not: the run stopped, or a stop rule ended its stage. */
  dropped(st: StageState | null): boolean {
    return !!this.stopped || (st !== null && st.over && st.stopRule !== null);
  }

  /** Halts the run when `signal` aborts (at once when it has); returns what stops listening. */
  watch(signal: AbortSignal | undefined): () => void {
    const onAbort = (): void => this.halt(`cancelled: ${abortReason(signal)}`);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    return () => signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * How long before a send the pacer stops sleeping and polls, ms: 1 ms of timer granularity plus
 * 1 ms for the thread to get a CPU back after the timer fires. With only the granularity (1 ms),
 * a wake-up delayed past it made the send late: at 500 requests/s on a 2-core VM shared with
 * the simulator, schedule lag p99 was 2.8-3.8 ms, against 0.5 ms with 2 ms (`npm run bench`).
 */
const SPIN_MS = 2;

/**
 * Waits until `due` (`performance.now()` ms) without waking early: a timer for all but the last
 * `SPIN_MS`, then yields to the event loop until the time has come, so I/O keeps being served
 * while waiting and the send is late by microseconds, not by the timer's rounding or the OS's
 * wake-up. `pacer.wake()` ends the wait early (the run stopped).
 */
export async function sleepUntil(due: number, pacer: Pacer): Promise<void> {
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

function abortReason(signal: AbortSignal | undefined): string {
  const r = signal?.reason as unknown;
  return r instanceof Error ? r.message : r === undefined ? 'aborted' : String(r);
}
