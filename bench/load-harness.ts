import { API_ADAPTERS, capabilitiesFor } from '../lib/apis/index.ts';
import { HttpTarget } from '../lib/http/target.ts';
import { type LoadOutcome, runLoad } from '../lib/load/runner.ts';
import type { SessionOptions } from '../lib/load/run-options.ts';
import type { Schedule } from '../lib/load/schedule.ts';
import type { RequestRecord } from '../lib/metrics/record.ts';
import type { SimOptionsInput } from '../sim/vllm/options.ts';
import { type SimProcess, spawnSimulator } from '../sim/vllm/spawn.ts';
import { type CpuUsage, startCpuMeter } from './cpu-meter.ts';

/*
 * The benchmark's load harness: the client's own runner (`runLoad`, undici, the SSE parser, the
 * completions adapter) against the embedded vLLM simulator in a child process, so the numbers
 * are the client's alone. Simulators are stopped on every exit path: normal end, error, SIGINT
 * (Ctrl-C) and SIGTERM.
 */

/** One load run: a schedule and what each request asks for. */
export interface HarnessRun {
  schedule: Schedule;
  /** Warm-up requests (closed loop, not measured): JIT, connections, simulator caches. */
  warmup: number;
  /** Measured requests. */
  requests: number;
  /** max_tokens of every request; the simulator generates exactly that many (`ignore_eos`). */
  maxTokens: number;
  /** Safety net: the run is cancelled after this long, ms. */
  deadlineMs: number;
  /** Streamed (default) or not. */
  stream?: boolean;
  /**
   * Multi-turn sessions of this many turns instead of single requests (`sessionOptions`): the
   * schedule starts sessions, `requests` counts them, and every turn of them is measured.
   */
  sessionTurns?: number;
  /**
   * Length of the measured phase, ms: it is stopped this long after its first send, requests
   * still in flight are cancelled (and neither counted as failures nor as finished), and
   * `windowMs` is exactly this. `requests` is then only an upper bound.
   */
  durationMs?: number;
  /** Keep each request's lag, E2E and span for the result (default true; off for memory runs, whose growth they would be part of). */
  keepSamples?: boolean;
  /** Extra work per measured record, as a suite does it (statistics, requests file); runs before the harness's own counting. */
  onRecord?: (r: RequestRecord) => void;
  /** Called once, just before the first measured request is sent. */
  onMeasuredStart?: () => void;
}

/** What the benchmark keeps of a run: counts and samples, never whole records. */
export interface HarnessResult {
  outcome: LoadOutcome;
  /** Measured requests that finished without error. */
  ok: number;
  /** Failures by class (`http_status`, `stream_cut`, ...); with `durationMs`, not the requests cancelled at its end. */
  errors: Record<string, number>;
  /** Requests cancelled when `durationMs` ran out (in flight at that moment). */
  cancelledAtEnd: number;
  /** Content chunks received, parsed and timestamped over the measured requests (with `durationMs`, those of the requests cancelled at its end too). */
  contentChunks: number;
  /** Schedule lag (sent - intended) of every measured request that was sent, ms. */
  lagMs: number[];
  /** E2E latency (end - sent) of every measured request that was sent, ms: how fast the simulator answered. */
  e2eMs: number[];
  /** Most measured requests in flight at once (between `sent` and `end`). */
  peakInFlight: number;
  /** Measured phase, from its start to the last response's end (with `durationMs`: exactly that), ms. */
  windowMs: number;
  /** CPU of client, simulator and the rest of the machine over the measured phase. */
  cpu: CpuUsage;
  /** RSS of this process when the run started, MB. */
  startRssMb: number;
  /** Highest RSS of this process, sampled every 100 ms during the run, MB. */
  peakRssMb: number;
}

const MODEL = 'Qwen/Qwen3-0.6B';
/** A short prompt: prefill is not what these benchmarks measure. */
const PROMPT = 'Summarise the history of the printing press in three sentences.';
const TIMEOUTS = { connect: 5_000, firstToken: 30_000, idle: 30_000, total: 120_000 };

const live = new Set<SimProcess>();
let hooked = false;

/**
 * Starts a simulator child (`tokenizer: words`, the fast one, unless given) and registers it for
 * cleanup by `stopSimulators()`, or by SIGINT/SIGTERM, which stop it and exit with 130/143.
 */
export async function startSimulator(options: SimOptionsInput): Promise<SimProcess> {
  if (!hooked) {
    hooked = true;
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      process.once(signal, () => {
        process.stderr.write(`\nbench: ${signal}, stopping the simulator\n`);
        void stopSimulators().finally(() => process.exit(code));
      });
    }
  }
  const sim = await spawnSimulator({ tokenizer: 'words', ...options });
  live.add(sim);
  return sim;
}

/** Stops every simulator started by `startSimulator` that still runs. Safe to call again. */
export async function stopSimulators(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.allSettled(all.map((s) => s.stop()));
}

/**
 * Runs `run` through `runLoad` exactly as a suite does (completions API, streamed unless told
 * otherwise, vLLM capabilities: `ignore_eos` and continuous usage), with the CPU meter around the
 * measured phase.
 */
