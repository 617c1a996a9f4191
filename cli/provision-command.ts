import { randomBytes } from 'node:crypto';
import { BenchError, ConfigError } from '../lib/errors/index.ts';
import { connectCluster, findKubeconfig } from '../lib/k8s/connect.ts';
import { ClusterError } from '../lib/k8s/errors.ts';
import { provisionStack, renderForProvision } from '../lib/k8s/provision.ts';
import { readProvisionSettings } from '../lib/k8s/provision-settings.ts';
import { manifestsYaml } from '../lib/k8s/standalone-template.ts';
import { settings as envSettings } from '../lib/settings/registry.ts';
import type { CliCommand, CliIo } from './command.ts';

const HELP = `Usage: vitest-llm-d provision <template> [--dry-run] [--namespace NS]

Provisions a standalone stack (a vLLM Deployment and its Service, e.g.
examples/standalone/vllm-standalone.yaml) on the cluster of the current kubeconfig context,
waits for the rollout, prints the URL to benchmark, and deletes everything it created on
Ctrl-C or SIGTERM.

  --dry-run         print the rendered manifests (YAML) and change nothing
  --namespace NS    namespace (default: BENCH_NAMESPACE, else the context's namespace)
  -h, --help        this text

Template variables come from the environment (MODEL, VLLM_IMAGE, GPU_COUNT, VLLM_ARGS,
HF_TOKEN_SECRET, PORT). BENCH_KUBECONFIG / BENCH_KUBE_CONTEXT choose the cluster;
BENCH_PROVISION_URL, BENCH_PROVISION_ACCESS, BENCH_PROVISION_TIMEOUT_S and BENCH_PROVISION_NAME
work as for BENCH_PROVISION (see the README).
`;

/** The parsed command line. */
interface ProvisionArgs {
  template?: string;
  dryRun: boolean;
  namespace?: string;
  help: boolean;
}

function parseArgs(argv: string[]): ProvisionArgs {
  const args: ProvisionArgs = { dryRun: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') args.help = true;
    else if (a === '--dry-run') args.dryRun = true;
    else if (a === '--namespace' || a === '-n' || a.startsWith('--namespace=')) {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!value) throw new ConfigError('provision', '--namespace', 'expects a namespace');
      args.namespace = value;
    } else if (a.startsWith('-')) throw new ConfigError('provision', a, 'unknown option (options: --dry-run, --namespace NS, --help)');
    else if (args.template === undefined) args.template = a;
    else throw new ConfigError('provision', a, `one template only (already have ${args.template})`);
  }
  return args;
}

/** A run id in the form the fixtures use: UTC stamp, lowercased, and 4 random characters. */
function cliRunId(): string {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-').toLowerCase();
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * `vitest-llm-d provision <template> [--dry-run] [--namespace NS]`: with `--dry-run` (or
 * `BENCH_PROVISION_DRY_RUN=1`) prints the manifests and contacts no cluster; otherwise provisions
 * the stack on the kubeconfig's cluster, prints its URL, and holds it until Ctrl-C or SIGTERM,
 * which delete everything with the run label (exit code 130 / 143).
 */
export const provisionCommand: CliCommand = {
  summary: 'provision a standalone vLLM stack from a template (or print its manifests with --dry-run)',
  async run(argv: string[], io: CliIo): Promise<number> {
    let args: ProvisionArgs;
    let settings;
    try {
      args = parseArgs(argv);
      if (args.help) {
        io.out(HELP);
        return 0;
      }
      if (!args.template) throw new ConfigError('provision', '', 'a template file is required (e.g. examples/standalone/vllm-standalone.yaml)');
      settings = readProvisionSettings(process.env, args.template)!;
    } catch (err) {
      if (!(err instanceof BenchError)) throw err;
      io.err(`${err.message}\nRun \`vitest-llm-d provision --help\` for the options.\n`);
      return 2;
    }
    const env = envSettings(process.env);
    const namespace = args.namespace ?? env.get('BENCH_NAMESPACE');
    const base = { template: settings.template, runId: cliRunId(), ...(settings.name ? { name: settings.name } : {}) };
    try {
      if (args.dryRun || settings.dryRun) {
        io.out(manifestsYaml(renderForProvision(base, namespace)));
        return 0;
      }
      const kubeconfig = env.get('BENCH_KUBECONFIG');
      if (!kubeconfig && !findKubeconfig()) {
        throw new ClusterError('CLUSTER_CONFIG', 'provision: no Kubernetes cluster configured (KUBECONFIG, ~/.kube/config or in-cluster); --dry-run prints the manifests without one, and `vitest-llm-d cluster-sim` runs a simulated cluster to try it on');
      }
      const conn = await connectCluster({ kubeconfig, context: env.get('BENCH_KUBE_CONTEXT'), namespace });
      const log = (line: string): void => io.err(`vitest-llm-d provision: ${line}\n`);
      const p = await provisionStack(conn, { ...base, log, ...(settings.url ? { url: settings.url } : {}), ...(settings.access ? { access: settings.access } : {}), ...(settings.timeoutS ? { timeoutS: settings.timeoutS } : {}) });
      io.out(`base URL: ${p.access.baseUrl} (${p.info.access}: ${p.info.accessDetail})\n`);
      for (const w of p.info.warnings) io.out(`WARNING: ${w}\n`);
      io.out(`benchmark it: BENCH_BASE_URL=${p.access.baseUrl} npx vitest run suites/latency\n`);
      io.out('Ctrl-C deletes the stack.\n');
      // The signal hook registered by provisionStack tears down and exits; until then, hold the stack.
      setInterval(() => {}, 1 << 30);
      return await new Promise<number>(() => {});
    } catch (err) {
      if (!(err instanceof BenchError)) throw err;
      io.err(`${err.message}\n`);
      return 1;
    }
  },
};
