import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as immediate } from 'node:timers/promises';
import type { ApiAdapter } from '../apis/adapter.ts';
import { Exchange } from '../http/exchange.ts';
import type { HttpTarget, TimeoutsMs } from '../http/target.ts';
import type { ResponseLimits } from '../config/schema/limits.ts';
import type { Pool } from 'undici';
import { type ErrorClass, failureKey, type RequestRecord, type RunClock, readRunClock } from '../metrics/record.ts';
import { type MeasuringPriority, raiseMeasuringPriority } from './measuring-process.ts';
import { type StallSummary, StallWatch } from './stall-watch.ts';
import type { ClosedLoopSchedule, OpenLoopSchedule, Schedule } from './schedule.ts';
import { fixedPlanner, rateOver, type StageOutcome, type StagePlan, type StagePlanner, type StopRuleHit } from './stage.ts';

/** Request i's payload, prepared ahead of its send time. */
export interface RequestSpec {
  body: string;
  cell: string;
  promptTokens: number;
  maxTokens: number;
  /** Model the body asks for; default the run's `model`. */
  model?: string;
}

/**
 * Retries of requests that fail with a routing error (a gateway's 503 while a pool scales up, a
 * 404 for a model not routed yet, a 429): attempt k+1 waits min(initial * multiplier^(k-1), max)
 * ms, times a seeded jitter factor in [1 - jitter, 1 + jitter]. A 429 or 503 with `Retry-After`
 * waits what the server asked instead, at most `maxBackoffMs` (a longer ask is cut to the
 * maximum: the retry comes sooner than asked, and the attempt records both).
 */
export interface RetryPolicy {
  /** Failure keys that are retried (`http_503`, `connect_reset`, ...; see `failureKey`). */
  on: ReadonlySet<string>;
  /** Attempts in all, the first included (>= 2 for any retry). */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  multiplier: number;
  /** Relative jitter, 0..1. */
  jitter: number;
}

/** Stop rules as the runner applies them to each stage (see `StopRulesSchema`). */
export interface StopRulesConfig {
  /** Stop when failed / finished passes this. */
  errorRate: number;
  /** Stop when the p95 of `latencyMetric` passes this, ms. */
  latencyP95Ms: number;
  latencyMetric: 'e2e' | 'ttft';
  /** Finished requests of the stage needed before the rules apply. */
  minRequests: number;
}

