/**
 * Checking a config file without sending a request (`vitest-llm-d check`): it is read and
 * resolved by the loaders a run uses, and each workload is planned (`plan.ts`) with the run's
 * `BENCH_*` overrides and `env` entries applied, against the endpoint the run would choose.
 *
 * Which loader reads a file is decided by its top-level keys, as for a suite (`load-scenarios.ts`):
 * a scenario file is resolved as `loadScenarioFile` does, an actuation file validated only (it
 * drives a cluster), anything else read as `BENCH_CONFIG` is, by `loadWellLitConfig`.
 */
import { basename, extname, resolve } from 'node:path';
import { loadActuationFile } from '../actuation/config.ts';
import type { ConfigOverride } from '../config/env.ts';
import { displayPath } from '../config/load-file.ts';
import { redactText, redactValue } from '../config/redact.ts';
import { loadScenarioFile } from '../config/resolve-scenarios.ts';
import type { Scenario, ScenarioFile } from '../config/schema/scenario.ts';
import type { Env } from '../config/substitute.ts';
import { loadWellLitConfig } from '../config/well-lit/load-config.ts';
import { prepareWellLitRun } from '../config/well-lit/prepare-run.ts';
import { DataError } from '../data/data-error.ts';
import { BenchError } from '../errors/bench-error.ts';
import { ConfigError } from '../errors/config-error.ts';
import { type ConfigKind, scenarioFileKind } from './load-scenarios.ts';
import { planScenario, type ScenarioPlan } from './plan.ts';
import { configEndpoint, type EndpointPlan, scenarioEndpoint } from './plan-target.ts';

export type { ConfigKind } from './load-scenarios.ts';

/** A key accepted without effect, with why. */
export interface NoEffectKey {
  path: string;
  value: unknown;
  reason: string;
}

/** One workload's plan, with what the file's reading says about it. */
export interface WorkloadPlan extends ScenarioPlan {
  /** Where it sits in the file: `workload.<name>`, `scenarios.<name>`, `''` for a top-level matrix or a bare config. */
  origin: string;
  /** Keys of the workload accepted without effect. */
  noEffect: NoEffectKey[];
  /** How the file was read where that is worth knowing (defaults filled in, values read differently). */
  notes: ConfigOverride[];
  /** Values the environment replaced (`BENCH_*`). */
  overrides: ConfigOverride[];
}

/** The result of checking one file. */
export interface CheckedFile {
  /** The file as named in messages. */
  file: string;
  kind: ConfigKind | null;
  /** Why it was read as `kind`. */
  kindReason: string;
  valid: boolean;
  /** Every problem, as one block: the loader's error, or the problems found planning its workloads. */
  problems: string | null;
  endpoint: EndpointPlan | null;
  /** The file's `env` entries and whether each is set for the run. */
  env: ConfigOverride[];
  /** Keys outside any workload accepted without effect. */
  noEffect: NoEffectKey[];
  /** Each test's time limit from the file (`harness.wait_timeout`), seconds, when it sets one. */
  testTimeoutS: number | null;
  /** The file's `description`, which every report carries. */
  description: { text: string | null; keywords: string[] } | null;
  /** Shell commands run around each workload (never by check), with where each came from. */
  hooks: Array<{ hook: string; command: string; source: string }>;
  workloads: WorkloadPlan[];
}

/** How to check. */
export interface CheckOptions {
  /** The environment of the run to check for (`BENCH_*`, `${VAR}` substitution). */
  env: Env;
  cwd: string;
  /** Prompts to sample per workload (0: none). */
  sample: number;
}

