/**
 * Loading a scenario file and applying the `BENCH_*` overrides that let one suite file serve a
 * quick local check and a full CI run:
 *
 * | variable | replaces, in every scenario |
 * | --- | --- |
 * | `BENCH_NUM_REQUESTS` | `num_requests` |
 * | `BENCH_WARMUP_REQUESTS` | `warmup_requests` |
 * | `BENCH_CONCURRENCY` | `load.concurrency` (concurrency loads), `load.users` (users loads); a list `1,5,10` sets a sweep's levels |
 * | `BENCH_RATE` | `load.rate` (single-rate constant, poisson, gamma loads) |
 * | `BENCH_DURATION` | the time bound of every stage, in seconds: `load.duration` (added when absent: a count-bounded stage then ends at whichever comes first), each of `load.stages[].duration` |
 * | `BENCH_ARRIVALS` | `load.arrivals` of every constant and Poisson load: `exact` or `inference-perf` |
 * | `BENCH_PAUSE` | `load.pause` (seconds of idle pause between stages) of every staged load: constant, poisson, gamma with `stages`, sweep |
 * | `BENCH_MAX_TOKENS` | the output length of every data shape: `data.max_tokens` as `[n]` (synthetic), each pair's output (isl_osl), each component's (mix), the output distribution (random), `data.output_len` (shared_prefix, sharegpt), `data.max_tokens` (conversations) |
 *
 * A load override that does not fit a scenario's load type is an error unless the other one
 * covers that scenario: `BENCH_CONCURRENCY` alone with a constant-rate scenario fails, naming it.
 * Every applied override is recorded so reports show what differs from the file.
 */
import { ConfigError } from '../errors/config-error.ts';
import type { ConfigOverride } from './env.ts';
import { join } from 'node:path';
import { rerunScenarios } from './rerun.ts';
import { settings } from '../settings/registry.ts';
import { formatPath, validateConfig } from './format-issues.ts';
import { loadConfigFile } from './load-file.ts';
import type { Load } from './schema/load.ts';
import { ScenarioFileSchema } from './schema/scenario.ts';
import { DEFAULT_MAX_SCHEDULE_LAG_P99_MS, DEFAULT_MIN_SUCCESS_RATE } from './schema/slo.ts';
import type { Scenario, ScenarioFile } from './schema/scenario.ts';
import type { Env } from './substitute.ts';

/** A scenario file with the environment's overrides applied. */
export interface LoadedScenarioFile {
  /** The file as shown in messages, relative to `cwd` when inside it. */
  source: string;
  /** Absolute path of the file. */
  path: string;
  /** The validated file with overrides applied. */
  config: ScenarioFile;
  /** Every value replaced from the environment. */
  overrides: ConfigOverride[];
  /** Values substituted from secret-looking variables, to redact. */
  secrets: string[];
}

/**
 * Loads, validates and applies environment overrides to a scenario file. Under
 * `vitest-llm-d rerun` (`BENCH_RERUN=<run folder>`), the scenarios the folder's `config.yaml`
 * recorded for this file replace the file's own (as they ran: overrides applied, seeds fixed),
 * and the environment's overrides still apply on top.
 */
export function loadScenarioFile(file: string, options: { env: Env; cwd?: string }): LoadedScenarioFile {
  const loaded = loadConfigFile(file, ScenarioFileSchema, options);
  return { ...scenarioFileAsRun(loaded.value, { source: loaded.source, secrets: loaded.secrets, env: options.env }), path: loaded.path };
}

/**
 * A validated scenario file (read from YAML, or written in a test) as it runs: under
 * `BENCH_RERUN` the scenarios recorded for `source` replace its own, then the environment's
 * overrides apply.
 */
