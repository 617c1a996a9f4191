import { runPod } from '../lib/distributed/pod-run.ts';
import { lineWriter, type CliCommand, type CliIo } from './command.ts';

const HELP = `Usage: vitest-llm-d pod-run <test files...> [-- <vitest options>]

The entry of a pod of a distributed run (the Indexed Job that \`vitest-llm-d launch\` creates):
pod 0 starts the coordinator, every pod measures its clock offset against it, runs
\`vitest run <test files>\` on its share of the load (BENCH_SHARE=<index>/<count>), writes
pod.json into BENCH_RESULTS_DIR and, with BENCH_LAUNCH_STREAM=1, sends that folder to stdout
as frames for the launcher. vitest's output and the pod-run: status lines go to stderr.

Reads JOB_COMPLETION_INDEX, BENCH_PARALLELISM, BENCH_COORDINATOR, BENCH_COORDINATOR_PORT,
BENCH_RESULTS_DIR, BENCH_LAUNCH_STREAM, POD_NAME, NODE_NAME, POD_IP (and BENCH_BARRIER_TIMEOUT_S).
Exit code: vitest's (0 or 1), 2 when pod-run itself failed.
`;

/**
 * `vitest-llm-d pod-run <files> [-- vitest options]` (`lib/distributed/pod-run.ts`): SIGTERM
 * and SIGINT stop vitest (its cleanup runs) and the pod still sends what it wrote.
 */
export const podRunCommand: CliCommand = {
  summary: 'run one pod of a distributed run (inside the Job that launch creates)',
  async run(argv: string[], io: CliIo): Promise<number> {
    const dash = argv.indexOf('--');
    const own = dash >= 0 ? argv.slice(0, dash) : argv;
    const vitestArgs = dash >= 0 ? argv.slice(dash + 1) : [];
    if (own.includes('--help') || own.includes('-h')) {
      io.out(HELP);
      return 0;
    }
    const unknown = own.find((a) => a.startsWith('-'));
    if (unknown || own.length === 0) {
      io.err(`pod-run: ${unknown ? `${unknown}: unknown option (vitest options go after --)` : 'test files are required'}\nRun \`vitest-llm-d pod-run --help\` for the usage.\n`);
      return 2;
    }
    const ac = new AbortController();
    const onTerm = (): void => ac.abort('SIGTERM');
    const onInt = (): void => ac.abort('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    try {
      return await runPod({ files: own, vitestArgs, env: process.env, cwd: process.cwd(), out: lineWriter(io), err: (t) => io.err(t), signal: ac.signal });
    } finally {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    }
  },
};
