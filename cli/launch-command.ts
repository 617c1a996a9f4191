import { BenchError } from '../lib/errors/index.ts';
import { parseLaunchArgs } from '../lib/distributed/launch/args.ts';
import { LaunchUsageError } from '../lib/distributed/launch/errors.ts';
import { runLaunch } from '../lib/distributed/launch/run-launch.ts';
import { packageRoot } from '../lib/package/paths.ts';
import type { LaunchSimulators } from '../lib/distributed/launch/simulators.ts';
import { spawnClusterSim } from '../sim/cluster/spawn.ts';
import { spawnSimulator } from '../sim/vllm/spawn.ts';
import type { CliCommand, CliIo } from './command.ts';

const HELP = `Usage: vitest-llm-d launch <suite | suite folder | test files> --parallelism N [options] [-- <vitest options>]

Runs a suite inside a Kubernetes cluster as an Indexed Job of N pods: one load schedule split N
ways (each pod sends its share of every scenario, started together at a barrier), one merged
report here, in results/<stamp>-<suite>/ (the pods' own folders under pods/<index>/).

  <suite>                  a suite name (throughput), its folder (suites/throughput) or test files
  --parallelism N, -p N    pods (completions and parallelism of the Job), a whole number >= 1;
                           every scenario must split N ways (at least N requests per stage, a
                           concurrency of at least N); a search load runs whole in pod 0
  --namespace NS, -n NS    namespace (default: the kubeconfig context's; the embedded cluster's
                           is llm-d-sim)
  --image IMG              the harness image (default vitest-llm-d:<version of this package>;
                           build it from the project's Dockerfile and push it where the cluster
                           pulls from)
  --results-pvc PVC        a PersistentVolumeClaim (ReadWriteMany) mounted in every pod at
                           /results: the pods write their results to /results/<run>/ there, and
                           a reader pod (<name>-collect) sends them back here through its log.
                           The files stay on the claim. Without it, each pod sends its own
                           results back through its log
  --wait-timeout S         seconds to wait for the pods (default 1800); what finished is kept and
                           the missing shares are named; also the Job's activeDeadlineSeconds

Cluster: KUBECONFIG, ~/.kube/config or the in-cluster service account (BENCH_CLUSTER=kubeconfig
insists). With none, the embedded cluster simulator is started, runs the pods as local processes
of this project folder, and is stopped at the end.

Target: BENCH_BASE_URL / BENCH_TARGET / targets.yaml as for any suite, reachable from the pods
(on a real cluster: the in-cluster URL of the gateway). With none, on the embedded cluster, one
embedded vLLM simulator is started here for all pods (BENCH_SIMULATOR_URL).

Settings: the scenarios are resolved here (BENCH_* overrides applied) into a config.yaml the pods
run with BENCH_RERUN; BENCH_* settings go to the pods in ConfigMap <name>-env, secret-looking
variables you have set (OPENAI_API_KEY, HF_TOKEN, ...) in Secret <name>-secrets, never printed.
Every object is labelled vitest-llm-d/run=<run id> and deleted at the end, Ctrl-C included.

Exit code: the merged run's (0 passed, 1 a test failed), 1 when the launch failed, 2 for a usage
error. Options after -- go to vitest, in the pods and in the merge run.
`;

/** The embedded simulators a launch starts when no cluster or target is configured. */
const SIMULATORS: LaunchSimulators = {
  startSimulator: (options) => spawnSimulator(options),
  startClusterSimulator: (options) => spawnClusterSim(options as Parameters<typeof spawnClusterSim>[0]),
};

/** `vitest-llm-d launch`: see {@link HELP}. */
export const launchCommand: CliCommand = {
  summary: 'run a suite inside a Kubernetes cluster as an Indexed Job of N pods, one merged report',
  async run(argv: string[], io: CliIo): Promise<number> {
    const say = (line: string): void => io.err(`vitest-llm-d launch: ${line}\n`);
    const cwd = process.cwd();
    try {
      const args = parseLaunchArgs(argv, { cwd, packageRoot: packageRoot() });
      if (args.help) {
        io.out(HELP);
        return 0;
      }
      return await runLaunch({ args, cwd, env: process.env, say, simulators: SIMULATORS });
    } catch (err) {
      if (!(err instanceof BenchError)) throw err;
      say(err.message);
      if (err instanceof LaunchUsageError) {
        io.err('Run `vitest-llm-d launch --help` for the usage.\n');
        return 2;
      }
      return 1;
    }
  },
};
