/**
 * A translated config made ready to run: its `env` entries merged under the environment (a
 * variable already set keeps its value), the `BENCH_*` overrides applied to its scenarios, and
 * for each scenario the list of what the report should say about how the file was read: the
 * `env` entries, keys accepted without effect, and translation notes.
 */
import type { ConfigOverride } from '../env.ts';
import { settings } from '../../settings/registry.ts';
import { isSecretName, REDACTED } from '../redact.ts';
import { applyScenarioOverrides } from '../resolve-scenarios.ts';
import type { LoadedScenarioFile } from '../resolve-scenarios.ts';
import type { Env } from '../substitute.ts';
import { hookCommands } from './hooks.ts';
import type { HookCommand, HookName } from './hooks.ts';
import type { WellLitConfig } from './load-config.ts';

/** What a suite needs to run a config. */
export interface WellLitRun {
  /** The scenarios with overrides applied, as a suite's scenario file. */
  file: LoadedScenarioFile;
  /** `env` entries the environment does not set: they join the suite's environment (`lib/scenario/load-scenarios.ts`). */
  envToSet: Record<string, string>;
  /** Everything the report of one scenario should list besides its `BENCH_*` overrides. */
  notesFor(scenario: string): ConfigOverride[];
  /** Per-test limit from `harness.wait_timeout`, unless `BENCH_TEST_TIMEOUT_S` is set; undefined: the configured default. */
  testTimeoutMs: number | undefined;
  /** The hooks to run around each workload: the file's, or `BENCH_PRE_WORKLOAD` / `BENCH_POST_WORKLOAD`. */
  hooks: Partial<Record<HookName, HookCommand>>;
  /** The workload a scenario came from (a harness matrix gives one scenario per pair). */
  workloadOf(scenario: string): string;
}

/** Prepares `config` to run in environment `env` (`process.env`). Pure: nothing is set here. */
export function prepareWellLitRun(config: WellLitConfig, env: Env): WellLitRun {
  const envToSet: Record<string, string> = {};
  const fileNotes: ConfigOverride[] = [];
  for (const { name, value, from } of config.env) {
    const already = env[name] !== undefined && env[name] !== '';
    if (!already) envToSet[name] = value;
    fileNotes.push({
      path: `env.${name}`,
      value: isSecretName(name) ? REDACTED : value,
      source: `${config.source}${from ? ` ${from}` : ' env'}: ${already ? 'not applied: already set in the environment, which wins' : 'set for the run'}`,
    });
  }
  const runEnv: Env = { ...envToSet, ...env };
  const { config: scenarioFile, overrides } = applyScenarioOverrides(config.file, runEnv);
  // BENCH_API sets every scenario's API: a translated scenario always names one, so the target's would never apply.
  const runSettings = settings(runEnv);
  const api = runSettings.get('BENCH_API');
  if (api !== undefined) {
    for (const [name, sc] of Object.entries(scenarioFile.scenarios)) {
      sc.api = api;
      overrides.push({ path: `scenarios.${name}.api`, value: api, source: 'env BENCH_API' });
    }
  }
  for (const k of config.ignored.filter((i) => i.workload === undefined)) {
    fileNotes.push({ path: k.path, value: k.value, source: `${config.source}: accepted, no effect (${k.reason})` });
  }
  const waitS = config.waitTimeoutS;
  const timeoutSet = runSettings.given('BENCH_TEST_TIMEOUT_S') !== undefined;
  return {
    file: { source: config.source, path: config.path, config: scenarioFile, overrides, secrets: config.secrets },
    envToSet,
    notesFor(scenario) {
      const s = config.scenarios[scenario];
      if (!s) return [...fileNotes];
      const { workload } = s;
      const ignored = config.ignored
        .filter((i) => i.workload !== undefined && i.workload === workload)
        .map((k) => ({ path: k.path, value: k.value, source: `${config.source}: accepted, no effect (${k.reason})` }));
      return [...fileNotes, ...s.notes, ...ignored];
    },
    testTimeoutMs: !timeoutSet && waitS !== null ? waitS * 1000 : undefined,
    hooks: hookCommands(config.hooks, config.source, runEnv),
    workloadOf(scenario) {
      const origin = config.scenarios[scenario]?.origin ?? '';
      return origin ? origin.replace(/^workload\./, '') : scenario.split('.')[0]!;
    },
  };
}