export function scenarioFileAsRun(value: ScenarioFile, options: { source: string; secrets: string[]; env: Env }): Omit<LoadedScenarioFile, 'path'> {
  const replaced: ConfigOverride[] = [];
  const rerun = rerunScenarios(options.env, options.source);
  if (rerun) {
    const source = `${join(rerun.folder, 'config.yaml')} files.${options.source}`;
    const merged = {
      ...value,
      scenarios: { ...value.scenarios, ...rerun.file.scenarios },
      ...(rerun.file.slo_profiles ? { slo_profiles: rerun.file.slo_profiles } : {}),
      ...(rerun.file.simulator ? { simulator: rerun.file.simulator } : {}),
    };
    value = validateConfig(ScenarioFileSchema, merged, { source, secrets: options.secrets });
    for (const name of Object.keys(rerun.file.scenarios)) replaced.push({ path: `scenarios.${name}.*`, value: `as run in ${rerun.folder}`, source: 'BENCH_RERUN' });
  }
  const { config, overrides } = applyScenarioOverrides(value, options.env);
  return { source: options.source, config, overrides: [...replaced, ...overrides], secrets: options.secrets };
}

/**
 * A copy of `file` with the `BENCH_*` overrides applied, and the list of what changed. Pure:
 * the input is not modified. Throws `ConfigError` (source `env`) for an unusable value or a load
 * override that does not fit a scenario.
 */
