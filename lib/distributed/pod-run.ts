/**
 * The pod's side of a distributed run (`README.md` of lib/distributed, "In the pod"): pod 0 starts the
 * coordinator; every pod measures its clock offset against it, runs `vitest run <files>` on its
 * share, writes `pod.json` and, for a launcher that follows the log, sends its results folder
 * to stdout as frames (`log-frames.ts`). stdout carries frames only: vitest's output and the
 * short `pod-run:` status lines go to stderr.
 *
 * After vitest exits, and pod.json and the frames are out, each pod arrives at the barrier `done`; pod 0 keeps its coordinator up
 * until every pod has arrived there or the barrier timeout has passed, so no pod still at a
 * stage barrier loses it. On SIGTERM vitest gets SIGTERM (its cleanup runs), and what the pod
 * wrote so far is still described and streamed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vitestBin } from '../vitest/vitest-bin.ts';
import { redactText } from '../config/redact.ts';
import { ConfigError } from '../errors/config-error.ts';
import { secretValues } from '../run-folder/environment.ts';
import { settings, type SettingName } from '../settings/registry.ts';
import { postBarrier, measureClockOffset, type ClockOffset } from './clock-offset.ts';
import { startCoordinator, type Coordinator } from './coordinator.ts';
import { writeFolderFrames } from './log-frames.ts';

/** What a pod reads from its environment (`README.md` of lib/distributed, "Pod env"). */
export interface PodEnv {
  /** `JOB_COMPLETION_INDEX`. */
  index: number;
  /** `BENCH_PARALLELISM`: pods in the Job. */
  count: number;
  /** `BENCH_COORDINATOR`: pod 0's coordinator through its Service, `http://<ip>:7070`. */
  coordinator: string;
  /** `BENCH_COORDINATOR_PORT`: where pod 0 listens. */
  port: number;
  /** `POD_NAME`, `NODE_NAME`, `POD_IP` (downward API), null when unset. */
  pod: string | null;
  node: string | null;
  podIp: string | null;
  /** `BENCH_RESULTS_DIR`: the folder vitest writes its run folder into, and pod.json. */
  resultsDir: string;
  /** `BENCH_LAUNCH_STREAM=1`: send the results folder to stdout as frames at the end. */
  stream: boolean;
  /** `BENCH_BARRIER_TIMEOUT_S` (default 120) in ms: how long a barrier waits for missing pods. */
  barrierTimeoutMs: number;
}

/** Reads the pod's settings; throws a `ConfigError` naming the first missing or invalid variable. */
export function readPodEnv(env: NodeJS.ProcessEnv): PodEnv {
  const s = settings(env);
  const get = (name: string): string | null => env[name]?.trim() || null;
  const missing = (name: string, what: string): never => {
    throw new ConfigError(`env ${name}`, '', `not set (${what})`);
  };
  const need = <N extends SettingName>(name: N, what: string) => s.given(name) ?? missing(name, what);
  const count = need('BENCH_PARALLELISM', 'the number of pods');
  // Set by Kubernetes for the Indexed Job, not a setting of the tool.
  const indexText = get('JOB_COMPLETION_INDEX') ?? missing('JOB_COMPLETION_INDEX', 'set by the Indexed Job');
  const index = /^\d+$/.test(indexText) ? Number(indexText) : NaN;
  if (!(index >= 0 && index <= count - 1)) throw new ConfigError('env JOB_COMPLETION_INDEX', '', `expected an integer in 0..${count - 1}, got ${JSON.stringify(indexText)}`);
  const coordinator = need('BENCH_COORDINATOR', "pod 0's coordinator, http://<host>:<port>");
  let url: URL | null = null;
  try {
    url = new URL(coordinator);
  } catch {
    url = null;
  }
  if (!url || url.protocol !== 'http:') throw new ConfigError('env BENCH_COORDINATOR', '', 'expected http://<host>:<port>');
  const stream = s.get('BENCH_LAUNCH_STREAM');
  return {
    index, count, coordinator,
    port: need('BENCH_COORDINATOR_PORT', 'the port pod 0 listens on'),
    pod: get('POD_NAME'), node: get('NODE_NAME'), podIp: get('POD_IP'),
    resultsDir: need('BENCH_RESULTS_DIR', 'where the pod writes its results'),
    stream,
    barrierTimeoutMs: s.get('BENCH_BARRIER_TIMEOUT_S') * 1000,
  };
}

