/**
 * The actuation suites' scenario file (`suites/actuation/actuation.yaml`): which template, how
 * many replicas and iterations, how long to wait, and per scenario its shape. Strict like every
 * config here: an unknown key names its path. `BENCH_ITERATIONS`, `BENCH_REPLICAS`,
 * `BENCH_WAIT_TIMEOUT_S` and `BENCH_TEMPLATE` override every scenario for one run.
 */
import { z } from 'zod';
import type { ConfigOverride } from '../config/env.ts';
import { loadConfigFile } from '../config/load-file.ts';
import type { Env } from '../config/substitute.ts';
import { settings } from '../settings/registry.ts';

const positiveInt = () => z.number().int().positive();

export const ActuationSloSchema = z
  .strictObject({
    hot_p95_s: z.number().positive().optional().describe('Hot (wake-up) actuation p95 limit, seconds.'),
    warm_p95_s: z.number().positive().optional().describe('Warm (new instance in a launcher) actuation p95 limit, seconds.'),
    cold_p95_s: z.number().positive().optional().describe('Cold (new provider) actuation p95 limit, seconds.'),
    cold_launcher_p95_s: z.number().positive().optional().describe('Cold-with-launcher actuation p95 limit, seconds.'),
    total_p95_s: z.number().positive().optional().describe('Scale request -> Ready p95 limit, seconds.'),
    hit_rate_min: z.number().min(0).max(1).optional().describe('Minimum hot hit rate (hot / N).'),
    ready_rate_min: z.number().min(0).max(1).optional().describe('Minimum share of requesters Ready in time. Default 1.'),
  })
  .describe('SLO limits of an actuation scenario.');

const common = {
  description: z.string().optional(),
  template: z.string().optional().describe('Server-request template, relative to the scenario file. Default: defaults.template.'),
  replicas: positiveInt().optional().describe('Replicas to scale to (N). Default: defaults.replicas.'),
  iterations: positiveInt().optional().describe('Repetitions, each with a fresh workload. Default: defaults.iterations.'),
  matrix_row: z.string().optional().describe('Row of the scenario x path matrix this scenario fills (e.g. "Fast Replica Scale Up").'),
  vars: z.record(z.string(), z.string()).optional().describe('Template variables for this scenario.'),
  slo: ActuationSloSchema.optional(),
};

export const ActuationScenarioSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('baseline'), ...common }).describe('Apply at 0 replicas, scale to N, wait for every duo.'),
  z
    .strictObject({ type: z.literal('scaling'), ...common, pause_s: z.number().nonnegative().default(10).describe('Cluster seconds at 1 replica before scaling up again.') })
    .describe('0 -> N -> 1 -> wait -> N; hit rates counted on the last step only.'),
  z
    .strictObject({ type: z.literal('new_variant'), ...common, models_file: z.string().describe('JSON file {"models": ["org/repo", ...]}, relative to the scenario file.') })
    .describe('For each model, a fresh request from the template with MODEL_REGISTRY/MODEL_REPO substituted, then baseline.'),
  z
    .strictObject({ type: z.literal('wake_cycle'), ...common, cycles: positiveInt().default(1).describe('Times to repeat 0 -> N -> 0 before the counted step.') })
    .describe('Scale 0 -> N -> 0 (servers go to sleep) then 0 -> N again, counted: the hot path when the scheduler returns the same GPUs.'),
]);
export type ActuationScenario = z.output<typeof ActuationScenarioSchema>;

export const ActuationFileSchema = z.strictObject({
  defaults: z
    .strictObject({
      template: z.string().describe('Server-request template, relative to this file.'),
      replicas: positiveInt().default(2),
      iterations: positiveInt().default(1),
      wait_timeout_s: z.number().positive().default(600).describe('Cluster seconds to wait for a step (the LDB default, 600).'),
      first_token: z
        .strictObject({ enabled: z.boolean().default(true), max_tokens: positiveInt().default(16) })
        .default({ enabled: true, max_tokens: 16 })
        .describe('One streamed request through each newly Ready provider.'),
      model: z.string().default('Qwen/Qwen3-0.6B').describe('Model name for the first-token request.'),
      controller: z
        .strictObject({
          namespace: z.string().optional().describe("Namespace of the dual-pods controller's pod. Default: the benchmark's namespace. Env: BENCH_DPC_NAMESPACE."),
          selector: z.string().optional().describe('Label selector of its pod. Default: app.kubernetes.io/component=dual-pods-controller, then app.kubernetes.io/name=dual-pods-controller, then a pod named *dual-pods-controller*.'),
        })
        .default({})
        .describe("Where the dual-pods controller's log is read for the microsecond timings (pods/log)."),
    })
    .describe('Values every scenario inherits.'),
  scenarios: z.record(z.string(), ActuationScenarioSchema),
});
export type ActuationFile = z.output<typeof ActuationFileSchema>;

/** Loads the file and applies the environment's overrides (recorded). */
export function loadActuationFile(file: string, env: Env, cwd = process.cwd()): { config: ActuationFile; source: string; path: string; overrides: ConfigOverride[] } {
  const loaded = loadConfigFile(file, ActuationFileSchema, { env, cwd });
  const config = loaded.value;
  const overrides: ConfigOverride[] = [];
  const s = settings(env);
  const iterations = s.get('BENCH_ITERATIONS');
  const replicas = s.get('BENCH_REPLICAS');
  const wait = s.get('BENCH_WAIT_TIMEOUT_S');
  const controllerNamespace = s.get('BENCH_DPC_NAMESPACE');
  const template = s.get('BENCH_TEMPLATE');
  if (iterations !== undefined) {
    config.defaults.iterations = iterations;
    for (const s of Object.values(config.scenarios)) s.iterations = iterations;
    overrides.push({ path: 'iterations', value: iterations, source: 'env BENCH_ITERATIONS' });
  }
  if (replicas !== undefined) {
    config.defaults.replicas = replicas;
    for (const s of Object.values(config.scenarios)) s.replicas = replicas;
    overrides.push({ path: 'replicas', value: replicas, source: 'env BENCH_REPLICAS' });
  }
  if (wait !== undefined) {
    config.defaults.wait_timeout_s = wait;
    overrides.push({ path: 'defaults.wait_timeout_s', value: wait, source: 'env BENCH_WAIT_TIMEOUT_S' });
  }
  if (controllerNamespace !== undefined) {
    config.defaults.controller.namespace = controllerNamespace;
    overrides.push({ path: 'defaults.controller.namespace', value: controllerNamespace, source: 'env BENCH_DPC_NAMESPACE' });
  }
  if (template !== undefined) {
    config.defaults.template = template;
    for (const sc of Object.values(config.scenarios)) delete sc.template;
    overrides.push({ path: 'template', value: template, source: 'env BENCH_TEMPLATE' });
  }
  return { config, source: loaded.source, path: loaded.path, overrides };
}
