/**
 * One scenario written in a test (`defineScenario({ name: 'small', ... })`): the keys of one
 * scenario under `scenarios:` in a YAML file, validated at once by the same schema and the same
 * formatter, so a mistake is the same one line
 * (`defineScenario "small": scenarios.small.load.rate: expected a number, got "fast"`), and run
 * as a scenario of a file is: `BENCH_*` overrides applied, `BENCH_RERUN` replacing it with the
 * scenario as recorded.
 */
import type { z } from 'zod';
import { validateConfig } from '../config/format-issues.ts';
import { scenarioFileAsRun } from '../config/resolve-scenarios.ts';
import { ScenarioFileSchema, type ScenarioSchema } from '../config/schema/scenario.ts';
import type { Env } from '../config/substitute.ts';
import { ConfigError } from '../errors/config-error.ts';
import { type BenchmarkSet, type ScenarioRef, scenarioRef } from './scenario-set.ts';

/**
 * A scenario written in TypeScript: its `name` and the keys of one scenario of a YAML scenario
 * file (`load`, `data`, `num_requests`, `slo`, ...), as you would write them in YAML.
 */
export type ScenarioDefinition = { name: string } & z.input<typeof ScenarioSchema>;

/** Validates `definition` (throws the one-line `ConfigError` a YAML file would) and returns its ref for `bench.run`. */
export function defineScenario(definition: ScenarioDefinition, env: Env): ScenarioRef {
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
    throw new ConfigError('defineScenario', '', `expected an object with a name and the keys of a scenario, got ${definition === null ? 'null' : Array.isArray(definition) ? 'an array' : typeof definition}`);
  }
  const { name, ...scenario } = definition;
  if (typeof name !== 'string' || name === '') throw new ConfigError('defineScenario', 'name', `expected the scenario's name (a non-empty string), got ${name === '' ? 'an empty string' : typeof name}`);
  const source = `defineScenario ${JSON.stringify(name)}`;
  const value = validateConfig(ScenarioFileSchema, { scenarios: { [name]: scenario } }, { source });
  const file = { ...scenarioFileAsRun(value, { source, secrets: [], env }), path: '' };
  const set: BenchmarkSet = { kind: 'benchmark', source, file, env, config: null, ownTarget: null };
  return scenarioRef(set, name);
}
