/**
 * What the pods run, resolved here before anything is created: each test file's scenario file
 * loaded as the suite would load it on this machine (the same `BENCH_*` overrides), written as a
 * `config.yaml` in the run-folder format (`resolved-config@1`) so the pods run with
 * `BENCH_RERUN` on exactly these scenarios; every scenario's split checked with `shareOf` (a
 * parallelism larger than the work fails here, naming the scenario); and the caller's settings
 * sorted into what goes to the pods' ConfigMap (`BENCH_*`) and Secret (secret-looking names).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { redactValue, isSecretName } from '../../config/redact.ts';
import { loadScenarioFile, type LoadedScenarioFile } from '../../config/resolve-scenarios.ts';
import { BenchError } from '../../errors/bench-error.ts';
import { RESOLVED_CONFIG_SCHEMA, type ResolvedConfig } from '../../config/rerun.ts';
import { seedOf } from '../../scenario/run-scenario.ts';
import { settings } from '../../settings/registry.ts';
import { scenarioFileBeside } from '../../scenario/load-scenarios.ts';
import { shareOf, SplitError } from '../split.ts';
import { LaunchUsageError } from './errors.ts';
import type { LaunchNames } from './names.ts';

/**
 * Settings the launcher sets in the pods itself, or that name this machine (its folders, its
 * cluster), so the caller's values never reach the pods.
 */
const NOT_FOR_PODS = new Set([
  'BENCH_RERUN', 'BENCH_RESULTS_DIR', 'BENCH_PUBLISH', 'BENCH_BASELINE', 'BENCH_MERGE', 'BENCH_SHARE',
  'BENCH_PARALLELISM', 'BENCH_RUN_ID', 'BENCH_RUN_STAMP', 'BENCH_COORDINATOR', 'BENCH_COORDINATOR_PORT', 'BENCH_LAUNCH_STREAM',
  'BENCH_CLOCK_OFFSET_MS', 'BENCH_CLOCK_OFFSET_BOUND_MS', 'BENCH_TARGETS_FILE', 'BENCH_SIMULATOR_URL',
  'BENCH_CLUSTER', 'BENCH_CLUSTER_TIME_SCALE', 'BENCH_KUBECONFIG', 'BENCH_KUBE_CONTEXT', 'BENCH_NAMESPACE',
]);

/** Secret-looking variables a run may read besides `BENCH_*` ones (as the environment record lists them). */
const KNOWN_SECRET_VARS = /^(OPENAI_API_KEY|HF_TOKEN|HUGGING_FACE_HUB_TOKEN|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|VITEST_LLMD_.*)$/;

/** The scenario file a test file's `loadScenarios(import.meta.url)` loads (`scenarioFileBeside`), or null when there is none. */
export function scenarioFileOf(testFile: string, cwd: string): string | null {
  const file = scenarioFileBeside(resolve(cwd, testFile));
  return existsSync(file) ? file : null;
}

/** What the pods get. */
export interface ResolvedLaunchConfig {
  /** `config.yaml` text (resolved-config@1). */
  configYaml: string;
  /** Scenario files as loaded (for messages and tests). */
  files: LoadedScenarioFile[];
  /** Scenarios per file (`<file>#<name>`) that run whole in pod 0 (search loads). */
  wholeInPodZero: string[];
  /** `BENCH_*` settings for the `N-env` ConfigMap (no secret, none the launcher owns). */
  settings: Record<string, string>;
  /** Secret-looking variables the caller has set, name to value (the `N-secrets` Secret; never printed). */
  secrets: Record<string, string>;
  /** The targets file text, when one is in use (`N-files` targets.yaml). */
  targetsYaml: string | null;
}

