import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getTokenizer, type Tokenizer } from '../../lib/tokenizer/index.ts';
import { ChunkLog, nowUs } from './chunk-log.ts';
import { createSimContext, type SimContext } from './context.ts';
import { sendError } from './http-util.ts';
import { optionsError } from './option-errors.ts';
import { SimOptionsSchema, type SimOptions, type SimOptionsInput } from './options.ts';
import { buildOutputVocabulary, type OutputVocabulary } from './output-tokens.ts';
import { PromptEncoder } from './prompt.ts';
import { dispatch, SIMULATED_VLLM_VERSION } from './routes.ts';
import type { SleepSnapshot } from './sleep.ts';
import { LOG_SITES, VllmLog, type SimLogEntry } from './vllm-log.ts';
import { listen } from '../net-util.ts';

/**
 * Where a simulated vLLM instance is in its life:
 * - `starting`: modeling the model load (`startup_ms`); the port is not bound, connections are refused;
 * - `awake`: serving;
 * - `falling_asleep` / `waking_up`: a `POST /sleep` / `POST /wake_up` is in progress;
 * - `sleeping`: asleep (`/is_sleeping` says true), also after a partial wake-up;
 * - `dead`: the port could not be bound (the error is in the log and `ready` rejected);
 * - `closed`: `close()` was called.
 */
export type SimState = 'starting' | 'awake' | 'falling_asleep' | 'sleeping' | 'waking_up' | 'dead' | 'closed';

/** How {@link startSimServer} runs the instance (things that are not simulator options). */
export interface SimRuntimeOptions {
  /**
   * Resolve at once with the instance in state `starting` instead of once it listens; its
   * `ready` resolves when the port is bound. Default false.
   */
  deferListen?: boolean;
  /**
   * Wall clock printed in log lines, in ms since 1970 (a cluster simulator passes its cluster
   * clock). Default `Date.now`.
   */
  wallClockMs?: () => number;
  /** Called for every log line from the first one on (before the returned promise resolves). */
  onLog?: (entry: SimLogEntry) => void;
}

/** A simulator instance in this process, possibly not listening yet. */
export interface SimInstance {
  /** Where it is in its life (see {@link SimState}). */
  readonly state: SimState;
  /**
   * Resolves once the port is bound (state `awake`). Rejects when binding fails or the instance
   * is closed first; a rejection nobody awaits is not reported as unhandled.
   */
  readonly ready: Promise<void>;
  /** The configured interface, e.g. `127.1.0.7`. */
  readonly host: string;
  /** The bound port; before that the configured one, or null when it is 0 (any free port). */
  readonly port: number | null;
  /** Base URL (`http://127.1.0.7:8000`, no trailing slash); null while `port` is null. */
  readonly url: string | null;
  /** The current resolved options (they change after `POST /admin/config`). */
  readonly options: SimOptions;
  /** Sleep-mode state (level, tags asleep, transition in progress). */
  sleepState(): SleepSnapshot;
  /**
   * Modeled GPU memory in GiB: 0 once closed or dead, `residual_memory_gib` while starting, plus
   * `model_memory_gib` and the KV cache for each tag awake.
   */
  gpuMemoryGiB(): number;
  /** The vLLM log kept in memory, as text (one newline-terminated line each). */
  log(): string;
  /** The vLLM log lines kept in memory; with `sinceSeq`, those whose `seq` is at least that. */
  logEntries(sinceSeq?: number): SimLogEntry[];
  /** Calls `listener` for every log line written from now on; returns the function that stops it. */
  onLog(listener: (entry: SimLogEntry) => void): () => void;
  /**
   * Stops listening (or cancels the startup), ends open streams (logged with fault `shutdown`),
   * cancels a sleep or wake in progress and flushes the chunk log. Idempotent.
   */
  close(): Promise<void>;
}

/** A simulator listening in this process. */
export interface SimServer extends SimInstance {
  /** Base URL, e.g. `http://127.0.0.1:43117` (no trailing slash, no `/v1`). */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
}