/** Checks one file; never throws for a problem of the file (it is in `problems`). */
export async function checkConfigFile(file: string, options: CheckOptions): Promise<CheckedFile> {
  const { kind, reason } = scenarioFileKind(file, options.cwd);
  const empty = {
    file: displayPath(resolve(options.cwd, file), options.cwd), kind, kindReason: reason, endpoint: null, env: [], noEffect: [], testTimeoutS: null, description: null, hooks: [], workloads: [],
  };
  try {
    return await CHECKERS[kind ?? 'inference-perf'](file, options, empty);
  } catch (err) {
    if (!(err instanceof BenchError)) throw err;
    // A problem of the environment (`env: BENCH_RATE: ...`) is still this file's block.
    const named = err.message.startsWith(empty.file) ? err.message : `${empty.file}: ${err.message}`;
    return { ...empty, valid: false, problems: named };
  }
}

type Base = Omit<CheckedFile, 'valid' | 'problems'>;

async function checkWellLit(file: string, options: CheckOptions, base: Base): Promise<CheckedFile> {
  const config = loadWellLitConfig(file, { env: options.env, cwd: options.cwd });
  const problems = new Problems(config.source, config.secrets);
  let run: ReturnType<typeof prepareWellLitRun> | undefined;
  try {
    run = prepareWellLitRun(config, options.env);
  } catch (err) {
    problems.add('', err);
  }
  // The suite's environment has the file's env entries the process does not set, when it chooses the target.
  const runEnv = { ...options.env, ...run?.envToSet };
  const endpoint = problems.attempt('', () => configEndpoint(config, runEnv, options.cwd));
  // The file's own notes (an unknown scenario name gives those alone): its env entries, and whether each is set.
  const env = (run?.notesFor('') ?? []).filter((n) => n.path.startsWith('env.'));
  const fileKeys = config.ignored.filter((k) => k.workload === undefined).map(({ path, value, reason }) => ({ path, value, reason }));
  const workloads: WorkloadPlan[] = [];
  if (run && endpoint) {
    for (const [name, sc] of Object.entries(run.file.config.scenarios)) {
      const read = config.scenarios[name]!;
      const { workload } = read;
      // A workload that became several scenarios (a matrix's pairs, a concurrent load's stages) says which.
      const which = name === workload ? '' : `as scenario ${name}: `;
      const plan = await problems.attemptAsync(read.origin, which, () => planOf(name, sc, run!.file.config, 'config', config.source, endpoint, options));
      if (!plan) continue;
      workloads.push({
        ...plan,
        origin: read.origin,
        noEffect: config.ignored.filter((k) => k.workload !== undefined && k.workload === workload).map(({ path, value, reason }) => ({ path, value, reason })),
        notes: read.notes,
        overrides: run.file.overrides.filter((o) => o.path.startsWith(`scenarios.${name}.`)),
      });
    }
  }
  const testTimeoutS = run?.testTimeoutMs === undefined ? null : run.testTimeoutMs / 1000;
  const hooks = Object.values(run?.hooks ?? {}).map(({ hook, command, source }) => ({ hook, command, source }));
  const plan = { ...base, file: config.source, endpoint: endpoint ?? null, env, noEffect: fileKeys, testTimeoutS, description: config.description, hooks, workloads };
  return redactValue({ ...plan, ...problems.verdict() }, config.secrets);
}

async function checkScenarioFile(file: string, options: CheckOptions, base: Base): Promise<CheckedFile> {
  const loaded = loadScenarioFile(file, { env: options.env, cwd: options.cwd });
  const problems = new Problems(loaded.source, loaded.secrets);
  const endpoint = problems.attempt('', () => scenarioEndpoint(options.env, options.cwd));
  const suite = basename(loaded.path, extname(loaded.path));
  const workloads: WorkloadPlan[] = [];
  if (endpoint) {
    for (const [name, sc] of Object.entries(loaded.config.scenarios)) {
      const origin = `scenarios.${name}`;
      const plan = await problems.attemptAsync(origin, '', () => planOf(name, sc, loaded.config, suite, loaded.source, endpoint, options));
      if (plan) workloads.push({ ...plan, origin, noEffect: [], notes: [], overrides: loaded.overrides.filter((o) => o.path.startsWith(`${origin}.`)) });
    }
  }
  return redactValue({ ...base, file: loaded.source, endpoint: endpoint ?? null, workloads, ...problems.verdict() }, loaded.secrets);
}

