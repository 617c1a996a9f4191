import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getTokenizer } from '../../tokenizer/index.ts';
import { ChunkLog, nowUs } from './chunk-log.ts';
import { createSimContext, type SimContext } from './context.ts';
import { sendError } from './http-util.ts';
import { optionsError } from './option-errors.ts';
import { SimOptionsSchema, type SimOptions, type SimOptionsInput } from './options.ts';
import { buildOutputVocabulary } from './output-tokens.ts';
import { PromptEncoder } from './prompt.ts';
import { dispatch } from './routes.ts';

/** A simulator listening in this process. */
export interface SimServer {
  /** Base URL, e.g. `http://127.0.0.1:43117` (no trailing slash, no `/v1`). */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The current resolved options (they change after `POST /admin/config`). */
  readonly options: SimOptions;
  /** Stops listening, ends open streams (logged with fault `shutdown`) and flushes the chunk log. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

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

/**
 * Starts the vLLM-compatible simulator in this process (for the simulator's own tests; suites
 * use {@link spawnSimulator} so the server has its own event loop). Loads the tokenizer, binds
 * `host:port` and resolves once listening. Invalid options throw a `ConfigError`.
 */
export async function startSimServer(input: SimOptionsInput = {}): Promise<SimServer> {
  const parsed = SimOptionsSchema.safeParse(input);
  if (!parsed.success) throw optionsError('sim options', parsed.error, input);
  const options = parsed.data;
  const tokenizer = await getTokenizer(options.tokenizer);
  const chunkLog = options.chunk_log ? new ChunkLog(options.chunk_log) : null;
  const ctx = createSimContext(options, { vocab: buildOutputVocabulary(tokenizer), encoder: new PromptEncoder(tokenizer), chunkLog });
  const server = createServer({ noDelay: true, keepAliveTimeout: 65_000 });
  handle(ctx, server);
  try {
    await listen(server, options.port, options.host);
  } catch (err) {
    await chunkLog?.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(options.host)}:${port}`,
    port,
    get options() {
      return ctx.options;
    },
    close() {
      closing ??= (async () => {
        ctx.closing = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const r of [...ctx.active]) r.abort('shutdown');
        server.closeAllConnections();
        await closed;
        await chunkLog?.close();
      })();
      return closing;
    },
  };
}
