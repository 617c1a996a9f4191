/**
 * vitest-llm-d: benchmark suites for LLM inference stacks, written as Vitest tests.
 *
 * ```ts
 * import { describe } from 'vitest';
 * import { defineScenario, expect, loadScenarios, test } from 'vitest-llm-d';
 *
 * const scenarios = loadScenarios(import.meta.url); // my.test.ts -> my.yaml beside it
 * const small = defineScenario({ name: 'small', num_requests: 20, load: { type: 'concurrency', concurrency: 2 }, data: { type: 'synthetic', prompt_tokens: [64], max_tokens: [16] } });
 *
 * describe('my stack', () => {
 *   test('from YAML', async ({ bench }) => expect(await bench.run(scenarios.scenario('quick'))).toMeetSLO());
 *   test('written here', async ({ bench }) => expect(await bench.run(small)).toMeetSLO('mlperf-standard'));
 * });
 * ```
 *
 * Run with `defineConfig({ plugins: [llmd()] })` from `vitest-llm-d/config`, which adds the
 * reporters (terminal tables, `results/<stamp>-<suite>/` with summary.json, junit.xml,
 * report.html) and runs the benchmark files one at a time.
 */
export { defineScenario, loadScenarios, test, type LlmdTest, type Scenarios } from '../fixtures/scenarios.ts';
export type { ScenarioRef } from '../lib/scenario/scenario-set.ts';
export type { ScenarioDefinition } from '../lib/scenario/define-scenario.ts';
export type { Bench } from '../fixtures/bench.ts';
export type { Actuation } from '../fixtures/actuation.ts';
export type { WorkerTarget as Target } from '../lib/scenario/suite-target.ts';
export type { ServingDuo } from '../lib/actuation/serving-duo.ts';
export type { ClusterConnection } from '../lib/k8s/connect.ts';
export type { BenchResult, SloSpec } from '../lib/scenario/bench-result.ts';
export type { ActuationResult, ActuationSlo } from '../lib/actuation/result.ts';
export type { TestReport } from '../lib/report/model.ts';
export type { ActuationReport } from '../lib/actuation/report.ts';
export type { Scenario } from '../lib/config/schema/scenario.ts';
export type { LlmdMatchers, LlmdTaskMeta } from '../lib/vitest/meta.ts';
export { measurePrefixCache, type PrefixCacheOptions, type PrefixCacheOutcome } from '../lib/server-metrics/measure.ts';

/**
 * Vitest's `expect`, with `toMeetSLO(spec?)` and `toNotRegress()`, typed by the module
 * augmentation of `LlmdMatchers` that comes with these declarations.
 */
export { expect } from 'vitest';
