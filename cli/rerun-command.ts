import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BenchError, ConfigError } from '../lib/errors/index.ts';
import { readResolvedConfig, rerunEnv } from '../lib/config/rerun.ts';
import type { CliCommand, CliIo } from './command.ts';
import { vitestBin } from '../lib/vitest/vitest-bin.ts';

const HELP = `Usage: vitest-llm-d rerun <run folder> [-- <vitest options>]

Repeats a run from its folder (results/<stamp>-<suite>/): runs the same suite files with the
scenarios exactly as they ran (every override applied, the same data seeds, so the same
prompts) and the same BENCH_* settings, into a new run folder. Secrets are not recorded: set
them in your environment again (the command names any it needs). Your environment wins over
the recorded settings, so e.g. BENCH_BASE_URL=... reruns against another target.

Options after -- go to vitest (e.g. -- -t quick_validation).
`;

/**
 * `vitest-llm-d rerun <run folder>`: reads the folder's `config.yaml`, and runs `vitest run` on
 * its test files with `BENCH_RERUN` set, the recorded settings, and the caller's environment on
 * top; resolves to vitest's exit code (2 for a bad folder).
 */
export const rerunCommand: CliCommand = {
  summary: 'repeat a run from its run folder (same scenarios, seeds and settings)',
  async run(argv: string[], io: CliIo): Promise<number> {
    const dash = argv.indexOf('--');
    const own = dash >= 0 ? argv.slice(0, dash) : argv;
    const passThrough = dash >= 0 ? argv.slice(dash + 1) : [];
    if (own.includes('--help') || own.includes('-h')) {
      io.out(HELP);
      return 0;
    }
    let command: { bin: string; files: string[]; env: NodeJS.ProcessEnv };
    const cwd = process.cwd();
    try {
      const unknown = own.find((a) => a.startsWith('-'));
      if (unknown) throw new ConfigError('rerun', unknown, 'unknown option (vitest options go after --)');
      if (own.length !== 1) throw new ConfigError('rerun', '', own.length === 0 ? 'a run folder is required (results/<stamp>-<suite>/)' : `one run folder only, got ${own.length}`);
      const folder = resolve(own[0]!);
      const config = readResolvedConfig(folder);
      const missing = config.test_files.filter((f) => !existsSync(resolve(cwd, f)));
      if (missing.length) throw new ConfigError(config.path, 'test_files', `not found from ${cwd}: ${missing.join(', ')} (run rerun from the project folder the run was made in)`);
      const { env, notRepeated } = rerunEnv(config, folder, process.env);
      for (const n of notRepeated) io.err(`vitest-llm-d rerun: not repeated: ${n}\n`);
      const settings = Object.keys(config.settings).filter((k) => env[k] === config.settings[k]);
      io.err(`vitest-llm-d rerun: ${config.suite} as run ${config.run} (${config.test_files.join(', ')}${settings.length ? `; ${settings.join(', ')}` : ''})\n`);
      const bin = vitestBin(cwd);
      if (!bin) throw new ConfigError('rerun', '', `vitest is not installed in ${cwd} (run npm install there)`);
      command = { bin, files: config.test_files, env };
    } catch (err) {
      if (!(err instanceof BenchError)) throw err;
      io.err(`${err.message}\nRun \`vitest-llm-d rerun --help\` for the usage.\n`);
      return 2;
    }
    const child = spawn(process.execPath, [command.bin, 'run', ...command.files, ...passThrough], { cwd, env: command.env, stdio: 'inherit' });
    // Ctrl-C reaches vitest too (same process group); wait for it to clean up and report.
    const ignore = (): void => {};
    process.on('SIGINT', ignore);
    process.on('SIGTERM', ignore);
    try {
      return await new Promise<number>((done) => {
        child.once('error', (err) => {
          io.err(`vitest-llm-d rerun: cannot start vitest: ${err.message}\n`);
          done(1);
        });
        child.once('exit', (code, signal) => done(code ?? (signal === 'SIGINT' ? 130 : 1)));
      });
    } finally {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', ignore);
    }
  },
};
