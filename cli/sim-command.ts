import { BenchError } from '../lib/errors/index.ts';
import { parseSimArgs, simHelp } from '../sim/vllm/cli-options.ts';
import { startSimServer } from '../sim/vllm/server.ts';
import type { CliCommand, CliIo } from './command.ts';

/** Resolves on the first SIGINT or SIGTERM (Ctrl-C, `kill`, a container stop). */
function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * `vitest-llm-d sim [--config file] [--<option> value ...]`: runs the vLLM simulator in the
 * foreground, prints one line saying where it listens and that it is a SIMULATOR, and stops
 * cleanly (chunk log flushed) on Ctrl-C or SIGTERM.
 */
export const simCommand: CliCommand = {
  summary: 'run the embedded vLLM-compatible simulator in the foreground',
  async run(argv: string[], io: CliIo): Promise<number> {
    let parsed;
    try {
      parsed = parseSimArgs(argv);
    } catch (err) {
      if (err instanceof BenchError) {
        io.err(`${err.message}\n`);
        io.err('Run `vitest-llm-d sim --help` for the options.\n');
        return 2;
      }
      throw err;
    }
    if (parsed.help) {
      io.out(simHelp());
      return 0;
    }
    const o = parsed.options;
    let server;
    try {
      server = await startSimServer(o);
    } catch (err) {
      io.err(`sim: cannot start: ${(err as Error).message.split('\n')[0]}\n`);
      return 1;
    }
    const log = o.chunk_log ? `, chunk log ${o.chunk_log}` : '';
    io.out(
      `vitest-llm-d sim: SIMULATOR (not a real vLLM) listening on ${server.url}` +
        ` - model ${o.models.join(', ')}, profile ${o.profile}, time_scale ${o.time_scale}, tokenizer ${o.tokenizer}${log}\n`,
    );
    const signal = await waitForSignal();
    await server.close();
    io.err(`vitest-llm-d sim: stopped (${signal})\n`);
    return 0;
  },
};