/**
 * An actuation suite's file, validated by its loader with the environment's overrides. Its
 * scenarios create and scale pods on a cluster rather than send a load, so none is planned.
 */
async function checkActuation(file: string, options: CheckOptions, base: Base): Promise<CheckedFile> {
  const loaded = loadActuationFile(file, options.env, options.cwd);
  const list = Object.entries(loaded.config.scenarios).map(([name, sc]) => `${name} (${sc.type})`);
  const reason = `${base.kindReason}: ${list.join(', ')}; they create and scale pods on a cluster, so no load is planned`;
  return { ...base, file: loaded.source, kindReason: reason, valid: true, problems: null };
}

type Checker = (file: string, options: CheckOptions, base: Base) => Promise<CheckedFile>;

/** The reader of each kind of file. */
const CHECKERS: Record<ConfigKind, Checker> = {
  scenarios: checkScenarioFile,
  actuation: checkActuation,
  'llm-d-benchmark': checkWellLit,
  'harness-matrix': checkWellLit,
  'inference-perf': checkWellLit,
};

function planOf(name: string, sc: Scenario, file: ScenarioFile, suite: string, source: string, endpoint: EndpointPlan, options: CheckOptions): Promise<ScenarioPlan> {
  return planScenario(name, sc, {
    suite,
    sloProfiles: file.slo_profiles ?? {},
    source,
    model: endpoint.model,
    tokenizer: endpoint.tokenizer,
    defaultApi: endpoint.defaultApi,
    sample: options.sample,
  });
}

/** The problems found after the loader accepted the file, as one block in the loader's form. */
class Problems {
  private readonly lines: string[] = [];

  constructor(
    private readonly source: string,
    private readonly secrets: readonly string[],
  ) {}

  /** Records `err` (a `BenchError`) found at `origin` in the file; rethrows anything else. */
  add(origin: string, err: unknown, prefix = ''): void {
    if (!(err instanceof BenchError)) throw err;
    let line: string;
    if (err instanceof ConfigError) {
      // One of this file's paths; or another source's own message (`env: BENCH_RATE: ...`, `targets.yaml: ...`).
      const reason = err.message.slice(`${err.source}: ${err.path ? `${err.path}: ` : ''}`.length);
      line = err.source === this.source ? `${err.path || origin || '(top level)'}: ${reason}` : err.message;
    } else {
      // A data source's problem names its path in scenario terms (`data.path`), under the workload's place in the file.
      const path = err instanceof DataError ? err.path : '';
      const reason = path ? err.message.slice(path.length + 2) : err.message;
      line = `${[origin, path].filter(Boolean).join('.') || '(top level)'}: ${prefix}${reason}`;
    }
    this.lines.push(redactText(line, this.secrets));
  }

  attempt<T>(origin: string, f: () => T): T | undefined {
    try {
      return f();
    } catch (err) {
      this.add(origin, err);
      return undefined;
    }
  }

  async attemptAsync<T>(origin: string, prefix: string, f: () => Promise<T>): Promise<T | undefined> {
    try {
      return await f();
    } catch (err) {
      this.add(origin, err, prefix);
      return undefined;
    }
  }

  /** `{ valid, problems }`: the block as `IssueList` writes it (one line for one problem). */
  verdict(): { valid: boolean; problems: string | null } {
    const [first, ...rest] = this.lines;
    if (first === undefined) return { valid: true, problems: null };
    if (rest.length === 0) return { valid: false, problems: `${this.source}: ${first}` };
    return { valid: false, problems: `${this.source}: ${this.lines.length} problems (nothing was run):\n${this.lines.map((l) => `  ${l}`).join('\n')}` };
  }
}
