/**
 * The scenarios a test runs, whatever they came from: a scenario file, a config users already
 * have, an actuation file (`load-scenarios.ts`), or one scenario written in the test
 * (`define-scenario.ts`). A test names one with a {@link ScenarioRef}; `bench.run` and
 * `actuation.run` find the set behind it with {@link setOf} and check it is theirs to run.
 */
import type { LoadedScenarioFile } from '../config/resolve-scenarios.ts';
import type { Scenario } from '../config/schema/scenario.ts';
import type { Env } from '../config/substitute.ts';
import type { WellLitConfig, WellLitRun } from '../config/well-lit/index.ts';
import type { loadActuationFile } from '../actuation/config.ts';
import { BenchError } from '../errors/bench-error.ts';
import { ConfigError } from '../errors/config-error.ts';

/** The config a set runs (an llm-d-benchmark config, a harness matrix, an inference-perf config): as read, as prepared, and which. */
export interface SuiteConfig {
  config: WellLitConfig;
  run: WellLitRun;
  /** True when the config is this package's bundled example: it runs on the embedded simulator. */
  bundled: boolean;
}

/** Benchmark scenarios (`bench.run`): a scenario file, a config, or one `defineScenario`. */
export interface BenchmarkSet {
  kind: 'benchmark';
  /** The file as shown in messages, or `defineScenario "<name>"`. */
  source: string;
  file: LoadedScenarioFile;
  /** The environment the scenarios run in (the process's, plus a config's `env` entries). */
  env: Env;
  /** The config the scenarios come from, when they come from one. */
  config: SuiteConfig | null;
  /** Why the set chooses its own target (a `simulator:` section, a config's endpoint), or null when the usual target serves it. */
  ownTarget: string | null;
}

/** An actuation file's scenarios, loaded with the environment's overrides. */
export type ActuationScenarios = ReturnType<typeof loadActuationFile>;

/** Actuation scenarios (`actuation.run`). */
export interface ActuationSet {
  kind: 'actuation';
  source: string;
  file: ActuationScenarios;
  env: Env;
}

/** Scenarios of one file or definition. */
export type ScenarioSet = BenchmarkSet | ActuationSet;

/**
 * One scenario, as a test names it for `bench.run(ref)` or `actuation.run(ref)`: from
 * `loadScenarios(...).scenario(name)` or `defineScenario({...})`.
 */
export interface ScenarioRef {
  /** `benchmark` (run it with `bench.run`) or `actuation` (with `actuation.run`). */
  readonly kind: 'benchmark' | 'actuation';
  /** The scenario's name. */
  readonly name: string;
  /** Where it came from: the file as shown in messages, or `defineScenario "<name>"`. */
  readonly source: string;
  /** A benchmark scenario as it runs (validated, defaults filled in, `BENCH_*` overrides applied); null for an actuation scenario. */
  readonly config: Scenario | null;
}

const sets = new WeakMap<ScenarioRef, ScenarioSet>();

/** Scenario names of a set, in file order. */
export function scenarioNames(set: ScenarioSet): string[] {
  return Object.keys(set.file.config.scenarios);
}

/** The ref of scenario `name` of `set`; an unknown name is a config error listing the known ones. */
export function scenarioRef(set: ScenarioSet, name: string): ScenarioRef {
  const config = set.file.config.scenarios[name];
  if (!config) throw new ConfigError(set.source, 'scenarios', `no scenario "${name}" (scenarios: ${scenarioNames(set).join(', ')})`);
  const ref: ScenarioRef = Object.freeze({ kind: set.kind, name, source: set.source, config: set.kind === 'benchmark' ? (config as Scenario) : null });
  sets.set(ref, set);
  return ref;
}

/** The set of a benchmark ref, for `bench.run`; anything else is one line saying what to pass instead. */
export function benchmarkSetOf(ref: unknown): BenchmarkSet {
  const set = setOf(ref, 'bench.run');
  if (set.kind !== 'benchmark') throw new BenchError('SCENARIO_KIND', `bench.run: scenario "${(ref as ScenarioRef).name}" of ${set.source} is an actuation scenario: run it with actuation.run(ref)`);
  return set;
}

/** The set of an actuation ref, for `actuation.run`; anything else is one line saying what to pass instead. */
export function actuationSetOf(ref: unknown): ActuationSet {
  const set = setOf(ref, 'actuation.run');
  if (set.kind !== 'actuation') throw new BenchError('SCENARIO_KIND', `actuation.run: scenario "${(ref as ScenarioRef).name}" of ${set.source} is a benchmark scenario: run it with bench.run(ref)`);
  return set;
}

function setOf(ref: unknown, caller: string): ScenarioSet {
  const set = typeof ref === 'object' && ref !== null ? sets.get(ref as ScenarioRef) : undefined;
  if (!set) throw new BenchError('SCENARIO_REF', `${caller} takes a scenario from loadScenarios(...).scenario(name) or defineScenario({...}), got ${describe(ref)}`);
  return set;
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : String(value);
  return `an object with keys ${Object.keys(value).join(', ') || '(none)'}`;
}

/**
 * Checks that a test whose `target` was opened for `bound` (null: the `test` of vitest-llm-d) may
 * run a scenario of `set`: a set that chooses its own target runs only on the test bound to it.
 */
export function checkTargetOf(set: BenchmarkSet, bound: BenchmarkSet | null, name: string): void {
  if (set.ownTarget === null || set === bound) return;
  throw new BenchError(
    'SCENARIO_TARGET',
    `bench.run: scenario "${name}" of ${set.source} chooses its own target (${set.ownTarget}): run it in a test of that file's own \`test\` (const s = loadScenarios(...); s.test(...)), not of ${bound ? `the test of ${bound.source}` : "vitest-llm-d's test"}`,
  );
}
