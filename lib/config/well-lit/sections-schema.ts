/**
 * The sections of an llm-d well-lit-path benchmark `config.yaml` around its workloads, as
 * llm-d-benchmark's `existing_stack/run_only.sh` reads them: `endpoint` (the stack),
 * `control` (the machine running the script), `harness` (the load generator's pod) and `env`
 * (variables for the harness). Each schema holds exactly the keys vitest-llm-d translates plus
 * those it accepts without effect (`key-policy.ts`); any other key is named and rejected.
 */
import { z } from 'zod';
import { BaseUrlSchema } from '../schema/target.ts';
import { accepted } from './schema-helpers.ts';
import { MatrixFieldsShape } from './matrix-schema.ts';

/** The stack under test. */
export const EndpointSectionSchema = z
  .strictObject({
    stack_name: z
      .string()
      .min(1)
      .optional()
      .describe('Name of the stack (llm-d-benchmark prefixes results with it): the target name in reports, characters outside letters, digits, ".", "_", "-" replaced.'),
    model: z.string().min(1).optional().describe('Model the stack serves: the model requested (unless a workload server.model_name says the same).'),
    namespace: accepted('endpoint.namespace'),
    base_url: BaseUrlSchema.optional().describe('Base URL of the inference gateway (or a vLLM server): the target, unless BENCH_BASE_URL or BENCH_TARGET replaces it.'),
    hf_token_secret: accepted('endpoint.hf_token_secret'),
    model_pvc: accepted('endpoint.model_pvc'),
  })
  .describe('The llm-d stack to benchmark.');

/** Settings of the machine that ran llm-d-benchmark's script. */
export const ControlSectionSchema = z
  .strictObject({
    work_dir: accepted('control.work_dir'),
    kubectl: accepted('control.kubectl'),
  })
  .describe("Settings of llm-d-benchmark's control script; none changes a measurement.");

/** The load generator. */
export const HarnessSectionSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .describe('Harness whose workload format the file uses: inference-perf (a file of harness-matrix workloads may name any harness).'),
    results_pvc: accepted('harness.results_pvc'),
    namespace: accepted('harness.namespace'),
    parallelism: z
      .number()
      .int()
      .min(1)
      .max(1, { error: 'only 1 is supported (one process sends the whole load)' })
      .default(1)
      .describe('Launcher pods running the workload in parallel; only 1 is supported (this process sends the whole load).'),
    wait_timeout: z
      .number()
      .min(0)
      .optional()
      .describe('Seconds each workload may run before its test fails (0: the default, BENCH_TEST_TIMEOUT_S or 1800). BENCH_TEST_TIMEOUT_S, when set, wins.'),
    image: accepted('harness.image'),
  })
  .describe('The harness (load generator) section.');

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One environment variable for the run. */
export const EnvEntrySchema = z
  .strictObject({
    name: z.string().regex(ENV_NAME, 'expected an environment variable name (letters, digits, _; not starting with a digit)').describe('Variable name.'),
    value: z
      .union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or true/false' })
      .transform(String)
      .optional()
      .describe('Its value (numbers and booleans become strings). Required.'),
  })
  .describe('An environment variable, Kubernetes style ({name, value}).');

/**
 * `env`: variables set in this process's environment for the run (llm-d-benchmark sets them in
 * the harness pod; here this process is the harness). A variable already set keeps its value.
 */
export const EnvSectionSchema = z
  .array(EnvEntrySchema, { error: 'expected a list of {name, value}' })
  .describe('Environment variables for the run; one already set in the environment keeps its value. Reports name each, secret-looking values redacted.');

/** The top level of the file: its keys (each section is checked on its own, so one bad section does not hide another's problems). */
export const WellLitFileSchema = z
  .strictObject({
    endpoint: z.unknown().optional().describe(EndpointSectionSchema.description ?? ''),
    control: z.unknown().optional().describe(ControlSectionSchema.description ?? ''),
    harness: z.unknown().optional().describe(HarnessSectionSchema.description ?? ''),
    env: z.unknown().optional().describe(EnvSectionSchema.description ?? ''),
    workload: z
      .record(z.string(), z.record(z.string(), z.unknown(), { error: 'expected a mapping (one workload)' }), { error: 'expected a mapping of workloads by name' })
      .optional()
      .describe('Workloads by name, run in file order: inference-perf workloads or harness-matrix entries.'),
    // A harness matrix may also be written at the top level, as a file's one workload, named `matrix`.
    ...MatrixFieldsShape,
  })
  .describe('An llm-d well-lit-path benchmark config.yaml.');

/** The sections, each validated on its own. */
export const SECTION_SCHEMAS = {
  endpoint: EndpointSectionSchema,
  control: ControlSectionSchema,
  harness: HarnessSectionSchema,
  env: EnvSectionSchema,
} as const;

/** The parsed sections. */
export interface WellLitSections {
  endpoint?: z.output<typeof EndpointSectionSchema>;
  control?: z.output<typeof ControlSectionSchema>;
  harness?: z.output<typeof HarnessSectionSchema>;
  env?: z.output<typeof EnvSectionSchema>;
}

/** Harness-matrix keys allowed at the top level of a file. */
export const TOP_LEVEL_MATRIX_KEYS = Object.keys(MatrixFieldsShape);