export function applyScenarioOverrides(
  file: ScenarioFile,
  env: Env,
): { config: ScenarioFile; overrides: ConfigOverride[] } {
  const s = settings(env);
  const numRequests = s.get('BENCH_NUM_REQUESTS');
  const warmup = s.get('BENCH_WARMUP_REQUESTS');
  const levels = s.get('BENCH_CONCURRENCY');
  const concurrency = levels?.length === 1 ? levels[0] : undefined;
  const rate = s.get('BENCH_RATE');
  const duration = s.get('BENCH_DURATION');
  const maxTokens = s.get('BENCH_MAX_TOKENS');
  const arrivals = s.get('BENCH_ARRIVALS');
  const pause = s.get('BENCH_PAUSE');
  const stalledShare = s.get('BENCH_MAX_STALLED_SHARE');
  const overrides: ConfigOverride[] = [];
  const scenarios: Record<string, Scenario> = {};

  for (const [name, original] of Object.entries(file.scenarios)) {
    const scenario: Scenario = { ...original, load: { ...original.load }, data: { ...original.data } };
    const record = (path: PropertyKey[], value: unknown, variable: string): void => {
      overrides.push({ path: formatPath(['scenarios', name, ...path]), value, source: `env ${variable}` });
    };
    if (numRequests !== undefined) {
      scenario.num_requests = numRequests;
      record(['num_requests'], numRequests, 'BENCH_NUM_REQUESTS');
    }
    if (warmup !== undefined) {
      scenario.warmup_requests = warmup;
      record(['warmup_requests'], warmup, 'BENCH_WARMUP_REQUESTS');
    }
    const load = scenario.load;
    if (load.type === 'concurrency' && concurrency !== undefined) {
      load.concurrency = concurrency;
      record(['load', 'concurrency'], concurrency, 'BENCH_CONCURRENCY');
    } else if (load.type === 'users' && concurrency !== undefined) {
      load.users = concurrency;
      load.start_users = Math.min(load.start_users, concurrency);
      record(['load', 'users'], concurrency, 'BENCH_CONCURRENCY');
    } else if (load.type === 'sweep' && levels !== undefined) {
      load.concurrency = levels;
      record(['load', 'concurrency'], levels, 'BENCH_CONCURRENCY');
    } else if ((load.type === 'constant' || load.type === 'poisson' || load.type === 'gamma') && load.stages === undefined && rate !== undefined) {
      load.rate = rate;
      record(['load', 'rate'], rate, 'BENCH_RATE');
    } else if (levels !== undefined) {
      throw mismatch('BENCH_CONCURRENCY', name, load, levels.length > 1 ? 'sweep' : 'concurrency, users and sweep');
    } else if (rate !== undefined) {
      throw mismatch('BENCH_RATE', name, load, 'single-rate (constant, poisson, gamma)');
    }
    if (duration !== undefined) {
      if (load.type === 'trace') {
        throw new ConfigError('env', 'BENCH_DURATION', `scenario "${name}" replays a trace, which lasts as long as its window: set data.max_duration_s instead`);
      } else if ((load.type === 'constant' || load.type === 'poisson' || load.type === 'gamma') && load.stages) {
        load.stages = load.stages.map((st) => ({ ...st, duration }));
        record(['load', 'stages'], load.stages, 'BENCH_DURATION');
      } else {
        load.duration = duration;
        record(['load', 'duration'], duration, 'BENCH_DURATION');
      }
    }
    if (arrivals !== undefined && (load.type === 'constant' || load.type === 'poisson')) {
      if (arrivals === 'inference-perf' && load.stages === undefined && load.duration === undefined) {
        throw new ConfigError('env', 'BENCH_ARRIVALS', `inference-perf arrivals send int(rate × duration) requests a stage, and scenario "${name}" has no duration (set one, or BENCH_DURATION)`);
      }
      load.arrivals = arrivals;
      record(['load', 'arrivals'], arrivals, 'BENCH_ARRIVALS');
    }
    if (pause !== undefined && (load.type === 'sweep' || ((load.type === 'constant' || load.type === 'poisson' || load.type === 'gamma') && load.stages))) {
      load.pause = pause;
      record(['load', 'pause'], pause, 'BENCH_PAUSE');
    }
    if (maxTokens !== undefined) {
      // Every data shape has an output length; each gets the override in its own terms.
      const data = scenario.data;
      if (data.type === 'synthetic') {
        data.max_tokens = [maxTokens];
        record(['data', 'max_tokens'], [maxTokens], 'BENCH_MAX_TOKENS');
      } else if (data.type === 'isl_osl') {
        // One cell per input length once every output length is the same.
        const inputs = [...new Set(data.pairs.map(([isl]) => isl))];
        data.pairs = inputs.map((isl): [number, number] => [isl, maxTokens]);
        record(['data', 'pairs'], data.pairs, 'BENCH_MAX_TOKENS');
      } else if (data.type === 'mix') {
        // Components that now differ only in share become one, with their shares added.
        const byPrompt = new Map<number, { share: number; prompt_tokens: number; max_tokens: number }>();
        for (const c of data.components) {
          const same = byPrompt.get(c.prompt_tokens);
          if (same) same.share = Number((same.share + c.share).toFixed(6));
          else byPrompt.set(c.prompt_tokens, { ...c, max_tokens: maxTokens });
        }
        data.components = [...byPrompt.values()];
        record(['data', 'components'], data.components, 'BENCH_MAX_TOKENS');
      } else if (data.type === 'random') {
        data.output_distribution = { min: maxTokens, max: maxTokens, mean: maxTokens, std: 0 };
        record(['data', 'output_distribution'], data.output_distribution, 'BENCH_MAX_TOKENS');
      } else if (data.type === 'shared_prefix' || data.type === 'sharegpt') {
        data.output_len = maxTokens;
        record(['data', 'output_len'], maxTokens, 'BENCH_MAX_TOKENS');
      } else if (data.type === 'conversations') {
        data.max_tokens = maxTokens;
        record(['data', 'max_tokens'], maxTokens, 'BENCH_MAX_TOKENS');
      }
    }
    if (stalledShare !== undefined) {
      scenario.slo = { min_success_rate: DEFAULT_MIN_SUCCESS_RATE, max_schedule_lag_p99_ms: DEFAULT_MAX_SCHEDULE_LAG_P99_MS, ...scenario.slo, max_stalled_share: stalledShare };
      record(['slo', 'max_stalled_share'], stalledShare, 'BENCH_MAX_STALLED_SHARE');
    }
    scenarios[name] = scenario;
  }
  return { config: { ...file, scenarios }, overrides };
}

/** The variable that overrides each load type's main parameter. */
const LOAD_VARIABLES: Record<Load['type'], string> = {
  concurrency: 'BENCH_CONCURRENCY',
  constant: 'BENCH_RATE',
  poisson: 'BENCH_RATE',
  gamma: 'BENCH_RATE',
  sweep: 'BENCH_CONCURRENCY=1,5,10',
  users: 'BENCH_CONCURRENCY',
  search: 'the search range in the file',
  trace: "the trace's own times (load.speedup)",
};

function mismatch(variable: string, scenario: string, load: Load, fits: string): ConfigError {
  const staged = 'stages' in load && load.stages !== undefined;
  const other = staged ? ' (a staged load has a rate per stage; edit the file, or scale durations with BENCH_DURATION)' : ` (set ${LOAD_VARIABLES[load.type]} for ${load.type} loads)`;
  return new ConfigError(
    'env',
    variable,
    `applies to ${fits} loads, but scenario "${scenario}" uses a ${load.type} load${other}`,
  );
}
