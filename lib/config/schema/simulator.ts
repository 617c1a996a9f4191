/**
 * The `simulator:` section of a target: settings for the embedded vLLM simulator that fixtures
 * start when that target is selected. The fields are the simulator's own options
 * (`sim-options.ts`, snake_case as on its command line), all optional and without
 * defaults here, so the section records only what the user set and the simulator fills in the
 * rest. `host`, `port` and `chunk_log` are left out: the fixture chooses them.
 */
import { z } from 'zod';
import { SimOptionsBaseSchema } from './sim-options.ts';

/** Simulator options a target cannot set, because the fixture controls them (rejected below with a reason). */
const FIXTURE_OWNED = { host: true, port: true, chunk_log: true } as const;

/**
 * A field without its `.default()`/`.prefault()`, made optional, keeping its description, so
 * parsing `{}` gives `{}` rather than every default.
 */
function optionalWithoutDefault(field: z.ZodType): z.ZodType {
  let inner: z.ZodType = field;
  for (;;) {
    const def = inner.def as { type: string; innerType?: z.ZodType };
    if ((def.type === 'default' || def.type === 'prefault' || def.type === 'optional') && def.innerType) {
      inner = def.innerType;
    } else break;
  }
  const optional = inner.optional();
  return field.description ? optional.describe(field.description) : optional;
}

const shape = SimOptionsBaseSchema.omit(FIXTURE_OWNED).shape;

/** Rejects a fixture-owned option with a reason rather than a bare "unknown key". */
const fixtureOwned = (what: string) =>
  z
    .never({ error: `the fixture chooses the simulator's ${what}; remove it here` })
    .optional()
    .describe(`Not settable here: the fixture chooses the ${what}.`);

/** Settings of the embedded simulator as written under a target's `simulator:`. */
export const SimulatorSectionSchema = z
  .strictObject(
    {
      ...(Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, optionalWithoutDefault(field)])) as {
        [K in keyof typeof shape]: z.ZodOptional<z.ZodType<NonNullable<z.output<(typeof shape)[K]>>>>;
      }),
      host: fixtureOwned('listen address'),
      port: fixtureOwned('port'),
      chunk_log: fixtureOwned('chunk log file'),
    },
  )
  .describe(
    'Settings for the embedded vLLM simulator (its options in snake_case, e.g. profile, itl_ms, max_num_seqs, faults); ' +
      'unset ones keep the simulator defaults. Host, port and chunk log are chosen by the fixture.',
  );

/** Simulator settings as written under a target's `simulator:` (only what was set). */
export type SimulatorSection = z.output<typeof SimulatorSectionSchema>;
