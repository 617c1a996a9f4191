import { z } from 'zod';

/*
 * Zod building blocks for the simulator's options. Each one carries the one-line reason that
 * a CLI flag, a config file or `POST /admin/config` reports when the value is wrong, so every
 * source says the same thing: `sim: --itl-ms: expected a non-negative number, got "abc"`.
 */

const NON_NEGATIVE = 'expected a non-negative number';
const POSITIVE = 'expected a positive number';
const NON_NEGATIVE_INT = 'expected a non-negative integer';
const POSITIVE_INT = 'expected a positive integer';
const PROBABILITY = 'expected a number between 0 and 1';

/** A finite number >= 0 (durations, standard deviations). */
export function nonNegative(): z.ZodNumber {
  return z.number({ error: NON_NEGATIVE }).min(0, { error: NON_NEGATIVE });
}

/** A finite number > 0 (scales, factors). */
export function positive(): z.ZodNumber {
  return z.number({ error: POSITIVE }).gt(0, { error: POSITIVE });
}

/** An integer >= 0 (token counts, seeds). */
export function nonNegativeInt(): z.ZodNumber {
  return z.number({ error: NON_NEGATIVE_INT }).int({ error: NON_NEGATIVE_INT }).min(0, { error: NON_NEGATIVE_INT });
}

/** An integer >= 1 (slots, block sizes). */
export function positiveInt(): z.ZodNumber {
  return z.number({ error: POSITIVE_INT }).int({ error: POSITIVE_INT }).min(1, { error: POSITIVE_INT });
}

/** A probability in [0, 1]. */
export function probability(): z.ZodNumber {
  return z.number({ error: PROBABILITY }).min(0, { error: PROBABILITY }).max(1, { error: PROBABILITY });
}

/** A TCP port, 0 meaning "any free port". */
export function port(): z.ZodNumber {
  const error = 'expected an integer port between 0 and 65535';
  return z.number({ error }).int({ error }).min(0, { error }).max(65535, { error });
}

/** An HTTP error status (400-599). */
export function errorStatus(): z.ZodNumber {
  const error = 'expected HTTP error statuses between 400 and 599';
  return z.number({ error }).int({ error }).min(400, { error }).max(599, { error });
}

/** A non-empty string. */
export function nonEmptyString(): z.ZodString {
  const error = 'expected a non-empty string';
  return z.string({ error }).min(1, { error });
}

/** What kind of value a schema field takes, for coercing CLI strings and printing help. */
export type FieldKind = 'number' | 'boolean' | 'string' | 'enum' | 'number[]' | 'string[]' | 'object';

/** Kind, default and description of one schema field, read from the zod definition. */
export interface FieldInfo {
  /** Value kind after unwrapping optional/default/nullable. */
  kind: FieldKind;
  /** `true` when `null` is accepted (e.g. `chunk_log`). */
  nullable: boolean;
  /** The `.describe()` text. */
  description: string;
  /** Allowed values of an enum field. */
  values?: readonly string[];
  /** The nested shape of an object field. */
  shape?: Record<string, z.ZodType>;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  entries?: Record<string, string>;
  shape?: Record<string, z.ZodType>;
  in?: z.ZodType;
}

/** Reads what the CLI parser and the help printer need from a field of a zod object. */
export function fieldInfo(schema: z.ZodType): FieldInfo {
  const description = schema.description ?? '';
  let nullable = false;
  let s = schema;
  for (;;) {
    const def = s.def as unknown as Def;
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') && def.innerType) {
      if (def.type === 'nullable') nullable = true;
      s = def.innerType;
      continue;
    }
    if (def.type === 'pipe' && def.in) {
      s = def.in;
      continue;
    }
    if (def.type === 'array' && def.element) {
      const el = (def.element.def as unknown as Def).type;
      return { kind: el === 'number' ? 'number[]' : 'string[]', nullable, description };
    }
    if (def.type === 'enum') return { kind: 'enum', nullable, description, values: Object.values(def.entries ?? {}) };
    if (def.type === 'object') return { kind: 'object', nullable, description, shape: def.shape ?? {} };
    if (def.type === 'number' || def.type === 'boolean') return { kind: def.type, nullable, description };
    return { kind: 'string', nullable, description };
  }
}