/** The host as it goes into a URL a client can connect to. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function handle(ctx: SimContext, server: Server): void {
  server.on('request', (req, res) => {
    // Taken first: the ground-truth arrival time of the request.
    const receivedUs = ctx.chunkLog ? nowUs() : 0;
    const arrivalMs = performance.now();
    res.on('error', () => {});
    if (ctx.closing) {
      req.resume();
      return sendError(res, 503, 'ServiceUnavailableError', 'The simulator is shutting down.');
    }
    let result: void | Promise<void>;
    try {
      result = dispatch(ctx, req, res, receivedUs, arrivalMs);
    } catch (err) {
      result = Promise.reject(err);
    }
    if (result) {
      result.catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'InternalServerError', `simulator error: ${(err as Error).message}`);
        else res.destroy();
      });
    }
  });
  server.on('connection', (socket: Socket) => socket.setNoDelay(true));
}

// Scanning a vocabulary for output pieces costs milliseconds; instances sharing a tokenizer share it.
const vocabularies = new WeakMap<Tokenizer, OutputVocabulary>();

function vocabularyOf(tokenizer: Tokenizer): OutputVocabulary {
  let v = vocabularies.get(tokenizer);
  if (!v) {
    v = buildOutputVocabulary(tokenizer);
    vocabularies.set(tokenizer, v);
  }
  return v;
}

class Instance implements SimInstance {
  readonly ready: Promise<void>;
  private boundPort: number | null = null;
  private startupTimer: NodeJS.Timeout | null;
  private settled = false;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  private dead = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly ctx: SimContext,
    private readonly server: Server,
    private readonly chunkLog: ChunkLog | null,
    private readonly vllmLog: VllmLog,
    /** performance.now() at which the modeled startup ends. */
    startupEndMs: number,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {});
    this.startupTimer = setTimeout(() => this.bind(), Math.max(0, startupEndMs - performance.now()));
  }

  get state(): SimState {
    if (this.closing) return 'closed';
    if (this.dead) return 'dead';
    if (this.boundPort === null) return 'starting';
    const s = this.ctx.sleep.snapshot();
    if (s.transition) return s.transition;
    return s.isSleeping ? 'sleeping' : 'awake';
  }

  get host(): string {
    return this.ctx.options.host;
  }

  get port(): number | null {
    return this.boundPort ?? (this.ctx.options.port || null);
  }

  get url(): string | null {
    const port = this.port;
    return port === null ? null : `http://${urlHost(this.ctx.options.host)}:${port}`;
  }

  get options(): SimOptions {
    return this.ctx.options;
  }

  sleepState(): SleepSnapshot {
    return this.ctx.sleep.snapshot();
  }

  gpuMemoryGiB(): number {
    const state = this.state;
    if (state === 'closed' || state === 'dead') return 0;
    if (state === 'starting') return this.ctx.options.residual_memory_gib;
    return this.ctx.sleep.gpuMemoryGiB();
  }

  log(): string {
    return this.vllmLog.text();
  }

  logEntries(sinceSeq?: number): SimLogEntry[] {
    return this.vllmLog.entries(sinceSeq);
  }

  onLog(listener: (entry: SimLogEntry) => void): () => void {
    return this.vllmLog.subscribe(listener);
  }

  /** The modeled startup is over: bind the port (vLLM's uvicorn starts listening). */
  private bind(): void {
    this.startupTimer = null;
    const o = this.ctx.options;
    listen(this.server, o.port, o.host).then(
      () => {
        if (this.closing) return;
        this.boundPort = (this.server.address() as AddressInfo).port;
        const log = this.vllmLog;
        if (o.dev_mode) log.write('api', 'WARNING', LOG_SITES.devMode, 'SECURITY WARNING: Development endpoints are enabled! This should NOT be used in production!');
        const listenHost = o.host.includes(':') ? `[${o.host}]` : o.host;
        log.write('api', 'INFO', LOG_SITES.starting, `Starting vLLM API server 0 on http://${listenHost}:${this.boundPort}`);
        log.uvicorn(`Started server process [${process.pid}]`);
        log.uvicorn('Waiting for application startup.');
        log.uvicorn('Application startup complete.');
        this.settle();
      },
      (err: Error) => {
        if (this.closing) return;
        this.dead = true;
        this.vllmLog.write('api', 'ERROR', LOG_SITES.starting, `cannot listen on ${o.host}:${o.port}: ${err.message}`);
        this.settle(err);
      },
    );
  }

  private settle(err?: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (err) this.rejectReady(err);
    else this.resolveReady();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const { ctx, server } = this;
      ctx.closing = true;
      if (this.startupTimer) clearTimeout(this.startupTimer);
      this.startupTimer = null;
      ctx.sleep.close();
      this.settle(new Error('the simulator was closed before it was ready'));
      if (server.listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const r of [...ctx.active]) r.abort('shutdown');
        server.closeAllConnections();
        await closed;
      }
      await this.chunkLog?.close();
    })();
    return this.closing;
  }
}

/**
 * Starts the vLLM-compatible simulator in this process. Loads the tokenizer, waits out the
 * modeled startup (`startup_ms` x `time_scale`, counted from this call), binds `host:port` and
 * resolves once listening. Invalid options throw a `ConfigError`.
 *
 * With `{ deferListen: true }` it resolves as soon as the tokenizer is loaded, with an instance in
 * state `starting` whose `ready` resolves when the port is bound (a cluster simulator starts many
 * instances, one per pod address, and watches them come up).
 */
export function startSimServer(input: SimOptionsInput, runtime: SimRuntimeOptions & { deferListen: true }): Promise<SimInstance>;
export function startSimServer(input?: SimOptionsInput, runtime?: SimRuntimeOptions & { deferListen?: false }): Promise<SimServer>;
export async function startSimServer(input: SimOptionsInput = {}, runtime: SimRuntimeOptions = {}): Promise<SimInstance> {
  const parsed = SimOptionsSchema.safeParse(input);
  if (!parsed.success) throw optionsError('sim options', parsed.error, input);
  const options = parsed.data;
  const startupEndMs = performance.now() + options.startup_ms * options.time_scale;
  const vllmLog = new VllmLog(options.log_max_lines, runtime.wallClockMs ?? Date.now);
  if (runtime.onLog) vllmLog.subscribe(runtime.onLog);
  vllmLog.write('api', 'INFO', LOG_SITES.version, `vLLM API server version ${SIMULATED_VLLM_VERSION}`);
  const tokenizer = await getTokenizer(options.tokenizer);
  const chunkLog = options.chunk_log ? new ChunkLog(options.chunk_log) : null;
  const ctx = createSimContext(options, { vocab: vocabularyOf(tokenizer), encoder: new PromptEncoder(tokenizer), chunkLog, log: vllmLog });
  const server = createServer({ noDelay: true, keepAliveTimeout: 65_000 });
  handle(ctx, server);
  const instance = new Instance(ctx, server, chunkLog, vllmLog, startupEndMs);
  if (runtime.deferListen) return instance;
  try {
    await instance.ready;
  } catch (err) {
    await instance.close();
    throw err;
  }
  // Listening: the port and URL are known.
  return instance as SimInstance as SimServer;
}