/** Options of `runPod`. */
export interface PodRunOptions {
  /** Test files (or vitest filters) for `vitest run`. */
  files: string[];
  /** Options after `--`, passed to vitest. */
  vitestArgs?: string[];
  /** The pod's environment (`process.env`). */
  env: NodeJS.ProcessEnv;
  /** Project folder vitest runs in (`/app`). */
  cwd: string;
  /** Writes one frame line (no newline) to stdout; awaited. */
  out(line: string): void | Promise<void>;
  /** Writes status lines and vitest's output (stderr). */
  err(text: string): void;
  /** Aborted on SIGTERM (reason `SIGTERM`) or SIGINT (reason `SIGINT`: vitest got it from the terminal too). */
  signal?: AbortSignal;
  /** How long a pod tries to reach the coordinator before it runs unsynchronised, ms; default 5 min (pod 0 may be pulling its image). */
  clockTimeoutMs?: number;
  /** How long vitest has to exit after SIGTERM before it is killed, ms; default 20 s. */
  killAfterMs?: number;
}

/** `pod.json`: what the pod did, for the launcher and the merge. */
export interface PodRecord {
  format: 'vitest-llm-d/pod@1';
  index: number;
  count: number;
  pod: string | null;
  node: string | null;
  /** Clock offset against pod 0 (`clock-offset.ts`); null when it could not be measured: the pod ran unsynchronised. */
  clock: ClockOffset | null;
  /** vitest's exit code; null when vitest did not run. */
  exitCode: number | null;
  startedAt: string;
  endedAt: string;
  /** What went wrong around vitest (coordinator, clock, frames), one line each. */
  errors: string[];
}

/** The variables vitest runs with: the pod's own, plus its share and clock. */
export function vitestEnv(env: NodeJS.ProcessEnv, pod: PodEnv, clock: ClockOffset | null): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, BENCH_SHARE: `${pod.index}/${pod.count}`, BENCH_COORDINATOR: pod.coordinator };
  delete out.BENCH_CLOCK_OFFSET_MS;
  delete out.BENCH_CLOCK_OFFSET_BOUND_MS;
  if (clock) {
    out.BENCH_CLOCK_OFFSET_MS = String(clock.offsetMs);
    out.BENCH_CLOCK_OFFSET_BOUND_MS = String(clock.boundMs);
  }
  return out;
}

/**
 * Runs the pod (see the module comment); resolves to its exit code: 0 when vitest ran to its end
 * (whatever its tests said: `pod.json` keeps vitest's code), 2 on pod-run's own errors or a vitest
 * that did not finish.
 */
export async function runPod(opts: PodRunOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  const secrets = secretValues(opts.env);
  const status = (text: string): void => opts.err(`pod-run: ${redactText(text, secrets)}\n`);
  let pod: PodEnv;
  try {
    pod = readPodEnv(opts.env);
  } catch (err) {
    status((err as Error).message);
    return 2;
  }
  const { signal } = opts;
  const errors: string[] = [];
  const fail = (text: string): void => {
    errors.push(redactText(text, secrets));
    status(text);
  };
  let ownError = false;
  status(`pod ${pod.index} of ${pod.count} (${pod.pod ?? '?'} on ${pod.node ?? '?'}); coordinator ${pod.coordinator}`);
  try {
    mkdirSync(pod.resultsDir, { recursive: true });
  } catch (err) {
    status(`BENCH_RESULTS_DIR ${pod.resultsDir}: cannot create it: ${(err as Error).message}`);
    return 2;
  }

  let coordinator: Coordinator | null = null;
  if (pod.index === 0) {
    try {
      coordinator = await startCoordinator({ count: pod.count, host: pod.podIp ?? '0.0.0.0', port: pod.port, barrierTimeoutMs: pod.barrierTimeoutMs });
      status(`coordinator listening on ${coordinator.url}`);
    } catch (err) {
      fail((err as Error).message);
      ownError = true;
    }
  }

  let clock: ClockOffset | null = null;
  let exitCode: number | null = null;
  try {
    if (!ownError && !signal?.aborted) {
      try {
        clock = await measureClockOffset(pod.coordinator, { timeoutMs: opts.clockTimeoutMs ?? 300_000, ...(signal ? { signal } : {}) });
        status(`clock offset ${clock.offsetMs.toFixed(3)} ms ± ${clock.boundMs.toFixed(3)} ms (round trip ${clock.rttMs.toFixed(3)} ms, best of ${clock.samples})`);
      } catch (err) {
        fail(`clock offset not measured, the pod runs unsynchronised: ${(err as Error).message}`);
      }
    }
    if (!ownError && !signal?.aborted) {
      const bin = vitestBin(opts.cwd);
      if (!bin) {
        fail(`vitest is not installed in ${opts.cwd} (run npm install there)`);
        ownError = true;
      } else {
        exitCode = await runVitest(bin, opts, vitestEnv(opts.env, pod, clock), status);
      }
    }
    // The results leave first: a pod stopped while it waits at `done` below has sent them already.
    if (!(await writeResults())) ownError = true;
    // Pod 0 without its coordinator has no one to wait for; a pod that never reached it tries briefly.
    if (!(pod.index === 0 && !coordinator)) await finish(pod, coordinator, clock ? pod.barrierTimeoutMs + 30_000 : 5000, signal, fail, status);
  } finally {
    await coordinator?.close();
  }
  // vitest ran to its end (0: its tests passed, 1: some failed on this pod's share, which the merged
  // run judges as a whole): the pod succeeded. Anything else (killed, crashed) leaves its share incomplete.
  // Stopped (SIGTERM: deleted, evicted, deadline): 143 as a shell reports it, whatever vitest said.
  if (signal?.aborted) return 143;
  return ownError || exitCode === null || exitCode > 1 ? 2 : 0;

  /** pod.json, then the results folder as frames; false when either could not be written. */
  async function writeResults(): Promise<boolean> {
    const record: PodRecord = {
      format: 'vitest-llm-d/pod@1', index: pod.index, count: pod.count, pod: pod.pod, node: pod.node,
      clock, exitCode, startedAt, endedAt: new Date().toISOString(), errors,
    };
    let ok = true;
    try {
      writeFileSync(join(pod.resultsDir, 'pod.json'), `${redactText(JSON.stringify(record, null, 2), secrets)}\n`);
    } catch (err) {
      status(`cannot write pod.json: ${(err as Error).message}`);
      ok = false;
    }
    if (pod.stream) {
      try {
        const { files } = await writeFolderFrames(pod.resultsDir, opts.out);
        status(`sent ${files} file${files === 1 ? '' : 's'} of ${pod.resultsDir} as frames`);
      } catch (err) {
        status(`cannot send ${pod.resultsDir} as frames: ${(err as Error).message}`);
        ok = false;
      }
    }
    return ok;
  }
}

