import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

/** The upstream JSON Schema of the llm-d benchmark report v0.2.1 (llm-d-benchmark, kept unchanged in shared/reference). */
export const BR_SCHEMA_PATH = new URL('../../../shared/reference/llm-d-benchmark-report/br_v0_2_1_json_schema.json', import.meta.url);

/**
 * A validator of the upstream schema, returning its errors (none when valid). The schema declares
 * no `$schema`: Ajv's default draft (07, with `$defs`) reads it; `date-time` formats are checked
 * (ajv-formats); `discriminator` is an OpenAPI annotation Ajv does not know, so strict mode is off
 * for it (the `oneOf` beside it does the checking).
 */
export function brValidator(): (report: unknown) => string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(BR_SCHEMA_PATH, 'utf8')));
  return (report) => (validate(report) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
}
