import { runnableModule } from '../../lib/package/paths.ts';
import { spawnSimChild } from '../child-process.ts';
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

/** The child's module: `main.ts` through tsx from sources, `main.js` from the built package. */
const ENTRY = runnableModule(import.meta.url, './main');
const KILL_AFTER_MS = 4000;

/**
 * Node flags of the simulator process: a 64 MB young generation makes its GC pauses rarer, so
 * its modeled latencies carry less jitter of its own (the chunk log records true send times
 * either way).
 */
const SIM_NODE_FLAGS = ['--max-semi-space-size=64'];

/**
 * Starts the vLLM simulator in a child process (its own event loop, so the client's timings are
 * not distorted by the server's work) and resolves once it listens. The child runs
 * `sim/vllm/main` with this Node binary (see `runnableModule`), from any working directory;
 * it exits when stopped, when this process exits, or when its stdin closes (this process
 * crashed). Options are validated here first, with the same one-line errors as the CLI.
 */
export function spawnSimulator(input: SimOptionsInput = {}, opts: SpawnSimulatorOptions = {}): Promise<SimProcess> {
  const parsed = SimOptionsSchema.safeParse(input);
  if (!parsed.success) return Promise.reject(optionsError('sim options', parsed.error, input));
  const options = parsed.data;
  const started = performance.now();
  return spawnSimChild({
    entry: ENTRY.file,
    nodeFlags: [...ENTRY.execArgv, ...SIM_NODE_FLAGS],
    env: { ...opts.env, [SIM_OPTIONS_ENV]: JSON.stringify(options), [WATCH_STDIN_ENV]: '1' },
    what: 'embedded simulator',
    startTimeoutMs: opts.startTimeoutMs ?? 20_000,
    killAfterMs: KILL_AFTER_MS,
  }).then(({ line, pid, stop }) => ({
    url: line.url as string,
    pid,
    models: Array.isArray(line.models) ? (line.models as string[]) : options.models,
    options,
    chunkLogPath: options.chunk_log,
    startupMs: performance.now() - started,
    stop,
  }));
}
