import { API_ADAPTERS, capabilitiesFor } from '../lib/apis/index.ts';
import { HttpTarget } from '../lib/http/target.ts';
import { type LoadOutcome, runLoad } from '../lib/load/runner.ts';
import type { Schedule } from '../lib/load/schedule.ts';
import type { SimOptionsInput } from '../lib/sim/vllm/options.ts';
import { type SimProcess, spawnSimulator } from '../lib/sim/vllm/spawn.ts';
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
}

/** What the benchmark keeps of a run: counts and samples, never whole records. */
export interface HarnessResult {
  outcome: LoadOutcome;
  /** Measured requests that finished without error. */
  ok: number;
  /** Failures by class (`http_status`, `stream_cut`, ...). */
  errors: Record<string, number>;
  /** Content chunks received, parsed and timestamped over the measured requests. */
  contentChunks: number;
  /** Schedule lag (sent - intended) of every measured request that was sent, ms. */
  lagMs: number[];
  /** E2E latency (end - sent) of every measured request that was sent, ms: how fast the simulator answered. */
  e2eMs: number[];
  /** Most measured requests in flight at once (between `sent` and `end`). */
  peakInFlight: number;
  /** Measured phase, from its start to the last response's end, ms. */
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
 * Runs `run` through `runLoad` exactly as a suite does (completions API, streamed, vLLM
 * capabilities: `ignore_eos` and continuous usage), with the CPU meter around the measured phase.
 */
export async function runHarness(sim: SimProcess, run: HarnessRun): Promise<HarnessResult> {
  const adapter = API_ADAPTERS.completions;
  const target = new HttpTarget({ baseUrl: sim.url, timeouts: TIMEOUTS });
  const body = adapter.body({ model: MODEL, prompt: PROMPT, maxTokens: run.maxTokens, stream: true }, capabilitiesFor('vllm'));
  const spec = { body, cell: `max_tokens=${run.maxTokens}`, promptTokens: 12, maxTokens: run.maxTokens };
  const errors: Record<string, number> = {};
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
  try {
    const outcome = await runLoad({
      target, adapter, model: MODEL, stream: true, schedule: run.schedule, warmup: run.warmup,
      requests: run.requests, requestIdPrefix: 'bench', keepText: false, signal: AbortSignal.timeout(run.deadlineMs),
      request(i) {
        // The runner asks for a payload just before sending it: the measured phase starts here.
        if (i === run.warmup && !meter.stop && !meter.cpu) meter.stop = startCpuMeter(sim.pid);
        return spec;
      },
      onRecord(r) {
        if (r.warmup) return;
        if (r.error) errors[r.error.class] = (errors[r.error.class] ?? 0) + 1;
        else ok++;
        contentChunks += r.chunkTimes.length;
        if (r.sent !== null) {
          lagMs.push(r.sent - r.intended);
          e2eMs.push(r.end - r.sent);
          spans.push(r.sent, r.end);
        }
        // The last measured record ends the interval (closing the pool is not the client's work).
        if (++measured === run.requests) endMeter(meter);
      },
    });
    endMeter(meter);
    if (!meter.cpu) throw new Error('bench: no measured request was sent');
    const windowMs = outcome.end - outcome.measuredStart;
    return {
      outcome, ok, errors, contentChunks, lagMs, e2eMs, peakInFlight: peakOverlap(spans), windowMs, cpu: meter.cpu,
      startRssMb: startRss / 2 ** 20, peakRssMb: Math.max(peakRss, process.memoryUsage.rss()) / 2 ** 20,
    };
  } finally {
    clearInterval(rssTimer);
  }
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
