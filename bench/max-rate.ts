import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatsAccumulator } from '../lib/metrics/aggregate.ts';
import { readRunClock } from '../lib/metrics/record.ts';
import { RequestsFile } from '../lib/run-folder/requests-file.ts';
import { processCpuMs } from './cpu-meter.ts';
import { requestBody, runHarness, startSimulator, stopSimulators } from './load-harness.ts';
import { type CpuShare, share } from './scenarios.ts';

/*
 * The client's highest request rate next to wrk's: closed loop at a fixed number of connections,
 * non-streaming requests of a few tokens, against the simulator (in its own process) with every
 * modeled latency at zero, so both clients meet the same server doing the least it can. Both
 * send the same POST body over the same number of keep-alive connections for the same time.
 * wrk runs with one thread, as this client has one measuring thread.
 */

/** One max-rate configuration. */
export interface MaxRateConfig {
  /** Connections (our closed-loop concurrency, wrk's -c). */
  connections: number;
  /** max_tokens of every request (non-streaming). */
  maxTokens: number;
  /** Measured seconds of each run. */
  seconds: number;
  /** Runs of each client, alternating; the best of each is reported (others' load on a shared machine only ever slows a run down). */
  rounds: number;
}

/** One timed run of one client. */
export interface RateRun {
  /** `runner`: runLoad alone; `suite path`: runLoad + statistics + requests.jsonl, as a suite runs; `wrk`. */
  client: 'runner' | 'suite path' | 'wrk';
  requestsPerS: number;
  requests: number;
  seconds: number;
  /** Failed requests (HTTP errors, socket errors). */
  failed: number;
  /** CPU of the run; for wrk, `clientPct` is wrk's own. */
  cpu: CpuShare;
}

/** The comparison. */
export interface MaxRateResult {
  config: MaxRateConfig;
  /** The wrk binary's version line, or null when wrk is not installed. */
  wrk: string | null;
  /** Why wrk did not run, when it did not. */
  wrkMissing: string | null;
  runs: RateRun[];
  /** Best requests/s per client (null: not run). */
  best: { runner: number | null; suitePath: number | null; wrk: number | null };
  /** wrk's best / the suite path's best (null without wrk): at most 3 is the target. */
  wrkOverOurs: number | null;
}

/** Every modeled duration zero: the server answers as fast as its event loop allows. */
const ZERO_LATENCY = {
  profile: 'test-fast', prefill_overhead_ms: 0, prefill_per_token_ms: 0, itl_ms: 0, ttft_std_ms: 0, itl_std_ms: 0,
  load_factor: 1, max_waiting: 100_000,
} as const;

/** wrk's version line, or null when it is not on the PATH. */
export function wrkVersion(): string | null {
  try {
    // `wrk -v` prints its version and exits 1.
    return execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
  } catch (err) {
    const out = String((err as { stdout?: string }).stdout ?? '');
    return out.startsWith('wrk') ? out.split('\n')[0]!.trim() : null;
  }
}

/** Runs the comparison (see the module comment). */
export async function benchMaxRate(cfg: MaxRateConfig): Promise<MaxRateResult> {
  const wrk = wrkVersion();
  const sim = await startSimulator({ ...ZERO_LATENCY, max_num_seqs: cfg.connections });
  const dir = mkdtempSync(join(tmpdir(), 'bench-max-rate-'));
  const runs: RateRun[] = [];
  try {
    const body = requestBody(cfg.maxTokens, false);
    const lua = join(dir, 'post.lua');
    writeFileSync(lua, wrkScript(body));
    for (let round = 0; round < cfg.rounds; round++) {
      runs.push(await ours(sim, cfg, round === 0 ? 2000 : 200, null));
      runs.push(await ours(sim, cfg, 200, join(dir, `requests-${round}.jsonl`)));
      if (wrk) runs.push(await runWrk(sim.url, sim.pid, lua, cfg));
    }
  } finally {
    await stopSimulators();
    rmSync(dir, { recursive: true, force: true });
  }
  const best = (c: RateRun['client']): number | null => {
    const r = runs.filter((x) => x.client === c && x.failed === 0).map((x) => x.requestsPerS);
    return r.length ? Math.max(...r) : null;
  };
  const b = { runner: best('runner'), suitePath: best('suite path'), wrk: best('wrk') };
  return {
    config: cfg,
    wrk,
    wrkMissing: wrk ? null : 'wrk is not installed (apt-get install wrk): only this client was measured',
    runs,
    best: b,
    wrkOverOurs: b.wrk !== null && b.suitePath ? b.wrk / b.suitePath : null,
  };
}

