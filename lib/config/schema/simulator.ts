/**
 * The `simulator:` section of a target: settings for the embedded vLLM simulator that fixtures
 * start when that target is selected. The simulator owns the meaning of these settings.
 */
import { z } from 'zod';

/**
 * Settings for the embedded simulator, snake_case as on its command line (`itl_ms`, ...).
 * This schema only requires a mapping; the simulator validates the keys and values when the
 * fixture starts it, and names the bad one. Host, port and the chunk log are chosen by the
 * fixture, not here.
 */
export const SimulatorSectionSchema = z
  .record(z.string(), z.unknown())
  .describe(
    'Settings for the embedded vLLM simulator (snake_case, as its command-line options without the leading dashes). ' +
      'Validated by the simulator when it starts; host, port and chunk log are set by the fixture.',
  );

/** Simulator settings as written under a target's `simulator:`. */
export type SimulatorSection = z.output<typeof SimulatorSectionSchema>;
