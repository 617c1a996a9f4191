/**
 * Strategic merge patch of a Pod (protocol section 2.1, step 3: the controller applies the
 * rendered `server-patch` with `strategicpatch.StrategicMergePatch(base, patch, &corev1.Pod{})`).
 *
 * Semantics implemented, as in `k8s.io/apimachinery/pkg/util/strategicpatch`:
 * - maps merge recursively; a `null` value deletes the key (`"app": null` takes a label away);
 * - lists with a merge key ({@link POD_SCHEMA}: containers by `name`, env by `name`, ports by
 *   `containerPort`, volumeMounts by `mountPath`, ...) merge element-wise: a patch element with a
 *   known key is merged into the original element in place, a new one is appended;
 * - lists without a merge key (`args`, `command`, `tolerations`) are replaced; `finalizers` are a
 *   set union;
 * - directives `$patch: replace` (map or list), `$patch: delete` (map or list element),
 *   `$retainKeys` and `$deleteFromPrimitiveList/<field>`; `$setElementOrder/<field>` is accepted
 *   and ignored (it only orders, and the nominal hash is computed over a key-sorted form anyway).
 */
import { POD_SCHEMA, type SchemaNode } from './pod-schema.ts';

type JsonMap = Record<string, unknown>;
const DELETE = Symbol('delete');

/** A patch that cannot be applied (Go: "failed to apply server patch: ..."). */
export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

function isMap(v: unknown): v is JsonMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isDirectiveKey(k: string): boolean {
  return k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/');
}

function mergeMap(original: JsonMap, patch: JsonMap, schema: SchemaNode): JsonMap | typeof DELETE {
  const directive = patch.$patch;
  if (directive === 'delete') return DELETE;
  if (directive === 'replace') return mergeMap({}, Object.fromEntries(Object.entries(patch).filter(([k]) => k !== '$patch')), schema);
  if (directive !== undefined && directive !== 'merge') throw new PatchError(`unknown patch type: ${String(directive)}`);
  const result: JsonMap = structuredClone(original);
  for (const [key, value] of Object.entries(patch)) {
    if (isDirectiveKey(key)) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const sub = schema.fields?.[key] ?? {};
    const current = result[key];
    if (isMap(value)) {
      const merged = mergeMap(isMap(current) ? current : {}, value, sub);
      if (merged === DELETE) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(Array.isArray(current) ? current : [], value, sub);
    } else {
      result[key] = value;
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith('$deleteFromPrimitiveList/')) continue;
    const field = key.slice('$deleteFromPrimitiveList/'.length);
    const list = result[field];
    if (Array.isArray(list) && Array.isArray(value)) result[field] = list.filter((v) => !value.includes(v));
  }
  const retain = patch.$retainKeys;
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new PatchError('$retainKeys must be a list');
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  return result;
}

function mergeList(original: unknown[], patch: unknown[], schema: SchemaNode): unknown[] {
  const elem = schema.elem ?? {};
  const key = schema.mergeKey;
  if (key) {
    const replace = patch.some((el) => isMap(el) && el.$patch === 'replace');
    const result: unknown[] = replace ? [] : structuredClone(original);
    for (const el of patch) {
      if (!isMap(el)) throw new PatchError(`list element is not an object where merge key "${key}" is expected`);
      if (el.$patch === 'replace') continue;
      const idx = result.findIndex((o) => isMap(o) && o[key] === el[key]);
      if (el.$patch === 'delete') {
        if (idx >= 0) result.splice(idx, 1);
        continue;
      }
      if (el[key] === undefined) throw new PatchError(`map: ${JSON.stringify(el)} does not contain declared merge key: ${key}`);
      const merged = mergeMap(idx >= 0 ? (result[idx] as JsonMap) : {}, el, elem);
      if (merged === DELETE) {
        if (idx >= 0) result.splice(idx, 1);
      } else if (idx >= 0) result[idx] = merged;
      else result.push(merged);
    }
    return result;
  }
  if (schema.primitiveMerge) {
    const result = [...original];
    for (const v of patch) if (!result.includes(v)) result.push(v);
    return result;
  }
  return patch.map((el) => (isMap(el) ? strip(el, elem) : el));
}

/** A patch value without directives or null members (how it lands when there is no original). */
function strip(value: JsonMap, schema: SchemaNode): JsonMap {
  const merged = mergeMap({}, value, schema);
  return merged === DELETE ? {} : merged;
}

/**
 * Applies a strategic merge patch to a Pod-shaped JSON object and returns the new object (the
 * input is not modified). A `null` or empty patch returns a copy of the original.
 */
export function strategicMergePod(original: JsonMap, patch: unknown, schema: SchemaNode = POD_SCHEMA): JsonMap {
  if (patch === null || patch === undefined) return structuredClone(original);
  if (!isMap(patch)) throw new PatchError(`the patch is a ${Array.isArray(patch) ? 'list' : typeof patch}, not a map`);
  const merged = mergeMap(original, patch, schema);
  if (merged === DELETE) throw new PatchError('the patch deletes the whole object');
  return merged;
}
