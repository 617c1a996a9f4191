import { setImmediate as immediate } from 'node:timers/promises';
import { createSchedule } from '../lib/load/registry.ts';
import { summarize } from '../lib/stats/index.ts';
import { type CpuUsage, startCpuMeter } from './cpu-meter.ts';
import { type HarnessResult, runHarness, startSimulator, stopSimulators } from './load-harness.ts';

/*
 * The two load benchmarks. Both run the client's real runner against a simulator child process
 * and report what the client achieved next to who used the CPU, because on a 2-core machine the
 * client, the simulator and everything else compete for the same cores. Each also runs on the
 * session path (`sessionTurns`): the same requests as turns of multi-turn sessions, each turn sent
 * when the previous response ended, carrying the conversation so far.
 */

/** CPU over a measured phase, in % of one core, and the client's wait for a CPU. */
export interface CpuShare {
  clientPct: number;
  simPct: number | null;
  otherPct: number | null;
  stealPct: number | null;
  /** ms per second the client's main thread was runnable but not running (descheduled). */
  clientRunQueueMsPerS: number | null;
}

/** One SSE throughput run. */
export interface SseResult {
  name: string;
  /** Turns per session on the session path; absent on the single-request path. */
  sessionTurns?: number;
  concurrency: number;
  maxTokens: number;
  itlMs: number;
  /** Content events the simulator was asked to produce per second (concurrency / ITL), null when unbounded. */
  offeredEventsPerS: number;
  requestsPerS: number;
  /** Content chunks received, parsed and timestamped per second (the client's SSE throughput). */
  eventsPerS: number;
  /** Client CPU time per content event, µs (all the client's work divided by events). */
  cpuUsPerEvent: number;
  eventLoopDelayP99Ms: number;
  /** RSS at the start of the run and its peak during it, MB. */
  startRssMb: number;
  peakRssMb: number;
  failed: number;
  cpu: CpuShare;
}

