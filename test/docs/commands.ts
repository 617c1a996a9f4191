import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { writeRun } from '../report/synthetic-run.ts';

/**
 * How each shell command in README.md and docs/*.md is kept from going stale. Every command of a
 * ```sh / ```bash / ```shell / ```console block must match an entry here, and every entry must
 * match a command (test/docs/commands.test.ts checks both). An entry says one of:
 * - `run`: the test runs the documented text itself, placeholders substituted, and checks its
 *   exit code and one thing in its output or files;
 * - `coveredBy`: a test (or CI script) that runs it end to end, and the parts of the command it
 *   must contain, so renaming either breaks the link;
 * - `notRunnable`: why it cannot run on this machine at all (printed by the test).
 */
export type CommandEntry = { command: string | RegExp } & (RunEntry | CoveredEntry | NotRunnableEntry);

/** A command the docs test runs. */
export interface RunEntry {
  run: RunSpec;
}

/** A command run end to end elsewhere. */
export interface CoveredEntry {
  /** Repository-relative path of the test file or CI script. */
  coveredBy: string;
  /** Strings that file must contain: the command's distinctive parts, as that file spells them. */
  contains: string[];
  /** Why the link is looser than the documented spelling, when it is. */
  note?: string;
}

/** A command that cannot run here. */
export interface NotRunnableEntry {
  notRunnable: string;
}

/** What the docs test provides to the commands it runs. */
export interface DocsContext {
  /** The repository root. */
  repo: string;
}

/** What one run of a documented command left. */
export interface RunResult {
  /** Its exit code; 128 + the signal's number when a signal ended it (130 for SIGINT), as a shell says. */
  code: number | null;
  stdout: string;
  /** stdout and stderr, interleaved. */
  output: string;
  /** The working directory it ran in. */
  cwd: string;
  /** The command as run, placeholders substituted. */
  command: string;
}

/** How the docs test runs one command. */
export interface RunSpec {
  /** The repository root, or a fresh temporary folder in which `npx vitest-llm-d` is this package. */
  cwd: 'repo' | 'temp';
  /** Lays out the files the command reads in its temporary folder (its cwd when `cwd` is 'temp'). */
  setup?(dir: string, ctx: DocsContext): void;
  /** Placeholder text of the documented command and what replaces it. */
  substitute?(ctx: DocsContext): Array<[string, string]>;
  /** Environment beside the command's own assignments (which win), given its temporary folder. */
  env?(ctx: DocsContext, dir: string): Record<string, string>;
  /** A command that serves until Ctrl-C: ready once its output matches; `check` then runs while it serves, and SIGINT stops it. */
  servesWhen?: RegExp;
  /** The exit code it must end with (after SIGINT for a server). */
  exitCode: number;
  /** The one meaningful thing it must have printed or written. */
  check(r: RunResult, ctx: DocsContext): void | Promise<void>;
}

/** A small inference-perf workload (a few short prompts, so `check` samples it in no time). */
const workload = (name: string, load: string): string =>
  `  ${name}:\n    load: ${load}\n    api: { type: completion, streaming: true }\n    data: { type: random, input_distribution: { min: 8, max: 16, mean: 12, std_dev: 2 }, output_distribution: { min: 4, max: 8, mean: 6, std_dev: 1 } }\n`;
const ENDPOINT = 'endpoint: { stack_name: local, model: Qwen/Qwen3-0.6B, base_url: http://127.0.0.1:8000 }\n';

/** configs/ with two config files, for the `check configs/*.yaml` examples. */
function configsDir(dir: string): void {
  mkdirSync(join(dir, 'configs'));
  writeFileSync(join(dir, 'configs/concurrent.yaml'), `${ENDPOINT}workload:\n${workload('chat', '{ type: concurrent, stages: [{ concurrency_level: 1, num_requests: 4 }] }')}`);
  writeFileSync(join(dir, 'configs/poisson.yaml'), `${ENDPOINT}workload:\n${workload('ladder', '{ type: poisson, stages: [{ rate: 1, duration: 4 }, { rate: 2, duration: 4 }] }')}`);
}

