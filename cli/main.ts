import { processIo, type CliCommand, type CliIo } from './command.ts';
import { checkCommand } from './check-command.ts';
import { clusterSimCommand } from './cluster-sim-command.ts';
import { compareCommand } from './compare-command.ts';
import { launchCommand } from './launch-command.ts';
import { podExportCommand } from './pod-export-command.ts';
import { podRunCommand } from './pod-run-command.ts';
import { provisionCommand } from './provision-command.ts';
import { rerunCommand } from './rerun-command.ts';
import { simCommand } from './sim-command.ts';

export type { CliCommand, CliIo } from './command.ts';

const helpCommand: CliCommand = {
  summary: 'list the commands',
  async run(_argv, io) {
    const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
    const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
    io.out(['Usage: vitest-llm-d <command> [options]', '', 'Commands:', ...lines, '', 'Run `vitest-llm-d <command> --help` for its options.', ''].join('\n'));
    return 0;
  },
};

/**
 * The subcommands, keyed by the name typed on the command line. A new command (`rerun`,
 * `compare`, `launch`, ...) is one entry here.
 */
export const COMMANDS: Record<string, CliCommand> = {
  sim: simCommand,
  'cluster-sim': clusterSimCommand,
  provision: provisionCommand,
  check: checkCommand,
  rerun: rerunCommand,
  compare: compareCommand,
  launch: launchCommand,
  'pod-run': podRunCommand,
  'pod-export': podExportCommand,
  help: helpCommand,
};

/**
 * Entry of the `vitest-llm-d` command (`bin/vitest-llm-d.js`): dispatches `argv[0]` to its
 * subcommand and resolves to the process exit code (2 for a usage error).
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') return helpCommand.run([], io);
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`vitest-llm-d: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return 2;
  }
  return command.run(rest, io);
}
