import type { z } from 'zod';
import { describe, expect, test } from 'vitest';
import { DATA_TYPES } from '../../lib/config/schema/data.ts';
import { LOAD_TYPES } from '../../lib/config/schema/load.ts';
import { ScenarioFileSchema } from '../../lib/config/schema/scenario.ts';
import { SLO_PRESET_NAMES } from '../../lib/config/schema/slo.ts';
import { TargetsFileSchema } from '../../lib/config/schema/targets-file.ts';
import { DATA_SOURCE_TYPES } from '../../lib/data/registry.ts';
import { SCHEDULES } from '../../lib/load/registry.ts';
import { SLO_PRESETS } from '../../lib/slo/profile.ts';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
}

const def = (schema: z.ZodType): Def => schema.def as unknown as Def;

/** The schema under optional/default/pipe wrappers, with whether any layer had a description. */
function unwrap(schema: z.ZodType): { core: z.ZodType; described: boolean } {
  let described = Boolean(schema.description);
  let s = schema;
  for (;;) {
    const d = def(s);
    const next = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!next) return { core: s, described };
    s = next;
    described ||= Boolean(s.description);
  }
}

/** Paths of object fields without a `.describe()` anywhere in their wrapper chain. */
function undescribedFields(schema: z.ZodType, path: string, out: string[], seen = new Set<z.ZodType>()): string[] {
  const { core } = unwrap(schema);
  if (seen.has(core)) return out;
  seen.add(core);
  const d = def(core);
  if (d.type === 'object') {
    for (const [key, field] of Object.entries(d.shape ?? {})) {
      if (!unwrap(field).described) out.push(`${path}.${key}`);
      undescribedFields(field, `${path}.${key}`, out, seen);
    }
  } else if (d.type === 'array' && d.element) undescribedFields(d.element, `${path}[]`, out, seen);
  else if (d.type === 'record' && d.valueType) undescribedFields(d.valueType, `${path}.*`, out, seen);
  else if (d.type === 'union') for (const option of d.options ?? []) undescribedFields(option, path, out, seen);
  return out;
}

describe('every config field is documented', () => {
  test.each([
    ['targets file', TargetsFileSchema],
    ['scenario file', ScenarioFileSchema],
  ] as const)('%s: every field has a description', (_name, schema) => {
    const missing = undescribedFields(schema, '', []);
    expect(missing).toEqual([]);
  });

  test('the walker does find an undescribed field', async () => {
    const { z } = await import('zod');
    const sample = z.strictObject({ ok: z.number().describe('yes'), nested: z.strictObject({ bare: z.string() }).describe('n') });
    expect(undescribedFields(sample, '', [])).toEqual(['.nested.bare']);
  });
});

describe('config literals match the registries that use them', () => {
  test('load types are the schedule registry keys', () => {
    expect([...LOAD_TYPES].sort()).toEqual(Object.keys(SCHEDULES).sort());
  });

  test('data types are the data-source registry keys', () => {
    expect([...DATA_TYPES].sort()).toEqual([...DATA_SOURCE_TYPES].sort());
  });

  test('SLO preset names are the presets lib/slo defines', () => {
    expect([...SLO_PRESET_NAMES].sort()).toEqual(Object.keys(SLO_PRESETS).sort());
  });
});
