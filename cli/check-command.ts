import { BenchError, ConfigError } from '../lib/errors/index.ts';
import { checkConfigFile } from '../lib/scenario/check-config.ts';
import type { CheckedFile } from '../lib/scenario/check-config.ts';
import type { CliCommand, CliIo } from './command.ts';
import { renderPlan } from './check-render.ts';

const HELP = `Usage: vitest-llm-d check <file>... [--json] [--sample N]

Reads, resolves and validates config files without sending a single request, and prints the
plan of every workload: its stages (rate or concurrency, duration, requests each sends), the
arrival process, the data and the lengths of a sample of its prompts, the endpoint (URL, model,
API, streaming; never a key or a header value), the SLO the test asserts, the keys accepted
without effect, and how the file was read. The plan is made by the code a run uses, with the
same BENCH_* overrides and the file's env entries applied, so it is what
BENCH_CONFIG=<file> npx vitest run suites/config would run.

A file with top-level \`scenarios\` is a vitest-llm-d scenario file (a suite's <suite>.yaml,
against targets.yaml and BENCH_TARGET / BENCH_BASE_URL; with \`defaults\` too, the actuation
suite's, validated only); anything else is read as BENCH_CONFIG is: an llm-d-benchmark config (a
\`workload\` section), a harness matrix, or a bare inference-perf config (top-level load, api,
server, data). The plan names the kind.

Plans go to standard output; every problem of every file to standard error, one block per
file, then a line counting the files. Exits 0 when every file is valid, 1 when any is not, 2 for
a usage error.

  --json       the plans and problems as one JSON document on standard output
  --sample N   prompts sampled per workload for the length statistics (default 200; 0: none)
  -h, --help   this text
`;

const DEFAULT_SAMPLE = 200;

/** `vitest-llm-d check <file>...`: exit 0 (every file valid), 1 (a problem), 2 (bad usage). */
export const checkCommand: CliCommand = {
  summary: 'check config files and print their plan, sending nothing (for CI)',
  async run(argv: string[], io: CliIo): Promise<number> {
    const files: string[] = [];
    let json = false;
    let sample = DEFAULT_SAMPLE;
    try {
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        if (a === '--help' || a === '-h') {
          io.out(HELP);
          return 0;
        }
        if (a === '--json') json = true;
        else if (a === '--sample' || a.startsWith('--sample=')) {
          const v = a.includes('=') ? a.slice('--sample='.length) : argv[++i];
          if (v === undefined || !/^\d+$/.test(v)) throw new ConfigError('check', '--sample', `expects a number of prompts (0 or more), got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
          sample = Number(v);
        } else if (a.startsWith('-')) throw new ConfigError('check', a, 'unknown option (options: --json, --sample N, --help)');
        else files.push(a);
      }
      if (files.length === 0) throw new ConfigError('check', '', 'name one or more config files');
    } catch (err) {
      if (!(err instanceof BenchError)) throw err;
      io.err(`vitest-llm-d ${err.message}\nRun \`vitest-llm-d check --help\` for the usage.\n`);
      return 2;
    }
    const checked: CheckedFile[] = [];
    for (const f of files) checked.push(await checkConfigFile(f, { env: process.env, cwd: process.cwd(), sample }));
    const invalid = checked.filter((c) => !c.valid);
    if (json) io.out(`${JSON.stringify({ valid: invalid.length === 0, files: checked }, null, 2)}\n`);
    else for (const c of checked) if (c.valid) io.out(renderPlan(c));
    for (const c of invalid) io.err(`${c.problems}\n\n`);
    const summary = `${checked.length} file${checked.length === 1 ? '' : 's'} checked, no request sent: ${checked.length - invalid.length} valid, ${invalid.length} invalid${invalid.length ? ` (${invalid.map((c) => c.file).join(', ')})` : ''}\n`;
    io.err(summary);
    return invalid.length === 0 ? 0 : 1;
  },
};