/** Our client for `cfg.seconds`: the runner alone, or with a suite's per-record work when `requestsPath` is given. */
async function ours(sim: Awaited<ReturnType<typeof startSimulator>>, cfg: MaxRateConfig, warmup: number, requestsPath: string | null): Promise<RateRun> {
  const stats = new StatsAccumulator();
  const perCell = new StatsAccumulator();
  const file = requestsPath ? new RequestsFile(requestsPath) : null;
  const clock = readRunClock();
  try {
    const r = await runHarness(sim, {
      schedule: { kind: 'closed', concurrency: cfg.connections, description: `concurrency ${cfg.connections} (closed loop)` },
      warmup, requests: 100_000_000, maxTokens: cfg.maxTokens, stream: false, keepSamples: false,
      durationMs: cfg.seconds * 1000, deadlineMs: cfg.seconds * 1000 + 60_000,
      onRecord: file
        ? (rec) => {
            const m = stats.add(rec);
            perCell.add(rec);
            file.append('max-rate', clock, rec, m);
          }
        : undefined,
    });
    let failed = 0;
    for (const k in r.errors) failed += r.errors[k]!;
    return { client: file ? 'suite path' : 'runner', requestsPerS: (r.ok * 1000) / r.windowMs, requests: r.ok, seconds: r.windowMs / 1000, failed, cpu: share(r.cpu) };
  } finally {
    file?.close();
  }
}

/** A wrk Lua script that POSTs `body` (in a long bracket, so nothing in it needs escaping). */
function wrkScript(body: string): string {
  let eq = '=';
  while (body.includes(`]${eq}]`)) eq += '=';
  return [
    'wrk.method = "POST"',
    `wrk.body = [${eq}[${body}]${eq}]`,
    'wrk.headers["Content-Type"] = "application/json"',
    'wrk.headers["Accept"] = "text/event-stream, application/json"',
    'wrk.headers["x-request-id"] = "wrk"',
    '',
  ].join('\n');
}

/**
 * wrk against the same endpoint: one thread, `connections` connections, `seconds` long. It gets
 * this process's scheduling priority (nice -10 when this process could raise its own), so
 * neither client is favoured by the scheduler.
 */
async function runWrk(base: string, simPid: number, lua: string, cfg: MaxRateConfig): Promise<RateRun> {
  const args = ['-t1', `-c${cfg.connections}`, `-d${cfg.seconds}s`, '--timeout', '10s', '-s', lua, `${base}/v1/completions`];
  const nice = safeNice();
  const [cmd, argv] = nice < 0 ? ['nice', ['-n', String(nice), 'wrk', ...args]] : ['wrk', args];
  const wall0 = performance.now();
  const sim0 = processCpuMs(simPid);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // wrk's CPU, read from /proc while it runs (after it exits there is nothing left to read).
  let wrkCpu = 0;
  const poll = setInterval(() => (wrkCpu = processCpuMs(child.pid!) ?? wrkCpu), 100);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(poll);
  const wallMs = performance.now() - wall0;
  const sim1 = processCpuMs(simPid);
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${err.trim() || out.trim()}`);
  const total = /(\d+) requests in ([\d.]+)(m?s|m)\b/.exec(out);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!total || !rate) throw new Error(`cannot read wrk's output: ${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const sockErrors = sock ? sock.slice(1).reduce((a, x) => a + Number(x), 0) : 0;
  const pct = (ms: number | null): number | null => (ms === null ? null : (ms * 100) / wallMs);
  return {
    client: 'wrk',
    requestsPerS: Number(rate[1]),
    requests: Number(total[1]),
    seconds: cfg.seconds,
    failed: non2xx + sockErrors,
    cpu: {
      clientPct: pct(wrkCpu)!,
      simPct: sim0 !== null && sim1 !== null ? pct(sim1 - sim0) : null,
      otherPct: null,
      stealPct: null,
      clientRunQueueMsPerS: null,
    },
  };
}

function safeNice(): number {
  try {
    return getPriority();
  } catch {
    return 0;
  }
}
