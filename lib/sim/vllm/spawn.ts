import { getPriority, setPriority } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchError } from '../../errors/index.ts';
import { SIM_OPTIONS_ENV, WATCH_STDIN_ENV } from './child-env.ts';
import { optionsError } from './option-errors.ts';
import { SimOptionsSchema, type SimOptions, type SimOptionsInput } from './options.ts';

/** How to start the child process. */
export interface SpawnSimulatorOptions {
  /** Give up (and kill the child) when it has not printed its listening line by then, in ms. Default 20000. */
  startTimeoutMs?: number;
  /** Extra environment variables for the child. */
  env?: NodeJS.ProcessEnv;
}

/** A simulator running in a child process. */
export interface SimProcess {
  /** Base URL, e.g. `http://127.0.0.1:43117`. */
  readonly url: string;
  /** Child process id. */
  readonly pid: number;
  /** Served model names. */
  readonly models: string[];
  /** The resolved options the child was started with. */
  readonly options: SimOptions;
  /** The chunk-log file, or null when `chunk_log` was not set. Complete after `stop()`. */
  readonly chunkLogPath: string | null;
  /** Time from spawn to the listening line, in ms. */
  readonly startupMs: number;
  /** SIGTERM, then SIGKILL after a few seconds; resolves when the child has exited. */
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./child-entry.mjs', import.meta.url));
const KILL_AFTER_MS = 4000;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A parent that exits without stop() still takes its simulators down (SIGTERM lets them flush).
  process.once('exit', () => {
    for (const child of live) child.kill('SIGTERM');
  });
}

function tail(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(-3).join(' | ').slice(-600);
}

function startError(reason: string, stderr: string): BenchError {
  const t = tail(stderr);
  return new BenchError('SIM_START_FAILED', `embedded simulator failed to start: ${reason}${t ? `: ${t}` : ''}`);
}

/**
 * Starts the vLLM simulator in a child process (its own event loop, so the client's timings are
 * not distorted by the server's work) and resolves once it listens. The child runs
 * `lib/sim/vllm/child-entry.mjs` with this Node binary, so it works from any working directory;
 * it exits when stopped, when this process exits, or when its stdin closes (this process
 * crashed). Options are validated here first, with the same one-line errors as the CLI.
 */
/**
 * Node flags of the simulator process: a 64 MB young generation makes its GC pauses rarer, so
 * its modeled latencies carry less jitter of its own (the chunk log records true send times
 * either way).
 */
const SIM_NODE_FLAGS = ['--max-semi-space-size=64'];

export function spawnSimulator(input: SimOptionsInput = {}, opts: SpawnSimulatorOptions = {}): Promise<SimProcess> {
  const parsed = SimOptionsSchema.safeParse(input);
  if (!parsed.success) return Promise.reject(optionsError('sim options', parsed.error, input));
  const options = parsed.data;
  const started = performance.now();
  const child = spawn(process.execPath, [...SIM_NODE_FLAGS, ENTRY], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env, [SIM_OPTIONS_ENV]: JSON.stringify(options), [WATCH_STDIN_ENV]: '1' },
  });
  live.add(child);
  installExitHook();
  // A child inherits its parent thread's priority; a client that raised its own to measure
  // steadily must not hand that to the server it measures. Lowering is always permitted.
  if (child.pid !== undefined) {
    try {
      if (getPriority(child.pid) < 0) setPriority(child.pid, 0);
    } catch {
      // The child already exited: the exit handling below reports it.
    }
  }
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      resolve();
    }),
  );

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await exitedPromise;
      clearTimeout(timer);
    }
  };

  return new Promise<SimProcess>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const fail = (err: BenchError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(err));
    };
    const timeoutMs = opts.startTimeoutMs ?? 20_000;
    const timer = setTimeout(() => fail(startError(`no listening line within ${timeoutMs} ms`, stderr)), timeoutMs);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      if (settled) process.stderr.write(d);
      else stderr = (stderr + d).slice(-4000);
    });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      if (settled) return;
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      let line: { event?: string; url?: string; pid?: number; models?: string[] };
      try {
        line = JSON.parse(stdout.slice(0, nl)) as typeof line;
      } catch {
        return fail(startError(`unexpected output ${JSON.stringify(stdout.slice(0, 200))}`, stderr));
      }
      if (line.event !== 'listening' || typeof line.url !== 'string') return fail(startError(`unexpected line ${stdout.slice(0, nl)}`, stderr));
      settled = true;
      clearTimeout(timer);
      // The child must not keep this process alive: stop() or the exit hook ends it.
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
      resolve({
        url: line.url,
        pid: line.pid ?? child.pid!,
        models: line.models ?? options.models,
        options,
        chunkLogPath: options.chunk_log,
        startupMs: performance.now() - started,
        stop,
      });
    });
    child.once('error', (err) => fail(startError(err.message, stderr)));
    child.once('exit', (code, signal) => fail(startError(`child exited (${signal ?? `code ${code}`}) before listening`, stderr)));
    // An EPIPE on a dead child's stdin must not crash the parent.
    child.stdin!.on('error', () => {});
  });
}