/** A guide's template: its URL made of variables that are not set, as in the llm-d guides. */
const GUIDE = [
  'endpoint:',
  '  stack_name: guide',
  '  model: Qwen/Qwen3-0.6B',
  '  namespace: ${NAMESPACE}',
  '  base_url: http://${GATEWAY_SVC}.${NAMESPACE}.svc.cluster.local:80',
  'workload:',
  workload('ladder', '{ type: poisson, stages: [{ rate: 1, duration: 4 }, { rate: 2, duration: 4 }] }'),
].join('\n');

/** Port 8000 of a documented `sim --port 8000` becomes 0 (a free port, printed in its listening line). */
/**
 * A `vitest-llm-d sim` command, run on a free port until it listens, checked against its URL,
 * then stopped with SIGINT (exit code 130).
 */
function simulatorCommand(command: string, check: (url: string) => Promise<void>): CommandEntry {
  return {
    command,
    run: {
      cwd: 'repo',
      substitute: portOf,
      servesWhen: /listening on http:\/\/127\.0\.0\.1:\d+/,
      exitCode: 130,
      check: (r) => check(/listening on (http:\S+)/.exec(r.output)![1]!),
    },
  };
}

function portOf(): Array<[string, string]> {
  return [['--port 8000', '--port 0']];
}

