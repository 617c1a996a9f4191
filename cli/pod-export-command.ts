import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFolderFrames } from '../lib/distributed/log-frames.ts';
import { lineWriter, type CliCommand, type CliIo } from './command.ts';

const HELP = `Usage: vitest-llm-d pod-export <folder>

Writes every file under <folder> to stdout as log frames (gzip + base64, a sha256 per file), the
way a pod of a distributed run sends its results. \`vitest-llm-d launch --results-pvc C\` runs it in
the pod N-collect, with the claim mounted read-only, to read the run's folder back from C.
Exit code: 0 when every file was sent, 2 when the folder is missing or a file could not be read.
`;

/** `vitest-llm-d pod-export <folder>`: a folder out through stdout as frames (lib/distributed/log-frames.ts). */
export const podExportCommand: CliCommand = {
  summary: 'write a folder to stdout as log frames (the claim reader of launch --results-pvc)',
  async run(argv: string[], io: CliIo): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.out(HELP);
      return 0;
    }
    if (argv.length !== 1 || argv[0]!.startsWith('-')) {
      io.err(`pod-export: ${argv.length === 0 ? 'a folder is required' : argv[0]!.startsWith('-') ? `${argv[0]}: unknown option` : 'one folder only'}\nRun \`vitest-llm-d pod-export --help\` for the usage.\n`);
      return 2;
    }
    const dir = resolve(argv[0]!);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) {
      io.err(`pod-export: ${dir}: no such folder (nothing was written there)\n`);
      return 2;
    }
    try {
      const { files } = await writeFolderFrames(dir, lineWriter(io));
      io.err(`pod-export: sent ${files} file${files === 1 ? '' : 's'} of ${dir} as frames\n`);
      return 0;
    } catch (err) {
      io.err(`pod-export: cannot send ${dir}: ${(err as Error).message}\n`);
      return 2;
    }
  },
};
