/**
 * The sections of an llm-d well-lit-path benchmark `config.yaml` around its workloads, as
 * llm-d-benchmark's `existing_stack/run_only.sh` reads them: `endpoint` (the stack),
 * `control` (the machine running the script), `harness` (the load generator's pod), `env`
 * (variables for the harness), `description` (text and keywords for the results) and `hooks`
 * (shell commands run before and after each workload). Each schema holds exactly the keys vitest-llm-d translates plus
 * those it accepts without effect (`key-policy.ts`); any other key is named and rejected.
 */
import { z } from 'zod';
import { BaseUrlSchema } from '../schema/target.ts';
import { accepted } from './schema-helpers.ts';
import { IP_PARTS } from './key-policy.ts';
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
 * `env`: variables of the run's environment (llm-d-benchmark sets them in
 * the harness pod; here this process is the harness). A variable already set keeps its value.
 */
export const EnvSectionSchema = z
  .array(EnvEntrySchema, { error: 'expected a list of {name, value}' })
  .describe('Environment variables for the run; one already set in the environment keeps its value. Reports name each, secret-looking values redacted.');

/** A text value: YAML may read `text: 2026` or `- true` as a number or boolean; it is the text as written. */
const textValue = z.union([z.string(), z.number(), z.boolean()], { error: 'expected text' }).transform(String);

/** Keywords as llm-d-benchmark records them: joined with commas, split again, trimmed, empty ones dropped. */
function keywordsOf(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((k) => k.trim()).filter((k) => k !== '');
}

/** The description of a run, as every report records it. */
export interface RunDescriptionSection {
  /** The free text, trimmed; null when none was given. */
  text: string | null;
  keywords: string[];
}

/**
 * `description`: metadata identifying the results (llm-d-benchmark passes it to the harness as
 * LLMDBENCH_DESCRIPTION_TEXT and LLMDBENCH_DESCRIPTION_KEYWORDS, and its benchmark report records
 * it as run.description and run.keywords). `keywords` may also be one comma-separated string, as
 * those variables carry it; a plain string for the whole section is the text (llm-d-benchmark's
 * `.description.text` reads nothing from it; here it is not lost). `null` anywhere: not set.
 */
export const DescriptionSectionSchema = z
  .preprocess(
    (v) => (typeof v === 'string' ? { text: v } : (v ?? {})),
    z.strictObject(
      {
        text: textValue.nullish().describe('Free-text description of the experiment.'),
        keywords: z
          .union([z.array(textValue, { error: 'expected a list of keywords' }), textValue.transform((k) => [k])], { error: 'expected a list of keywords' })
          .nullish()
          .describe('Tags for filtering results (a list, or one comma-separated string).'),
      },
      { error: 'expected a mapping with text and keywords (or one string: the text)' },
    ),
  )
  .transform((d): RunDescriptionSection => ({ text: d.text?.trim() || null, keywords: keywordsOf(d.keywords ?? []) }))
  .describe('Metadata identifying the results: put into every report (summary.json, junit.xml, report.html, the llm-d benchmark reports, the terminal).');

/** A shell command; an empty one is no command (llm-d-benchmark runs a hook only when its text is non-empty). */
const hookCommand = z
  .string({ error: 'expected a shell command (a string)' })
  .nullish()
  .transform((c) => (c && c.trim() !== '' ? c : null));

/**
 * `hooks`: shell commands run with `bash -c` before and after each workload (llm-d-benchmark runs
 * them on the harness pod; here this process is the harness, so they run on this machine).
 */
export const HooksSectionSchema = z
  .preprocess(
    (v) => v ?? {},
    z.strictObject(
    {
      pre_workload: hookCommand.describe('Run before each workload; when it fails, the workload is not run and its test fails.'),
      post_workload: hookCommand.describe("Run after each workload, also when its test failed; when it fails, the workload's test fails (its results are kept)."),
    },
    { error: 'expected a mapping with pre_workload and post_workload' },
    ),
  )
  .describe('Shell commands (bash -c) run on this machine before and after each workload; their output is kept in the run folder, hooks/.');

/** The top level of the file: its keys (each section is checked on its own, so one bad section does not hide another's problems). */
export const WellLitFileSchema = z
  .strictObject({
    endpoint: z.unknown().optional().describe(EndpointSectionSchema.description ?? ''),
    control: z.unknown().optional().describe(ControlSectionSchema.description ?? ''),
    harness: z.unknown().optional().describe(HarnessSectionSchema.description ?? ''),
    env: z.unknown().optional().describe(EnvSectionSchema.description ?? ''),
    description: z.unknown().optional().describe(DescriptionSectionSchema.description ?? ''),
    hooks: z.unknown().optional().describe(HooksSectionSchema.description ?? ''),
    workload: z
      .record(z.string(), z.record(z.string(), z.unknown(), { error: 'expected a mapping (one workload)' }), { error: 'expected a mapping of workloads by name' })
      .optional()
      .describe('Workloads by name, run in file order: inference-perf workloads or harness-matrix entries.'),
    // A harness matrix may also be written at the top level, as a file's one workload, named `matrix`.
    ...MatrixFieldsShape,
    // So may one inference-perf workload: inference-perf's own config file, named after the file.
    ...Object.fromEntries(IP_PARTS.map((k) => [k, z.unknown().optional().describe(`inference-perf's ${k} section, in an inference-perf config file (one workload).`)])),
  })
  .describe('An llm-d well-lit-path benchmark config.yaml.');

/** The sections, each validated on its own. */
export const SECTION_SCHEMAS = {
  endpoint: EndpointSectionSchema,
  control: ControlSectionSchema,
  harness: HarnessSectionSchema,
  env: EnvSectionSchema,
  description: DescriptionSectionSchema,
  hooks: HooksSectionSchema,
} as const;

/** The parsed sections. */
export interface WellLitSections {
  endpoint?: z.output<typeof EndpointSectionSchema>;
  control?: z.output<typeof ControlSectionSchema>;
  harness?: z.output<typeof HarnessSectionSchema>;
  env?: z.output<typeof EnvSectionSchema>;
  description?: z.output<typeof DescriptionSectionSchema>;
  hooks?: z.output<typeof HooksSectionSchema>;
}

/** Harness-matrix keys allowed at the top level of a file. */
export const TOP_LEVEL_MATRIX_KEYS = Object.keys(MatrixFieldsShape);
