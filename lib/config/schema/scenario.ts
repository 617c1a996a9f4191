/**
 * Scenario files (`suites/<suite>/<suite>.yaml`): named scenarios, each a load shape, a data
 * source, a request count and the SLO it must meet, plus the file's own SLO profiles.
 */
import { z } from 'zod';
import { didYouMean } from '../closest-name.ts';
import { DataSchema } from './data.ts';
import { LoadSchema } from './load.ts';
import { SLO_PRESET_NAMES, SloProfileDefSchema, SloSpecSchema } from './slo.ts';
import { ApiSchema, NAME_PATTERN } from './target.ts';
import { TimeoutOverridesSchema } from './timeouts.ts';

/** One scenario: what to send, how fast, how many, and what it must meet. */
export const ScenarioSchema = z
  .strictObject({
    description: z.string().optional().describe('What the scenario measures, shown in reports.'),
    api: ApiSchema.optional().describe("OpenAI API to use: completions or chat (default: the target's api)."),
    stream: z.boolean().default(true).describe('Stream responses (default true); TTFT, TPOT and ITL need streaming.'),
    num_requests: z
      .number()
      .int()
      .min(1)
      .describe('Measured requests (integer >= 1), sent after the warm-up. Override with BENCH_NUM_REQUESTS.'),
    warmup_requests: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'Requests sent first and excluded from statistics and the measurement window (integer >= 0, default 0). Override with BENCH_WARMUP_REQUESTS.',
      ),
    load: LoadSchema,
    data: DataSchema,
    slo: SloSpecSchema.optional(),
    timeouts: TimeoutOverridesSchema.optional().describe(
      "Per-request time limits in seconds for this scenario; unset fields keep the target's or the defaults.",
    ),
  })
  .describe('One benchmark scenario.');

/** One scenario, defaults filled in. */
export type Scenario = z.output<typeof ScenarioSchema>;

/** A scenario file: at least one named scenario, and optional custom SLO profiles. */
export const ScenarioFileSchema = z
  .strictObject({
    scenarios: z
      .record(z.string().regex(NAME_PATTERN, 'scenario names must contain only letters, digits, ".", "_" and "-"'), ScenarioSchema)
      .describe('Scenarios by name (letters, digits, ".", "_", "-"); suites run them by name.'),
    slo_profiles: z
      .record(z.string().regex(NAME_PATTERN, 'profile names must contain only letters, digits, ".", "_" and "-"'), SloProfileDefSchema)
      .optional()
      .describe("Custom SLO profiles by name, usable as a scenario's slo.profile. Preset names cannot be reused."),
  })
  .superRefine((file, ctx) => {
    if (Object.keys(file.scenarios).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['scenarios'], message: 'expected at least one scenario' });
    }
    const custom = Object.keys(file.slo_profiles ?? {});
    const presets: readonly string[] = SLO_PRESET_NAMES;
    for (const name of custom) {
      if (presets.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['slo_profiles', name],
          message: `"${name}" is a preset name; give the custom profile another name`,
        });
      }
    }
    for (const [name, scenario] of Object.entries(file.scenarios)) {
      const profile = scenario.slo?.profile;
      if (profile === undefined || presets.includes(profile) || custom.includes(profile)) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['scenarios', name, 'slo', 'profile'],
        message:
          `unknown SLO profile "${profile}"${didYouMean(profile, [...custom, ...presets])}; ` +
          `use a preset (${presets.join(', ')})${custom.length > 0 ? ` or one of slo_profiles (${custom.join(', ')})` : ' or define it under slo_profiles'}`,
      });
    }
  })
  .describe('A scenario file: scenarios by name and optional custom SLO profiles.');

/** A validated scenario file. */
export type ScenarioFile = z.output<typeof ScenarioFileSchema>;
