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

/** The process's own stdout and stderr. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};