export async function runHarness(sim: SimProcess, run: HarnessRun): Promise<HarnessResult> {
  const adapter = API_ADAPTERS.completions;
  const target = new HttpTarget({ baseUrl: sim.url, timeouts: TIMEOUTS });
  const stream = run.stream ?? true;
  const keep = run.keepSamples ?? true;
  const body = requestBody(run.maxTokens, stream);
  const spec = { body, cell: `max_tokens=${run.maxTokens}`, promptTokens: 12, maxTokens: run.maxTokens };
  const sessions = run.sessionTurns ? sessionOptions(run.requests, run.sessionTurns, run.maxTokens) : null;
  const expected = run.requests * (run.sessionTurns ?? 1);
  const errors: Record<string, number> = {};
  let cancelledAtEnd = 0;
  // With a duration: stopped from the first measured send on; `timer` is that stop.
  const stop = new AbortController();
  let measuredAt = NaN;
  let stoppedAt = NaN;
  let timer: NodeJS.Timeout | null = null;
  const lagMs: number[] = [];
  const e2eMs: number[] = [];
  const spans: number[] = [];
  let ok = 0;
  let contentChunks = 0;
  let measured = 0;
  const meter: { stop: (() => CpuUsage) | null; cpu: CpuUsage | null } = { stop: null, cpu: null };
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
  rssTimer.unref();
  const beginMeasured = (): void => {
    if (meter.stop || meter.cpu) return;
    run.onMeasuredStart?.();
    meter.stop = startCpuMeter(sim.pid);
    measuredAt = performance.now();
    if (run.durationMs !== undefined) {
      timer = setTimeout(() => {
        stoppedAt = performance.now();
        endMeter(meter);
        stop.abort(new Error('measured duration over'));
      }, run.durationMs);
    }
  };
  try {
    const outcome = await runLoad({
      target, adapter, model: MODEL, stream, schedule: run.schedule, warmup: run.warmup,
      requests: run.requests, requestIdPrefix: 'bench', keepText: false,
      signal: AbortSignal.any([AbortSignal.timeout(run.deadlineMs), stop.signal]),
      request(i) {
        // The runner asks for a payload just before sending it: the measured phase starts here.
        if (i === run.warmup && !sessions) beginMeasured();
        return spec;
      },
      // Sessions take no payload from `request` (it only gives the warm-up requests).
      ...(sessions ? { sessions, onStageStart: beginMeasured } : {}),
      onRecord(r) {
        if (r.warmup) return;
        if (r.error?.class === 'cancelled' && stop.signal.aborted) {
          // Its chunks arrived within the window: they count, the request does not.
          cancelledAtEnd++;
          contentChunks += r.chunkTimes.length;
          return;
        }
        run.onRecord?.(r);
        if (r.error) errors[r.error.class] = (errors[r.error.class] ?? 0) + 1;
        else ok++;
        contentChunks += r.chunkTimes.length;
        if (keep && r.sent !== null) {
          lagMs.push(r.sent - r.intended);
          e2eMs.push(r.end - r.sent);
          spans.push(r.sent, r.end);
        }
        // The last measured record ends the interval (closing the pool is not the client's work).
        if (++measured === expected) endMeter(meter);
      },
    });
    endMeter(meter);
    if (!meter.cpu) throw new Error('bench: no measured request was sent');
    const windowMs = Number.isFinite(stoppedAt) ? stoppedAt - measuredAt : outcome.end - outcome.measuredStart;
    return {
      outcome, ok, errors, cancelledAtEnd, contentChunks, lagMs, e2eMs, peakInFlight: peakOverlap(spans), windowMs, cpu: meter.cpu,
      startRssMb: startRss / 2 ** 20, peakRssMb: Math.max(peakRss, process.memoryUsage.rss()) / 2 ** 20,
    };
  } finally {
    clearInterval(rssTimer);
    if (timer) clearTimeout(timer);
  }
}

/** The body every harness request sends (completions API, vLLM capabilities: `ignore_eos`, continuous usage when streamed). */
export function requestBody(maxTokens: number, stream: boolean): string {
  return API_ADAPTERS.completions.body({ model: MODEL, prompt: PROMPT, maxTokens, stream }, capabilitiesFor('vllm'));
}

/**
 * `n` sessions of `turns` turns with zero think time, through the same completions body as the
 * single requests: the harness prompt, then one short follow-up line per turn after the response
 * so far. The plans are built before the run (the runner only looks them up).
 */
export function sessionOptions(n: number, turns: number, maxTokens: number): SessionOptions {
  const turnPlans = Array.from({ length: turns }, (_, k) => ({ text: k === 0 ? '' : ' Go on.', tokens: k === 0 ? 0 : 3, maxTokens, thinkS: 0 }));
  const cell = `sessions of ${turns} turns, max_tokens=${maxTokens}`;
  const plans = Array.from({ length: n }, (_, i) => ({ id: `bench-s${i}`, system: PROMPT, systemTokens: 12, turns: turnPlans, cell }));
  return { session: (i) => plans[i]!, caps: capabilitiesFor('vllm') };
}

function endMeter(meter: { stop: (() => CpuUsage) | null; cpu: CpuUsage | null }): void {
  if (!meter.stop) return;
  meter.cpu = meter.stop();
  meter.stop = null;
}

/** Most intervals overlapping at one instant; `spans` holds start, end pairs. */
function peakOverlap(spans: number[]): number {
  const edges: [number, number][] = [];
  for (let i = 0; i < spans.length; i += 2) edges.push([spans[i]!, 1], [spans[i + 1]!, -1]);
  // Ends sort before starts at the same instant: a slot freed and reused is one in flight, not two.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (now += d));
  return peak;
}
