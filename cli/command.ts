import { scrub } from '../lib/config/secrets.ts';
import { escapeControl } from '../lib/http/server-text.ts';

/** Where a command writes (the process streams by default; tests capture them). */
export interface CliIo {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
}

/** One `vitest-llm-d <name>` subcommand. */
export interface CliCommand {
  /** One line for the command list in `vitest-llm-d help`. */
  summary: string;
  /** Runs with the arguments after the subcommand name; resolves to the process exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
}

/**
 * The process's own stdout and stderr. Standard error carries messages only, which may quote a
 * server or a config: scrubbed of the run's secrets, control characters escaped. Standard output
 * may be data (manifests, JSON) and is written as it is.
 */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(escapeControl(scrub(text))),
};

/**
 * Writes one line at a time to `io`'s standard output; on the process's own stdout it waits while
 * the pipe is full, so a large folder's frames are held back instead of buffered in memory.
 */
export function lineWriter(io: CliIo): (line: string) => Promise<void> | void {
  if (io !== processIo) return (line) => io.out(`${line}\n`);
  return (line) => {
    if (process.stdout.write(`${line}\n`)) return;
    return new Promise((resolve) => process.stdout.once('drain', resolve));
  };
}