/** Everything one load run needs. */
export interface RunnerOptions {
  target: HttpTarget;
  adapter: ApiAdapter;
  model: string;
  stream: boolean;
  /** The stages to run. Without it, one stage of `schedule` for `requests` requests. */
  plan?: StagePlanner;
  /** Single-stage shorthand (ignored when `plan` is given). */
  schedule?: Schedule;
  /** Measured requests of the single-stage shorthand. */
  requests?: number;
  /** Warm-up requests, sent first (closed loop, at the first stage's concurrency), recorded with `warmup: true`. */
  warmup: number;
  /**
   * Payload of request i, i counting warm-up requests first and continuing across stages. May
   * return a promise when the payload is not ready yet (prompts still being built): the send
   * waits for it, and the wait shows in the request's schedule lag.
   */
  request(i: number): RequestSpec | Promise<RequestSpec>;
  /** Prefix of each request's `x-request-id` (`<prefix>-<seq>`). */
  requestIdPrefix: string;
  /** Keep each response's text for `onRecord` (to count its tokens). */
  keepText: boolean;
  /** Receives each finished record, in completion order, on the event-loop turn after it finished. Must not throw; if it does, the run stops with that error. */
  onRecord(record: RequestRecord, text: string): void;
  /** Called when a stage starts sending, with its start time (`performance.now()`). */
  onStageStart?(index: number, start: number): void;
  /**
   * Awaited before each stage starts (after its connections are opened): a distributed run's pods
   * wait here for one common start instant (`lib/distributed`). Must not throw.
   */
  beforeStage?(index: number, plan: StagePlan): Promise<void>;
  /**
   * The recorded sequence number of request i (default i): a pod of a split run records the
   * global request index (`lib/distributed/split.ts` globalIndex), so pods' records merge into
   * the single process's sequence. `request(i)` still gets the local i.
   */
  seqOf?(i: number): number;
  /** Retry policy for routing errors; default none (every failure is final). */
  retry?: RetryPolicy | null;
  /** Stop rules applied to every stage; default none. */
  stopRules?: StopRulesConfig | null;
  /** Aborting it stops sending and cancels requests in flight (they are recorded as `cancelled`). */
  signal?: AbortSignal;
  /** Per-request timeouts; default the target's. */
  timeouts?: TimeoutsMs;
  /** Response size limits; default the target's. */
  limits?: ResponseLimits;
  /** Clock anchor of the run; read at the start when not given. */
  clock?: RunClock;
  /** Consecutive connection-level failures after which the target is taken as gone and the run stops. Default max(5, in-flight bound). */
  unreachableAfter?: number;
  /** Stalls of this thread longer than this (ms) are recorded, and requests they overlap marked (`RequestRecord.stall`). Default 10. */
  stallLimitMs?: number;
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
  /** Stalls of the measuring thread during the measured phase (`StallWatch`); absent in a merged run that has no pod's. */
  stalls?: StallSummary;
  /** Each stage run, in order. */
  stages: StageOutcome[];
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

/** How often the p95 stop rule looks for requests in flight that have already run past its limit, ms. */
const SLOW_SCAN_MS = 250;

/** Failures that mean the endpoint cannot be reached at all. */
const UNREACHABLE: ReadonlySet<ErrorClass> = new Set(['connect_refused', 'dns', 'tls', 'connect_timeout']);

/** Per-stage bookkeeping of the runner. */
interface StageState {
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

/**
 * Runs warm-up, then the stages of the plan one after another against a target. Each stage ends
 * when its request count is sent or its duration passed; a duration-bounded stage then gives the
 * requests still in flight its drain bound and cuts the rest. Stop rules end a stage early. A
 * stage whose plan asks for an idle pause before it starts that long after the stage before ended.
 * Per-request failures are records, never exceptions; the only rejection is an `onRecord` that
 * threw.
 */
export async function runLoad(o: RunnerOptions): Promise<LoadOutcome> {
  const planner = o.plan ?? singleStage(o);
  const inFlight = new Map<Exchange, StageState | null>();
  const path = o.target.apiRoot + o.adapter.path;
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const stageEld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const priority = raiseMeasuringPriority();
  const stallWatch = new StallWatch(o.stallLimitMs ?? 10);
  const clock = o.clock ?? readRunClock();
  const timeouts = o.timeouts ?? o.target.timeouts;
  const rules = o.stopRules ?? null;
  const retry = o.retry ?? null;
  const outcomes: StageOutcome[] = [];
  let stopped: string | null = null;
  let sinkError: unknown = null;
  let unreachableRun = 0;
  let sent = 0;
  let firstSend = Infinity;
  let lastSend = -Infinity;
  let end = clock.perfMs;
  let nextSeq = 0;

  const first = await planner.next([]);
  // Requests that can be in flight at once: the schedule's bound, never more than the stage sends.
  const boundOf = (p: StagePlan | null): number =>
    p === null ? 1 : Math.max(1, Math.min(p.schedule.kind === 'closed' ? p.schedule.concurrency : p.schedule.maxInFlight, p.maxRequests ?? Infinity));
  // Sized for the stage that needs the most connections so far; a later stage that needs more
  // (a sweep's next level) gets a larger pool, and the idle old one is closed.
  let poolSize = boundOf(first);
  let pool = o.target.createPool(poolSize);
  let unreachableAfter = o.unreachableAfter ?? Math.max(5, boundOf(first));

  /** Ends the open loop's wait for its next send time (set while it waits). */
  const pacer: Pacer = { wake: null };
  /** Wakes whatever loop waits for a free slot or its stage's end. */
  let wakeLoop: (() => void) | null = null;
  const wake = (): void => {
    const w = wakeLoop;
    wakeLoop = null;
    w?.();
    pacer.wake?.();
  };
  const halt = (reason: string): void => {
    if (stopped) return;
    stopped = reason;
    for (const ex of inFlight.keys()) ex.cancel(reason);
    for (const [timer, b] of backingOff) {
      clearTimeout(timer);
      backingOff.delete(timer);
      b.giveUp();
    }
    wake();
  };
  const onAbort = (): void => halt(`cancelled: ${abortReason(o.signal)}`);

  /** Ends a stage's sending; with `cut`, its requests in flight are cut now. */
  const endStage = (st: StageState, cut: string | null): void => {
    if (!st.over) {
      st.over = true;
      st.sendEnd = performance.now();
    }
    if (cut) {
      for (const [ex, s] of inFlight) if (s === st) ex.cancel(cut, 'cut');
      for (const [timer, b] of backingOff) {
        if (b.st !== st) continue;
        clearTimeout(timer);
        backingOff.delete(timer);
        b.giveUp();
      }
    }
    wake();
  };

  const checkRules = (st: StageState, slowInFlight: number): void => {
    if (!rules || st.stopRule || st.finished + slowInFlight < rules.minRequests) return;
    let hit: StopRuleHit | null = null;
    if (st.finished >= rules.minRequests && st.failed / st.finished > rules.errorRate) {
      hit = {
        rule: 'error_rate',
        detail: `error rate ${pct(st.failed / st.finished)} of ${st.finished} finished requests > ${pct(rules.errorRate)}`,
      };
    } else if ((st.slow + slowInFlight) / (st.finished + slowInFlight) > 0.05) {
      const over = st.slow + slowInFlight;
      hit = {
        rule: 'latency_p95',
        detail: `${rules.latencyMetric} p95 > ${rules.latencyP95Ms / 1000} s: ${over} of ${st.finished + slowInFlight} requests over it` +
          (slowInFlight > 0 ? ` (${slowInFlight} still in flight)` : ''),
      };
    }
    if (!hit) return;
    st.stopRule = hit;
    endStage(st, `cut: stop rule ${hit.rule} ended the stage`);
  };

  let sinking = 0;
  let sunk: (() => void) | null = null;
  const sink = (r: RequestRecord, text: string): void => {
    stallWatch.mark(r);
    try {
      o.onRecord(r, text);
    } catch (err) {
      sinkError ??= err;
      halt('results could not be recorded');
    }
    if (--sinking === 0) sunk?.();
  };
  const allSunk = (): Promise<void> | void => {
    if (sinking > 0) return new Promise<void>((resolve) => (sunk = resolve));
  };

  /** Sends request i; `after` runs when it finished (deferred if it finished synchronously). */
  const send = (st: StageState | null, intended: number, after: (end: number) => void): void => {
    const i = nextSeq++;
    const spec = o.request(i);
    if (spec instanceof Promise) {
      void spec.then(
        (ready) => {
          if (stopped || (st && st.over && st.stopRule)) return after(performance.now());
          dispatch(i, ready, st, intended, after);
        },
        (err: unknown) => {
          sinkError ??= err;
          halt('a request could not be prepared');
          after(performance.now());
        },
      );
    } else dispatch(i, spec, st, intended, after);
  };

  const dispatch = (i: number, spec: RequestSpec, st: StageState | null, intended: number, after: (end: number) => void): void => {
    const warmup = st === null;
    const seq = o.seqOf ? o.seqOf(i) : i;
    const requestId = `${o.requestIdPrefix}-${seq}`;
    const rec: RequestRecord = {
      seq, requestId, warmup, stage: st ? st.index : null, cell: spec.cell, api: o.adapter.type, stream: o.stream,
      model: spec.model ?? o.model, promptTokens: spec.promptTokens, maxTokens: spec.maxTokens, intended, sent: null, headers: null,
      firstChunk: null, chunkTimes: [], chunkTokens: null, chunkTokensSource: null, end: 0, status: null,
      usage: null, tokenizerOutputTokens: null, outputChars: 0, finishReason: null, servedBy: {}, error: null,
      handed: null, emptyChoiceTimes: null, lastChoice: null,
    };
    attempt(rec, spec, st, after);
  };

  /** Pending retries: their timers, and how to give up on them at once (run or stage stopped). */
  const backingOff = new Map<NodeJS.Timeout, { st: StageState | null; giveUp: () => void }>();

  /** Sends one attempt of `rec`; a retryable failure schedules the next, anything else completes it. */
  const attempt = (rec: RequestRecord, spec: RequestSpec, st: StageState | null, after: (end: number) => void): void => {
    let starting = true;
    const ex = new Exchange(rec, {
      adapter: o.adapter, path, body: spec.body, timeouts, limits: o.limits ?? o.target.limits, keepText: o.keepText,
      headers: { ...o.target.requestHeaders, 'x-request-id': rec.requestId },
      onDone(r, text, response) {
        inFlight.delete(ex);
        const retries = r.retries?.length ?? 0;
        const key = r.error && retry ? failureKey(r) : null;
        if (key !== null && retry!.on.has(key) && retries + 1 < retry!.maxAttempts && !stopped && !(st && st.over && st.stopRule)) {
          const retryAfterMs = response.retryAfterMs;
          const backoffMs = retryAfterMs !== null ? Math.min(retryAfterMs, retry!.maxBackoffMs) : backoffOf(retry!, retries, r.seq);
          (r.retries ??= []).push({ key, message: r.error!.message, sent: r.sent, end: r.end, backoffMs, ...(retryAfterMs !== null ? { retryAfterMs } : {}) });
          const finishAsIs = (): void => complete(r, text, st, after, starting);
          const timer = setTimeout(() => {
            backingOff.delete(timer);
            // The wait as it happened (timers fire on whole milliseconds, late under load).
            const a = r.retries![r.retries!.length - 1]!;
            a.backoffMs = performance.now() - a.end;
            resetAttempt(r);
            attempt(r, spec, st, after);
          }, backoffMs);
          backingOff.set(timer, {
            st,
            giveUp: () => {
              // Ends as the failure it last had: the retry never happened.
              r.retries!.pop();
              finishAsIs();
            },
          });
          return;
        }
        complete(r, text, st, after, starting);
      },
    });
    inFlight.set(ex, st);
    ex.start(pool);
    starting = false;
  };

  /** Books a finished request (its last attempt) and hands it to `after` and the sink. */
  const complete = (r: RequestRecord, text: string, st: StageState | null, after: (end: number) => void, starting: boolean): void => {
    if (r.end > end) end = r.end;
    if (st && r.end > st.end) st.end = r.end;
    const firstSent = r.retries?.[0]?.sent ?? r.sent;
    if (st && firstSent !== null) {
      sent++;
      st.sent++;
      if (firstSent < firstSend) firstSend = firstSent;
      if (firstSent > lastSend) lastSend = firstSent;
      if (firstSent < st.firstSend) st.firstSend = firstSent;
      if (firstSent > st.lastSend) st.lastSend = firstSent;
    }
    if (st && r.error?.class === 'cut') st.cut++;
    else if (st && r.error?.class !== 'cancelled') {
      st.finished++;
      if (r.error) st.failed++;
      else if (rules && overLimit(r, rules, r.end)) st.slow++;
      checkRules(st, 0);
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
  };

  /** Sending may go on: the run and the stage are not over, and the stage's time is not up. */
  const open = (st: StageState | null, deadline: number): boolean =>
    !stopped && !(st && st.over) && (deadline === Infinity || performance.now() < deadline);

  /**
   * Closed loop: `concurrency` users (or a ramp of them, see `ClosedLoopSchedule.spawn`) each
   * send, wait for the answer and the think time, and send again, until `count` requests were
   * sent or the deadline passed. Resolves when none of its requests is in flight.
   */
  // `origin`: the stage's start, which every intended time counts from (a delay before the loop
  // runs is then the requests' schedule lag, not a silent shift of the whole schedule).
  const closedLoop = (st: StageState | null, count: number, schedule: ClosedLoopSchedule, deadline: number, origin?: number): Promise<void> =>
    new Promise((resolve) => {
      let launched = 0;
      let active = 0;
      let users = 0;
      let spawnTimer: NodeJS.Timeout | null = null;
      let starting: NodeJS.Immediate | null = null;
      const think = schedule.thinkMs ?? 0;
      const settle = (): void => {
        if (active > 0 || starting || (users < schedule.concurrency && spawnTimer && open(st, deadline) && launched < count)) return;
        if (spawnTimer) clearTimeout(spawnTimer);
        spawnTimer = null;
        wakeLoop = null;
        resolve();
      };
      // A request belongs to the stage its intended time falls in: a think-time or spawn timer
      // that fires a fraction of a millisecond early (libuv counts whole milliseconds) must not
      // send into this stage a request due at or after its deadline.
      const launch = (intended: number): void => {
        if (!open(st, deadline) || intended >= deadline || launched >= count) {
          if (st && !st.over && launched >= count) endStage(st, null);
          return settle();
        }
        launched++;
        active++;
        send(st, intended, (freedAt) => {
          active--;
          if (think > 0 && open(st, deadline)) setTimeout(() => launch(freedAt + think), think);
          else launch(freedAt);
        });
      };
      // A stage that ends (deadline, stop rule, halt) while users wait for their think time or a
      // spawn wakes this to settle.
      wakeLoop = settle;
      const t0 = origin ?? performance.now();
      const start = schedule.spawn ? Math.min(schedule.spawn.start, schedule.concurrency) : schedule.concurrency;
      // Users beyond the request count would never send. The others start in batches, one batch
      // per turn of the event loop, so a huge concurrency cannot hold the loop (the test's
      // timeout, the run's own timers, the responses) for as long as creating every exchange takes.
      const startUsers = Math.min(start, count);
      const startBatch = (): void => {
        starting = null;
        const until = Math.min(startUsers, users + START_BATCH);
        for (; users < until && open(st, deadline) && launched < count; users++) launch(t0);
        if (users < startUsers && open(st, deadline) && launched < count) {
          starting = setImmediate(startBatch);
          return;
        }
        users = Math.max(users, start);
        if (st && !st.over && launched >= count) endStage(st, null);
        startSpawning();
        settle();
      };
      const startSpawning = (): void => {
        if (schedule.spawn && users < schedule.concurrency) {
          const gap = 1000 / schedule.spawn.perSecond;
          const phase = schedule.spawn.phaseMs ?? 0;
          let k = 1;
          const spawn = (): void => {
            spawnTimer = null;
            const due = t0 + phase + k * gap;
            if (!open(st, deadline) || due >= deadline || launched >= count) return settle();
            users++;
            k++;
            launch(due);
            if (users < schedule.concurrency) spawnTimer = setTimeout(spawn, Math.max(0, t0 + phase + k * gap - performance.now()));
          };
          spawnTimer = setTimeout(spawn, Math.max(0, t0 + phase + gap - performance.now()));
        }
      };
      startBatch();
    });

  const openLoop = async (st: StageState, count: number, schedule: OpenLoopSchedule, deadline: number, origin: number): Promise<void> => {
    const offsets = schedule.offsets();
    const t0 = origin;
    let active = 0;
    const settle = (): void => {
      active--;
      const w = wakeLoop;
      wakeLoop = null;
      w?.();
    };
    // Every request due before the deadline is sent, however late: the lateness is the schedule
    // lag, and dropping late sends would hide it.
    const live = (): boolean => open(st, Infinity);
    for (let k = 0; k < count && live(); k++) {
      const next = offsets.next();
      if (next.done) break;
      const due = t0 + next.value;
      if (due >= deadline) break;
      await sleepUntil(due, pacer);
      if (!live()) break;
      while (active >= schedule.maxInFlight && live()) await new Promise<void>((r) => (wakeLoop = r));
      if (!live()) break;
      active++;
      send(st, due, settle);
    }
    if (!st.over) endStage(st, null);
    while (active > 0) await new Promise<void>((r) => (wakeLoop = r));
  };

  /** Runs one stage to its end, drain included. */
  const runStage = async (plan: StagePlan, index: number): Promise<StageOutcome> => {
    const st: StageState = {
      index, sent: 0, firstSend: Infinity, lastSend: -Infinity, cut: 0, finished: 0, failed: 0, slow: 0,
      stopRule: null, over: false, sendEnd: 0, end: 0,
    };
    stageEld.reset();
    const start = performance.now();
    o.onStageStart?.(index, start);
    const deadline = plan.durationMs === null ? Infinity : start + plan.durationMs;
    const timers: NodeJS.Timeout[] = [];
    if (plan.durationMs !== null) {
      timers.push(setTimeout(() => {
        // An open loop ends its sending itself, after the last send due before the deadline.
        if (plan.schedule.kind === 'closed') endStage(st, null);
        // Requests still running get the drain bound, then are cut.
        timers.push(setTimeout(() => endStage(st, `cut: still in flight ${plan.drainMs / 1000} s after the stage's time was up`), plan.drainMs));
      }, plan.durationMs));
    }
    if (rules) {
      const limit = rules.latencyP95Ms;
      const scan = (): void => {
        let slow = 0;
        const now = performance.now();
        for (const [ex, s] of inFlight) if (s === st && ex.runningLongerThan(limit, rules.latencyMetric, now)) slow++;
        if (slow > 0) checkRules(st, slow);
      };
      const interval = setInterval(scan, SLOW_SCAN_MS);
      timers.push(interval);
    }
    const max = plan.maxRequests ?? Infinity;
    try {
      if (plan.schedule.kind === 'closed') await closedLoop(st, max, plan.schedule, deadline, start);
      else await openLoop(st, max, plan.schedule, deadline, start);
    } finally {
      for (const t of timers) clearTimeout(t);
    }
    if (!st.over) endStage(st, null);
    await allSunk();
    return {
      index,
      plan,
      start,
      sendEnd: st.sendEnd,
      end: Math.max(st.sendEnd, st.end),
      sent: st.sent,
      cut: st.cut,
      achievedSendRate: rateOver(st.sent, st.firstSend, st.lastSend),
      eventLoopDelayMs: readDelay(stageEld),
      stalls: stallWatch.summary(start, Infinity),
      stopRule: st.stopRule,
      stopped,
    };
  };

  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();
  let measuredStart = clock.perfMs;
  try {
    if (first) {
      let primed = await primeConnections(o.target, pool, 0, first, boundOf(first));
      const warmupConcurrency = first.schedule.kind === 'closed' ? first.schedule.concurrency : 1;
      await closedLoop(null, o.warmup, { kind: 'closed', concurrency: warmupConcurrency, description: 'warm-up' }, Infinity);
      // Only the measured phase: warm-up is there to absorb first-use stalls (compilation,
      // connection setup), and the delay only matters for the chunk times that are measured.
      eld.enable();
      stageEld.enable();
      stallWatch.start();
      measuredStart = performance.now();
      for (let plan: StagePlan | null = first; plan && !stopped; plan = stopped ? null : await planner.next(outcomes)) {
        unreachableAfter = o.unreachableAfter ?? Math.max(5, boundOf(plan));
        // The idle pause, from the end of the stage before; connections are opened after it, so a
        // server's keep-alive timeout during a long pause cannot close them.
        const prev = outcomes.at(-1);
        const pause = prev && plan.pauseBeforeMs ? { plannedMs: plan.pauseBeforeMs, from: prev.end } : undefined;
        if (pause) {
          await sleepUntil(pause.from + pause.plannedMs, pacer);
          if (stopped) break;
        }
        if (boundOf(plan) > poolSize) {
          const old = pool;
          poolSize = boundOf(plan);
          pool = o.target.createPool(poolSize);
          await old.close();
          primed = 0;
        }
        primed = await primeConnections(o.target, pool, primed, plan, boundOf(plan));
        await o.beforeStage?.(outcomes.length, plan);
        const outcome = await runStage(plan, outcomes.length);
        outcomes.push(pause ? { ...outcome, pause } : outcome);
      }
    }
  } finally {
    await allSunk();
    stallWatch.stop();
    eld.disable();
    stageEld.disable();
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
    achievedSendRate: rateOver(sent, firstSend, lastSend),
    priority,
    eventLoopDelayMs: readDelay(eld),
    stalls: stallWatch.summary(measuredStart),
    stages: outcomes,
  };
}

/** Closed-loop users started per turn of the event loop. */
const START_BATCH = 256;

/**
 * Connections opened ahead of a stage: its in-flight bound (closed loop), or up to 32 for an open
 * loop, and never more than 1024 (beyond that, the rest are opened as the requests need them:
 * thousands of concurrent `GET /models` would be a load test of their own).
 */
const PRIME_OPEN_LOOP = 32;
const PRIME_MAX = 1024;

/**
 * Opens the connections a stage will need before it starts, with concurrent `GET <api root>/models`
 * (each holds a connection while in flight, so the pool opens one per request): otherwise the
 * first requests of a stage wait for TCP (and TLS) setup, and a closed loop's opening burst shows
 * that as schedule lag. Failures are ignored (the stage's own requests report any). Returns the
 * connections now open.
 */
async function primeConnections(target: HttpTarget, pool: Pool, open: number, plan: StagePlan | null, bound: number): Promise<number> {
  if (!plan) return open;
  const want = Math.min(plan.schedule.kind === 'closed' ? bound : Math.min(bound, PRIME_OPEN_LOOP), PRIME_MAX);
  // One connection is no burst: a single request in flight waits for its own connection either way.
  if (want <= 1 || want <= open) return open;
  const path = `${target.apiRoot}/models`;
  // Short: a server that is slow to list its models must not hold the run up.
  const timeoutMs = Math.min(target.timeouts.connect, 2000);
  await Promise.all(Array.from({ length: want }, () => target.get(path, timeoutMs, pool).catch(() => null)));
  return want;
}

/** The single-stage plan of `schedule` + `requests`. */
function singleStage(o: RunnerOptions): StagePlanner {
  if (!o.schedule) throw new TypeError('runLoad: give `plan`, or `schedule` and `requests`');
  const s = o.schedule;
  return fixedPlanner(s.description, [
    {
      label: s.kind === 'closed' ? `concurrency ${s.concurrency}` : s.offeredRate !== null ? `rate ${s.offeredRate}/s` : 'open loop',
      description: s.description,
      schedule: s,
      maxRequests: o.requests ?? 0,
      durationMs: null,
      drainMs: 0,
      offered: { rate: s.kind === 'open' ? s.offeredRate : null, concurrency: s.kind === 'closed' ? s.concurrency : null },
    },
  ]);
}

/** Clears what one attempt measured, keeping the request's identity, `intended` and its retries. */
function resetAttempt(r: RequestRecord): void {
  r.handed = null;
  r.emptyChoiceTimes = null;
  r.lastChoice = null;
  r.sent = null;
  r.headers = null;
  r.firstChunk = null;
  r.chunkTimes = [];
  r.chunkTokens = null;
  r.chunkTokensSource = null;
  r.end = 0;
  r.status = null;
  r.usage = null;
  r.tokenizerOutputTokens = null;
  r.outputChars = 0;
  r.finishReason = null;
  r.servedBy = {};
  r.error = null;
}

/**
 * Wait before the next attempt of request `seq`, after `previousRetries` retries so far:
 * exponential, capped, times a jitter factor drawn from the request's sequence number and
 * attempt, so a run is repeatable and retries of many requests spread out.
 */
export function backoffOf(p: RetryPolicy, previousRetries: number, seq: number): number {
  const base = Math.min(p.initialBackoffMs * p.multiplier ** previousRetries, p.maxBackoffMs);
  if (p.jitter === 0) return base;
  // 32-bit integer hash of (seq, attempt) to [0, 1).
  let h = Math.imul(seq ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(previousRetries + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h ^= h >>> 15;
  const u = (h >>> 0) / 2 ** 32;
  return base * (1 - p.jitter + 2 * p.jitter * u);
}

/** Whether a finished request's watched latency passed the p95 rule's limit. */
function overLimit(r: RequestRecord, rules: StopRulesConfig, endMs: number): boolean {
  if (r.sent === null) return false;
  const until = rules.latencyMetric === 'ttft' ? r.firstChunk : endMs;
  return until !== null && until - r.sent > rules.latencyP95Ms;
}

function pct(x: number): string {
  return `${Number((x * 100).toFixed(1))}%`;
}

function readDelay(h: IntervalHistogram): { p50: number; p99: number; max: number } {
  return {
    p50: delayMs(h.count ? h.percentile(50) : 0),
    p99: delayMs(h.count ? h.percentile(99) : 0),
    max: delayMs(h.count ? h.max : 0),
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