/** The registry. Order does not matter; a command takes the first entry that matches it. */
export const COMMANDS: CommandEntry[] = [
  // Set-up and the project's own checks: CI's script runs them on every change.
  { command: 'npm ci', coveredBy: '.ci/run', contains: ['npm ci --no-audit --no-fund'] },
  { command: 'npm test', coveredBy: '.ci/run', contains: ['\nnpm test\n'] },
  { command: 'npm run deps', coveredBy: '.ci/run', contains: ['\nnpm run deps\n'] },

  // Suites on the embedded simulators, run end to end by the e2e tests.
  { command: 'npx vitest run suites/latency', coveredBy: 'test/e2e/latency-suite.test.ts', contains: ["runSuitesOnceValid(['suites/latency'], dir"] },
  { command: 'npx vitest run suites/actuation', coveredBy: 'test/e2e/actuation-suite.test.ts', contains: ["runSuitesOnceValid(['suites/actuation'], workspace()", "BENCH_KUBECONFIG: ''"] },
  {
    command: 'npx vitest run suites/config',
    coveredBy: 'test/e2e/config-suite.test.ts',
    contains: ["runSuites(['suites/config'], workspace(), { BENCH_DURATION: '2', BENCH_TARGETS_FILE: '' }"],
    note: 'run with BENCH_DURATION=2 (the documented shortening): the full stages take minutes',
  },
  { command: 'BENCH_DURATION=2 npx vitest run suites/config', coveredBy: 'test/e2e/config-suite.test.ts', contains: ["runSuites(['suites/config'], workspace(), { BENCH_DURATION: '2', BENCH_TARGETS_FILE: '' }"] },
  {
    command: /^BENCH_CONFIG=examples\/inference-perf\/[a-z-]+\.yml BENCH_TARGET=simulator npx vitest run suites\/config$/,
    coveredBy: 'test/e2e/inference-perf-examples.test.ts',
    contains: ["BENCH_CONFIG: 'examples/inference-perf/conversation-replay.yml', BENCH_TARGET: 'simulator'", "BENCH_CONFIG: 'examples/inference-perf/shared-prefix-multi-turn.yml', BENCH_TARGET: 'simulator'", "BENCH_CONFIG: 'examples/inference-perf/otel-trace-replay.yml', BENCH_TARGET: 'simulator'", "BENCH_CONFIG: 'examples/inference-perf/weka-trace-replay.yml', BENCH_TARGET: 'simulator'"],
  },
  {
    command: 'BENCH_CONFIG=examples/inference-perf/trace-replay.yml BENCH_TARGETS_FILE=examples/targets.yaml BENCH_TARGET=simulator-256 npx vitest run suites/config',
    coveredBy: 'test/e2e/inference-perf-examples.test.ts',
    contains: ["BENCH_CONFIG: 'examples/inference-perf/trace-replay.yml'", "BENCH_TARGETS_FILE: 'examples/targets.yaml'", "BENCH_TARGET: 'simulator-256'"],
  },
  { command: 'BENCH_CONFIG=config.yaml npx vitest run suites/config', coveredBy: 'test/e2e/config-suite.test.ts', contains: ["runSuites(['suites/config'], dir, { BENCH_CONFIG: join(dir, 'config.yaml'), BENCH_TARGETS_FILE: '' })", 'endpoint:'] },
  {
    command: 'BENCH_PROVISION=examples/standalone/vllm-standalone.yaml npx vitest run suites/latency',
    coveredBy: 'test/e2e/provision-suite.test.ts',
    contains: ["const TEMPLATE = 'examples/standalone/vllm-standalone.yaml'", 'BENCH_PROVISION: TEMPLATE', "['suites/latency', '-t', 'quick_validation']"],
    note: 'runs the quick_validation scenario of the suite on the embedded cluster simulator',
  },
  {
    command: 'npx vitest-llm-d provision examples/standalone/vllm-standalone.yaml',
    coveredBy: 'test/provision/cli.test.ts',
    contains: ["'provision', TEMPLATE], { cwd: ROOT", "KUBECONFIG: cluster.sim.kubeconfigPath", 'Ctrl-C deletes the stack.'],
  },
  {
    command: 'BENCH_BASELINE=results/2026-11-23T13-08-50Z-latency npx vitest run suites/latency',
    coveredBy: 'test/e2e/baseline-gate.test.ts',
    contains: ["const QUICK = ['suites/latency', '-t', 'quick_validation']", 'BENCH_BASELINE: baseline'],
    note: 'the quick_validation scenario of the suite, a baseline run first',
  },
  {
    command: 'npx vitest-llm-d rerun results/2026-11-23T13-08-50Z-latency -- -t quick_validation',
    coveredBy: 'test/e2e/run-folder.test.ts',
    contains: ["cli(['rerun', folder, '--', '-t', 'quick_validation']"],
  },
  {
    command: 'npx vitest-llm-d rerun results/2026-11-23T13-08-50Z-latency',
    coveredBy: 'test/e2e/run-folder.test.ts',
    contains: ["cli(['rerun', folder"],
    note: 'the e2e test reruns one scenario of the folder (-- -t quick_validation); the whole suite is the same path without the filter',
  },
  {
    command: 'npx vitest-llm-d launch suites/throughput --parallelism 4',
    coveredBy: 'test/distributed/launch-e2e.test.ts',
    contains: ["launch([DIST, '--parallelism', '2', ...CONFIG], { BENCH_CLUSTER: 'simulator', BENCH_RESULTS_DIR: results, KUBECONFIG: '' })", 'started the embedded cluster simulator'],
    note: 'launches a two-pod test suite on the embedded cluster: suites/throughput on 4 pods takes about 2 minutes on 2 cores',
  },
  {
    command: 'BENCH_PROMETHEUS_URL=http://prometheus.monitoring:9090 npx vitest run suites/latency',
    coveredBy: 'test/prom/run-metrics.test.ts',
    contains: ['BENCH_PROMETHEUS_URL: prom!.url', "runSuites(['suites/smoke']"],
    note: 'a real Prometheus scraping the simulator; the suite run is suites/smoke',
  },

  // Suites against an endpoint, a targets file, a config's endpoint, a bucket: e2e tests named after the command.
  {
    command: 'BENCH_BASE_URL=http://localhost:8000 BENCH_MODEL=Qwen/Qwen3-8B npx vitest run suites/latency',
    coveredBy: 'test/e2e/latency-suite.test.ts',
    contains: ["runSuites(['suites/latency'], dir", 'BENCH_BASE_URL: slow.url', "BENCH_MODEL: 'Qwen/Qwen3-8B'"],
  },
  {
    command: 'BENCH_TARGET=local-vllm npx vitest run suites/smoke suites/latency',
    coveredBy: 'test/e2e/latency-suite.test.ts',
    contains: ["examples/targets.yaml'", "['suites/smoke', 'suites/latency']", "BENCH_TARGET: 'local-vllm'", 'VLLM_BASE_URL: sim.url'],
  },
  {
    command: 'npx vitest run suites/prefix-cache',
    coveredBy: 'test/e2e/workload-suites.test.ts',
    contains: ["runSuitesOnceValid(['suites/prefix-cache'], workspace(), ENV)"],
  },
  {
    command: 'npx vitest run suites/sessions',
    coveredBy: 'test/e2e/sessions-suite.test.ts',
    contains: ["runSuitesOnceValid(['suites/sessions'], workspace()"],
  },
  {
    command: 'BENCH_BASE_URL=http://localhost:8000 npx vitest run suites/prefix-cache',
    coveredBy: 'test/e2e/workload-suites.test.ts',
    contains: ["runSuitesOnceValid(['suites/prefix-cache'], workspace(), { ...ENV, BENCH_BASE_URL: sim.url })"],
  },
  {
    command: 'BENCH_CONFIG=config.yaml BENCH_BASE_URL=http://localhost:8000 npx vitest run suites/config',
    coveredBy: 'test/e2e/config-suite.test.ts',
    contains: ["runSuites(['suites/config'], dir, { BENCH_CONFIG: join(dir, 'config.yaml'), BENCH_BASE_URL: sim.url"],
  },
  {
    command: 'AWS_ENDPOINT_URL_S3=http://127.0.0.1:9000 AWS_ACCESS_KEY_ID=minioadmin AWS_SECRET_ACCESS_KEY=minioadmin BENCH_PUBLISH=s3://bench-results/ci npx vitest run suites/latency',
    coveredBy: 'test/e2e/run-folder.test.ts',
    contains: ["runSuitesOnceValid(['suites/latency'], dir, {\n        AWS_ENDPOINT_URL_S3: endpoint", "AWS_ACCESS_KEY_ID: 'S3RVER'", "AWS_SECRET_ACCESS_KEY: 'S3RVER'", "BENCH_PUBLISH: 's3://bench-results/ci'"],
    note: "s3rver and its key pair stand in for MinIO's",
  },

  // Cheap: run here.
  {
    command: 'cp examples/targets.yaml targets.yaml',
    run: {
      cwd: 'temp',
      setup: (dir, ctx) => {
        mkdirSync(join(dir, 'examples'));
        copyFileSync(join(ctx.repo, 'examples/targets.yaml'), join(dir, 'examples/targets.yaml'));
      },
      exitCode: 0,
      check: (r) => expect(readFileSync(join(r.cwd, 'targets.yaml'), 'utf8')).toMatch(/^ {2}- name: local-vllm$/m),
    },
  },
  {
    command: 'npx vitest-llm-d provision examples/standalone/vllm-standalone.yaml --dry-run --namespace bench',
    run: {
      cwd: 'repo',
      exitCode: 0,
      check: (r) => expect(r.stdout.match(/^kind: \w+|^ {2}namespace: \S+/gm)).toEqual(['kind: Deployment', '  namespace: bench', 'kind: Service', '  namespace: bench']),
    },
  },
  {
    command: 'npx vitest-llm-d check configs/*.yaml',
    run: {
      cwd: 'temp',
      setup: configsDir,
      exitCode: 0,
      check: (r) => {
        expect(r.output).toMatch(/^2 files checked, no request sent: 2 valid, 0 invalid$/m);
      },
    },
  },
  {
    command: 'npx vitest-llm-d check --json configs/*.yaml > plan.json',
    run: {
      cwd: 'temp',
      setup: configsDir,
      exitCode: 0,
      check: (r) => {
        const plan = JSON.parse(readFileSync(join(r.cwd, 'plan.json'), 'utf8')) as { valid: boolean; files: Array<{ file: string }> };
        expect(plan).toMatchObject({ valid: true, files: [{ file: 'configs/concurrent.yaml' }, { file: 'configs/poisson.yaml' }] });
      },
    },
  },
  {
    command: 'BENCH_BASE_URL=http://gw:80 npx vitest-llm-d check guide.yaml',
    run: {
      cwd: 'temp',
      setup: (dir) => writeFileSync(join(dir, 'guide.yaml'), GUIDE),
      exitCode: 0,
      check: (r) => expect(r.stdout).toContain('endpoint.base_url = "http://gw:80" (env BENCH_BASE_URL'),
    },
  },
  {
    command: 'npx vitest-llm-d check --sample 0 suites/*/*.yaml',
    run: { cwd: 'repo', exitCode: 0, check: (r) => expect(r.stdout).toContain('suites/latency/latency.yaml') },
  },
  {
    command: /^npx vitest-llm-d compare results\/<[^>]+> results\/<[^>]+> results\/<[^>]+> --out results\/compare-0\.4$/,
    run: {
      cwd: 'temp',
      setup: (dir) => {
        mkdirSync(join(dir, 'results'));
        for (const [name, seed] of [['v03', 60], ['v04', 61], ['v04-h100', 62]] as const) renameSync(writeRun('latency', { seed }), join(dir, 'results', name));
      },
      substitute: () => [['<v0.3 run>', 'v03'], ['<v0.4 run>', 'v04'], ['<v0.4 on H100 run>', 'v04-h100']],
      exitCode: 0,
      check: (r) => {
        const model = JSON.parse(readFileSync(join(r.cwd, 'results/compare-0.4/compare.json'), 'utf8')) as { runs: Array<{ source: string }> };
        expect(model.runs.map((x) => x.source)).toEqual(['results/v03', 'results/v04', 'results/v04-h100']);
      },
    },
  },
  simulatorCommand('npx vitest-llm-d sim --port 8000', async (url) => {
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(['Qwen/Qwen3-0.6B']);
  }),
  simulatorCommand('npx vitest-llm-d sim --port 8000 --itl-ms 150', async (url) => {
    const started = performance.now();
    const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'Qwen/Qwen3-0.6B', prompt: 'hi', max_tokens: 3, ignore_eos: true }) });
    expect(res.status).toBe(200);
    await res.json();
    // Two decode steps of 150 ms after the first token.
    expect(performance.now() - started).toBeGreaterThan(250);
  }),
  {
    // Run up to the cluster: the suite, its split over the pods and the options are checked first,
    // then a kubeconfig that does not exist stops it where a real cluster (pulling the image) is needed.
    command: /^npx vitest-llm-d launch \S+ -p \d+ -n bench --image registry\.example\.com\/team\/vitest-llm-d:0\.1\.0$/,
    run: {
      cwd: 'repo',
      env: (_ctx, dir) => ({ BENCH_CLUSTER: 'kubeconfig', KUBECONFIG: join(dir, 'no-such-kubeconfig') }),
      exitCode: 1,
      check: (r) => expect(r.output).toMatch(/^vitest-llm-d launch: kubeconfig: ENOENT/m),
    },
  },
  {
    command: /^npx vitest-llm-d(?: [a-z-]+)? (?:--help|-h)$/,
    run: { cwd: 'repo', exitCode: 0, check: (r) => expect(r.stdout).toMatch(/^Usage: vitest-llm-d/) },
  },
  {
    command: 'npx depcruise --config .dependency-cruiser.cjs --output-type err-long lib',
    run: { cwd: 'repo', exitCode: 0, check: (r) => expect(r.output).toMatch(/no dependency violations found/) },
  },
  {
    command: 'npx depcruise --config .dependency-cruiser.cjs --output-type text lib/slo',
    run: { cwd: 'repo', exitCode: 0, check: (r) => expect(r.stdout).toMatch(/^lib\/slo\/\S+ → lib\/\S+$/m) },
  },

  // The README's "Write your own suite", followed in a fresh project against the packed tarball.
  { command: 'npm i -D vitest-llm-d vitest', coveredBy: 'test/package/installed.test.ts', contains: ['Write your own suite'] },
  { command: 'npx vitest run', coveredBy: 'test/package/installed.test.ts', contains: ['Write your own suite'] },
  { command: 'npm pkg set type=module', coveredBy: 'test/package/installed.test.ts', contains: ['Write your own suite'] },

  // Cannot run on this machine.
  {
    command: 'BENCH_PROMETHEUS_CLUSTER_DOMAIN=apps.my-cluster.example.com BENCH_PROMETHEUS_TOKEN="$(oc whoami -t)" npx vitest run suites/latency',
    notRunnable: 'needs an OpenShift login (`oc whoami -t`) and its monitoring stack; the URL and token it derives are checked by test/prom/settings.test.ts',
  },
  { command: 'docker build -t registry.example.com/team/vitest-llm-d:0.1.0 .', notRunnable: 'no Docker daemon on this machine (and no registry to push to)' },
  { command: 'docker push registry.example.com/team/vitest-llm-d:0.1.0', notRunnable: 'no Docker daemon on this machine, and registry.example.com stands for your own registry' },
  { command: 'docker run -d -p 9000:9000 minio/minio server /data', notRunnable: 'no Docker daemon on this machine; the publish command after it runs here against s3rver instead of MinIO' },
];
