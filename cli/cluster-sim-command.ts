import { BenchError } from '../lib/errors/index.ts';
import { startClusterSim } from '../sim/cluster/cluster-sim.ts';
import { clusterSimHelp, parseClusterSimArgs } from './cluster-sim-args.ts';
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

/** Single-quotes a path for a POSIX shell. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * `vitest-llm-d cluster-sim [--config file] [--<option> value ...]`: runs the embedded cluster
 * simulator in the foreground, prints where its API server listens (saying it is a SIMULATOR),
 * its kubeconfig and the `export KUBECONFIG=...` line to paste, and stops cleanly on Ctrl-C or
 * SIGTERM (every simulated process closed; a temporary kubeconfig removed).
 */
export const clusterSimCommand: CliCommand = {
  summary: 'run the embedded Kubernetes cluster simulator (GPU nodes, kubelet, dual-pods controller) in the foreground',
  async run(argv: string[], io: CliIo): Promise<number> {
    let parsed;
    try {
      parsed = parseClusterSimArgs(argv);
    } catch (err) {
      if (err instanceof BenchError) {
        io.err(`${err.message}\n`);
        io.err('Run `vitest-llm-d cluster-sim --help` for the options.\n');
        return 2;
      }
      throw err;
    }
    if (parsed.help) {
      io.out(clusterSimHelp());
      return 0;
    }
    const o = parsed.options;
    let sim;
    try {
      sim = await startClusterSim(o);
    } catch (err) {
      io.err(`cluster-sim: cannot start: ${(err as Error).message.split('\n')[0]}\n`);
      return 1;
    }
    const controller = o.dualPods === false ? 'no dual-pods controller' : 'dual-pods controller and launcher populator';
    io.out(
      `vitest-llm-d cluster-sim: SIMULATOR (not a real cluster) API server on ${sim.url}` +
        ` - ${o.nodes} node(s) x ${o.gpusPerNode} GPU(s), namespace ${sim.namespace}, ${controller}, time scale ${o.timeScale}` +
        ` (1 cluster second = ${+(1000 * o.timeScale).toPrecision(6)} ms)\n`,
    );
    io.out(`kubeconfig: ${sim.kubeconfigPath}\n`);
    io.out(`export KUBECONFIG=${shellQuote(sim.kubeconfigPath)}\n`);
    const signal = await waitForSignal();
    await sim.close();
    io.err(`vitest-llm-d cluster-sim: stopped (${signal})\n`);
    return 0;
  },
};