/** One open-loop schedule-lag run. */
export interface LagResult {
  /** `http`: the runner against the simulator; `pacing only`: the runner's wait loop alone, no requests (the machine's floor). */
  kind: 'http' | 'pacing only';
  /** Turns per session on the session path (sessions arrive at `offeredRate / sessionTurns`); absent on the single-request path. */
  sessionTurns?: number;
  /** Requests per second offered (on the session path: session arrivals x turns, every turn sent as soon as the last response ended). */
  offeredRate: number;
  achievedSendRate: number | null;
  requests: number;
  failed: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** E2E latency p99 (end - sent), ms: when it grows, the simulator (or the client's reading) fell behind. */
  e2eP99Ms: number;
  peakInFlight: number;
  eventLoopDelayP99Ms: number;
  cpu: CpuShare;
}

/** An SSE throughput configuration: `concurrency` streams of `maxTokens` tokens, one token every `itlMs`. */
export interface SseConfig {
  name: string;
  concurrency: number;
  maxTokens: number;
  itlMs: number;
  /** Requests in all (on the session path, `requests / sessionTurns` sessions). */
  requests: number;
  /** Run `concurrency` users of sessions of this many turns (zero think time) instead of single requests. */
  sessionTurns?: number;
  /**
   * Measure for this long, s, instead of until `requests` finished. Sessions need it: with a
   * request count, the last sessions run their turns at a fraction of `concurrency`.
   */
  seconds?: number;
}

/**
 * Closed loop against a simulator with a tiny ITL: every stream produces events faster than one
 * client parses them when `itlMs` is small enough, so this measures the client's ceiling.
 */
export async function benchSseThroughput(cfg: SseConfig): Promise<SseResult> {
  const sim = await startSimulator({
    profile: 'test-fast', itl_ms: cfg.itlMs, prefill_overhead_ms: 1, max_num_seqs: cfg.concurrency, max_waiting: 10_000,
  });
  try {
    const turns = cfg.sessionTurns;
    const r = await runHarness(sim, {
      schedule: createSchedule({ type: 'concurrency', concurrency: cfg.concurrency }),
      warmup: cfg.concurrency, requests: turns ? Math.ceil(cfg.requests / turns) : cfg.requests, maxTokens: cfg.maxTokens, deadlineMs: 90_000,
      ...(turns ? { sessionTurns: turns } : {}),
      ...(cfg.seconds ? { durationMs: cfg.seconds * 1000 } : {}),
    });
    const s = r.windowMs / 1000;
    return {
      name: cfg.name, ...(turns ? { sessionTurns: turns } : {}), concurrency: cfg.concurrency, maxTokens: cfg.maxTokens, itlMs: cfg.itlMs,
      offeredEventsPerS: (cfg.concurrency * 1000) / cfg.itlMs,
      requestsPerS: r.ok / s,
      eventsPerS: r.contentChunks / s,
      cpuUsPerEvent: (r.cpu.clientCpuMs * 1000) / Math.max(1, r.contentChunks),
      eventLoopDelayP99Ms: r.outcome.eventLoopDelayMs.p99,
      startRssMb: r.startRssMb,
      peakRssMb: r.peakRssMb,
      failed: failures(r),
      cpu: share(r.cpu),
    };
  } finally {
    await stopSimulators();
  }
}

/** A schedule-lag configuration: `rate` requests/s for `seconds`. */
export interface LagConfig {
  rate: number;
  seconds: number;
  /** Sessions of this many turns (zero think time) arriving at `rate / sessionTurns` per second, instead of single requests. */
  sessionTurns?: number;
}

/** Short requests (10 output tokens at 1 ms ITL, ~12 ms each) so in-flight stays modest even at 2000 requests/s. */
const LAG_SIM = { profile: 'test-fast', itl_ms: 1, prefill_overhead_ms: 1, max_num_seqs: 256, max_waiting: 10_000 } as const;
const LAG_MAX_TOKENS = 10;

/**
 * Open loop at each constant rate, one simulator for all of them: schedule lag (sent - intended,
 * from the records) says whether the client sent on time.
 */
export async function benchScheduleLag(configs: readonly LagConfig[]): Promise<LagResult[]> {
  const sim = await startSimulator(LAG_SIM);
  const out: LagResult[] = [];
  try {
    for (const { rate, seconds, sessionTurns: turns } of configs) {
      const requests = Math.round(rate * seconds);
      const r = await runHarness(sim, {
        schedule: createSchedule({ type: 'constant', rate: turns ? rate / turns : rate, max_in_flight: 1000 }),
        warmup: 50, requests: turns ? Math.round(requests / turns) : requests, maxTokens: LAG_MAX_TOKENS, deadlineMs: seconds * 1000 + 30_000,
        ...(turns ? { sessionTurns: turns } : {}),
      });
      const lag = summarize(r.lagMs, [50, 99]);
      out.push({
        kind: 'http',
        ...(turns ? { sessionTurns: turns } : {}),
        offeredRate: rate,
        achievedSendRate: r.outcome.achievedSendRate,
        requests,
        failed: failures(r),
        lagP50Ms: lag.percentiles.p50 ?? NaN,
        lagP99Ms: lag.percentiles.p99 ?? NaN,
        lagMaxMs: lag.max ?? NaN,
        e2eP99Ms: summarize(r.e2eMs, [99]).percentiles.p99 ?? NaN,
        peakInFlight: r.peakInFlight,
        eventLoopDelayP99Ms: r.outcome.eventLoopDelayMs.p99,
        cpu: share(r.cpu),
      });
    }
    return out;
  } finally {
    await stopSimulators();
  }
}

/** `SPIN_MS` of lib/load/run-control.ts (not exported: the pacer is the runner's private affair). */
const PACER_SPIN_MS = 2;

/**
 * The machine's floor for schedule lag: the runner's wait loop alone at `rate`, with no request
 * sent and no simulator. It mirrors `sleepUntil` in lib/load/run-control.ts (a timer for all but the
 * last `SPIN_MS`, then `setImmediate` until due); lateness here is timer and OS wake-up latency,
 * which no HTTP client on this machine can beat with that wait.
 */
export async function benchPacingFloor(rate: number, seconds: number): Promise<LagResult> {
  const n = Math.round(rate * seconds);
  const lag = new Float64Array(n);
  const gap = 1000 / rate;
  const meter = startCpuMeter(null);
  const t0 = performance.now() + 10;
  let first = 0;
  let last = 0;
  for (let k = 0; k < n; k++) {
    const due = t0 + k * gap;
    const d = due - performance.now();
    if (d > PACER_SPIN_MS + 0.5) await new Promise((r) => setTimeout(r, Math.floor(d - PACER_SPIN_MS)));
    while (performance.now() < due) await immediate();
    last = performance.now();
    if (k === 0) first = last;
    lag[k] = last - due;
  }
  const cpu = share(meter());
  const s = summarize(lag, [50, 99]);
  return {
    kind: 'pacing only', offeredRate: rate, achievedSendRate: ((n - 1) * 1000) / (last - first), requests: n, failed: 0,
    lagP50Ms: s.percentiles.p50 ?? NaN, lagP99Ms: s.percentiles.p99 ?? NaN, lagMaxMs: s.max ?? NaN, e2eP99Ms: NaN,
    peakInFlight: 0, eventLoopDelayP99Ms: NaN, cpu,
  };
}

function failures(r: HarnessResult): number {
  let n = 0;
  for (const k in r.errors) n += r.errors[k]!;
  return n;
}

/** CPU usage as shares of one core. */
export function share(c: CpuUsage): CpuShare {
  const pct = (ms: number | null): number | null => (ms === null ? null : (ms * 100) / c.wallMs);
  return {
    clientPct: pct(c.clientCpuMs)!,
    simPct: pct(c.simCpuMs),
    otherPct: pct(c.otherCpuMs),
    stealPct: pct(c.stealMs),
    clientRunQueueMsPerS: c.clientRunQueueMs === null ? null : (c.clientRunQueueMs * 1000) / c.wallMs,
  };
}