/** Spawns `vitest run`, its output to `err`; forwards SIGTERM; resolves to its exit code. */
async function runVitest(bin: string, opts: PodRunOptions, env: NodeJS.ProcessEnv, status: (t: string) => void): Promise<number> {
  const args = [bin, 'run', ...opts.files, ...(opts.vitestArgs ?? [])];
  // The share vitestEnv gave this pod's vitest.
  const share = settings(env).get('BENCH_SHARE')!;
  status(`vitest run ${[...opts.files, ...(opts.vitestArgs ?? [])].join(' ')} with BENCH_SHARE=${share.index}/${share.count}`);
  const child: ChildProcess = spawn(process.execPath, args, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout!, child.stderr!]) {
    s.setEncoding('utf8');
    s.on('data', (t: string) => opts.err(t));
  }
  let killer: NodeJS.Timeout | null = null;
  const onAbort = (): void => {
    const reason = opts.signal?.reason;
    status(`${typeof reason === 'string' ? reason : 'stop'}: stopping vitest`);
    // A terminal's Ctrl-C reaches vitest itself (same process group); SIGTERM is sent to pod-run only.
    if (reason !== 'SIGINT') child.kill('SIGTERM');
    killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 20_000);
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await new Promise<number>((done) => {
      child.once('error', (err) => {
        status(`cannot start vitest: ${err.message}`);
        done(2);
      });
      child.once('close', (code, sig) => done(code ?? (sig === 'SIGTERM' ? 143 : sig === 'SIGINT' ? 130 : 1)));
    });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (killer) clearTimeout(killer);
  }
}

/** Arrives at `done`; pod 0 holds its coordinator until every pod has, or the barrier timeout passed. */
async function finish(pod: PodEnv, coordinator: Coordinator | null, timeoutMs: number, signal: AbortSignal | undefined, fail: (t: string) => void, status: (t: string) => void): Promise<void> {
  if (signal?.aborted) return;
  try {
    const stop = new Promise<never>((_r, reject) => signal?.addEventListener('abort', () => reject(new Error('stopped while waiting')), { once: true }));
    stop.catch(() => {});
    const release = coordinator
      ? coordinator.arrive('done', pod.index)
      : postBarrier(pod.coordinator, 'done', pod.index, { timeoutMs, ...(signal ? { signal } : {}) });
    const r = await Promise.race([release, stop]);
    status(r.missing.length ? `done; pods that did not finish in time: ${r.missing.join(', ')}` : 'done; every pod finished');
  } catch (err) {
    fail(`barrier done: ${(err as Error).message}`);
  }
}