/** `${VAR}` names referenced in a config text. */
function referencedVars(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

function targetsFileOf(cwd: string, env: NodeJS.ProcessEnv): string | null {
  const named = settings(env).get('BENCH_TARGETS_FILE');
  if (named) return resolve(cwd, named);
  return existsSync(join(cwd, 'targets.yaml')) ? join(cwd, 'targets.yaml') : null;
}

/**
 * Resolves the scenarios of `testFiles` and checks that each splits `parallelism` ways. Throws
 * {@link LaunchUsageError} naming the file and scenario for a split that cannot work, and for a
 * scenario file that does not load (its own one-line message).
 */
export function resolveLaunchConfig(input: { testFiles: string[]; suite: string; parallelism: number; names: LaunchNames; cwd: string; env: NodeJS.ProcessEnv; apiKeyEnv?: string }): ResolvedLaunchConfig {
  const { cwd, env, parallelism } = input;
  const files: LoadedScenarioFile[] = [];
  const out: ResolvedConfig['files'] = {};
  const wholeInPodZero: string[] = [];
  const referenced = new Set<string>();
  /** The longest stage (duration + drain) of any scenario, s; null when some stage has no time bound. */
  let stageBoundS: number | null = 0;
  for (const testFile of input.testFiles) {
    const path = scenarioFileOf(testFile, cwd);
    if (!path || files.some((f) => f.path === path)) continue;
    let loaded: LoadedScenarioFile;
    try {
      loaded = loadScenarioFile(path, { env, cwd });
    } catch (err) {
      if (err instanceof BenchError) throw new LaunchUsageError(err.message, { cause: err });
      throw err;
    }
    files.push(loaded);
    for (const v of referencedVars(readFileSync(path, 'utf8'))) referenced.add(v);
    for (const [name, sc] of Object.entries(loaded.config.scenarios)) {
      if (sc.load.type === 'search') {
        wholeInPodZero.push(`${loaded.source}#${name}`);
        continue;
      }
      const longest = checkSplit(loaded.source, name, sc, parallelism, input);
      stageBoundS = longest === null || stageBoundS === null ? null : Math.max(stageBoundS, longest);
    }
    const { secrets } = loaded;
    out[loaded.source] = {
      scenarios: redactValue(loaded.config.scenarios, secrets) as Record<string, unknown>,
      ...(loaded.config.slo_profiles ? { slo_profiles: redactValue(loaded.config.slo_profiles, secrets) as Record<string, unknown> } : {}),
      ...(loaded.config.simulator ? { simulator: redactValue(loaded.config.simulator, secrets) as Record<string, unknown> } : {}),
    };
  }
  const targetsFile = targetsFileOf(cwd, env);
  const targetsYaml = targetsFile && existsSync(targetsFile) ? readFileSync(targetsFile, 'utf8') : null;
  if (targetsYaml) for (const v of referencedVars(targetsYaml)) referenced.add(v);
  const settings: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (v === undefined || v === '') continue;
    if (isSecretName(k)) {
      if (k.startsWith('BENCH_') || KNOWN_SECRET_VARS.test(k) || referenced.has(k) || k === input.apiKeyEnv) secrets[k] = v;
    } else if (k.startsWith('BENCH_') && !NOT_FOR_PODS.has(k)) settings[k] = v;
  }
  // How long pods wait at a stage barrier for one that has not come (then it is taken as gone):
  // longer than any pod can take to finish the stage before, so a slow pod is never left behind.
  settings.BENCH_BARRIER_TIMEOUT_S ??= String(Math.max(120, Math.ceil((stageBoundS ?? 600) + 60)));
  const config: ResolvedConfig = {
    schema: RESOLVED_CONFIG_SCHEMA,
    suite: input.suite,
    run: input.names.stamp,
    test_files: input.testFiles,
    settings,
    secrets: Object.keys(secrets),
    targets: [],
    files: out,
  };
  const head = [
    `# The scenarios of launch ${input.names.run} (suite ${input.suite}, ${parallelism} pods) as resolved on the`,
    '# launching machine: every override applied (secrets redacted). The pods run them with BENCH_RERUN.',
  ];
  return { configYaml: `${head.join('\n')}\n${stringify(config, { lineWidth: 0 })}`, files, wholeInPodZero, settings, secrets, targetsYaml };
}


/**
 * Checks the split of one scenario; resolves to the longest a pod may reach a stage barrier after
 * the first one did (seconds): the stage before's duration plus its drain, or null for a stage
 * bounded by its count only (its time is not known ahead).
 */
function checkSplit(source: string, name: string, sc: LoadedScenarioFile['config']['scenarios'][string], parallelism: number, input: { suite: string; names: LaunchNames }): number | null {
  const ctx = { seed: seedOf(`${input.names.stamp}/${input.suite}/${name}/arrivals`), numRequests: sc.num_requests, warmup: sc.warmup_requests };
  try {
    // Whether a split works depends on the count only; the first and last pods cover the index checks.
    let longest: number | null = 0;
    for (const index of new Set([0, parallelism - 1])) {
      for (const st of shareOf(sc.load, ctx, { index, count: parallelism }).stages) {
        const p = st.global;
        longest = longest === null || p.durationMs === null ? null : Math.max(longest, (p.durationMs + p.drainMs) / 1000);
      }
    }
    return longest;
  } catch (err) {
    if (err instanceof SplitError) throw new LaunchUsageError(`${source}: scenario "${name}": cannot split across ${parallelism} pods: ${err.message}`, { cause: err });
    throw err;
  }
}
