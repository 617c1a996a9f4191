import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { RequestRecord } from '../metrics/record.ts';
import { raiseMeasuringPriority } from './measuring-process.ts';
import type { RunControl } from './run-control.ts';
import type { RunnerOptions } from './run-options.ts';
import { type StallSummary, StallWatch } from './stall-watch.ts';

/** Sampling interval of the event-loop delay histogram, ms. It records whole intervals, so this is subtracted. */
const ELD_RESOLUTION_MS = 5;

/** Event-loop delay, ms, as `LoadOutcome` and `StageOutcome` report it. */
export interface DelaySummary {
  p50: number;
  p99: number;
  max: number;
}

/**
 * What the run knows about the thread that timestamps the chunks: its scheduling priority (raised
 * when it may be), its event-loop delay over the measured phase and over the current stage, and
 * its stalls (`StallWatch`). Measuring starts after warm-up: warm-up is there to absorb first-use
 * stalls (compilation, connection setup), and the delay only matters for the chunk times that are
 * measured.
 */
export class Measurement {
  private readonly eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  private readonly stageEld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  readonly priority = raiseMeasuringPriority();
  readonly stallWatch: StallWatch;

  constructor(stallLimitMs: number) {
    this.stallWatch = new StallWatch(stallLimitMs);
  }

  /** Starts measuring; returns the start of the measured phase. */
  start(): number {
    this.eld.enable();
    this.stageEld.enable();
    this.stallWatch.start();
    return performance.now();
  }

  /** A stage starts: its event-loop delay counts from now. */
  startStage(): void {
    this.stageEld.reset();
  }

  /** Event-loop delay since the stage started. */
  stageDelay(): DelaySummary {
    return readDelay(this.stageEld);
  }

  /** Event-loop delay over the measured phase. */
  runDelay(): DelaySummary {
    return readDelay(this.eld);
  }

  /** Stalls that began in [from, to). */
  stalls(from: number, to?: number): StallSummary {
    return this.stallWatch.summary(from, to);
  }

  /** Stops measuring (the figures stay readable). */
  stop(): void {
    this.stallWatch.stop();
    this.eld.disable();
    this.stageEld.disable();
  }
}

/**
 * Hands finished records to the caller's `onRecord`, each on the event-loop turn after it
 * finished (outside undici's callback, so the next request is dispatched first), marked with the
 * stall it overlapped; and says when every record handed over has been delivered.
 */
export class RecordSink {
  private sinking = 0;
  private sunk: (() => void) | null = null;

  constructor(
    private readonly o: Pick<RunnerOptions, 'onRecord'>,
    private readonly stallWatch: StallWatch,
    private readonly control: RunControl,
  ) {}

  /** Delivers `r` on the next turn of the event loop. */
  later(r: RequestRecord, text: string): void {
    this.sinking++;
    setImmediate(this.deliver, r, text);
  }

  /** Resolves when every record handed over was delivered (nothing to wait for: returns nothing). */
  allSunk(): Promise<void> | void {
    if (this.sinking > 0) return new Promise<void>((resolve) => (this.sunk = resolve));
  }

  private readonly deliver = (r: RequestRecord, text: string): void => {
    this.stallWatch.mark(r);
    try {
      this.o.onRecord(r, text);
    } catch (err) {
      this.control.fail(err, 'results could not be recorded');
    }
    if (--this.sinking === 0) this.sunk?.();
  };
}

function readDelay(h: IntervalHistogram): DelaySummary {
  return {
    p50: delayMs(h.count ? h.percentile(50) : 0),
    p99: delayMs(h.count ? h.percentile(99) : 0),
    max: delayMs(h.count ? h.max : 0),
  };
}

/** Event-loop delay from a histogram value (ns of a whole sampling interval). */
function delayMs(intervalNs: number): number {
  return Math.max(0, intervalNs / 1e6 - ELD_RESOLUTION_MS);
}
