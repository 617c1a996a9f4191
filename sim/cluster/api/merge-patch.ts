import { badRequest } from './errors.ts';

/**
 * JSON merge patch (RFC 7386) and Kubernetes' strategic merge patch for the built-in types.
 *
 * Strategic merge patch is merge patch, except that the lists Kubernetes declares with
 * `patchStrategy: merge` merge element by element on their merge key (containers, env and volumes
 * by `name`, conditions by `type`, ...), `finalizers` merges as a set, and the directives
 * `$patch: replace|delete` and `$deleteFromPrimitiveList/<field>` are honoured. `$retainKeys` and
 * `$setElementOrder/<field>` are accepted and ignored (order is: existing elements first, new ones
 * appended, as the server produces when no order is requested).
 */

type Json = unknown;
type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. Inputs are not modified. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/** Merge keys of the built-in lists with `patchStrategy: merge`, by field name. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  resourceClaims: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  conditions: 'type',
  addresses: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  podIPs: 'ip',
  topologySpreadConstraints: 'topologyKey',
};

/** Lists of scalars that merge as sets. */
const SET_LISTS = new Set(['finalizers']);

/** The merge key of list `field` given its elements (`ports` is `containerPort` in a container, `port` in a Service). */
function mergeKeyFor(field: string, elements: readonly unknown[]): string | undefined {
  if (field === 'ports') return elements.some((e) => isObject(e) && 'containerPort' in e) ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

/** Removes `$`-directives left in newly added content. */
function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((e) => !(isObject(e) && e.$patch !== undefined && Object.keys(e).length === 1)).map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) if (!k.startsWith('$') && val !== null) out[k] = stripDirectives(val);
  return out;
}

function mergeKeyedList(field: string, target: unknown[], patch: unknown[]): unknown[] {
  if (patch.some((e) => isObject(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isObject(e) && e.$patch === 'replace')).map(stripDirectives);
  }
  const key = mergeKeyFor(field, [...target, ...patch]);
  if (!key) return structuredClone(patch);
  const out = target.map((e) => structuredClone(e));
  for (const p of patch) {
    if (!isObject(p)) {
      throw badRequest(`strategic merge patch: ${field}: expected objects with merge key "${key}", got ${JSON.stringify(p)}`);
    }
    if (p[key] === undefined) throw badRequest(`strategic merge patch: ${field}: element ${JSON.stringify(p)} has no merge key "${key}"`);
    const idx = out.findIndex((e) => isObject(e) && e[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) {
      out[idx] = applyStrategicMergePatch(out[idx], p);
    } else {
      out.push(stripDirectives(p));
    }
  }
  return out;
}

function mergeSetList(target: unknown[], patch: unknown[]): unknown[] {
  const out = [...target];
  for (const v of patch) if (!out.some((e) => e === v)) out.push(v);
  return out;
}

/** Applies a strategic merge patch to `target` (not modified) and returns the result. */
export function applyStrategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch !== undefined) throw badRequest(`strategic merge patch: unknown $patch directive ${JSON.stringify(patch.$patch)}`);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const deletions: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      deletions.push([key.slice('$deleteFromPrimitiveList/'.length), value]);
      continue;
    }
    if (key.startsWith('$')) continue; // $retainKeys, $setElementOrder/...: accepted, not needed here
    const cur = out[key];
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value) && SET_LISTS.has(key)) {
      out[key] = mergeSetList(Array.isArray(cur) ? cur : [], value);
    } else if (Array.isArray(value) && (MERGE_KEYS[key] !== undefined || key === 'ports')) {
      out[key] = mergeKeyedList(key, Array.isArray(cur) ? cur : [], value);
    } else if (isObject(value)) {
      const merged = applyStrategicMergePatch(cur, value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = stripDirectives(structuredClone(value));
    }
  }
  for (const [field, values] of deletions) {
    if (!Array.isArray(values)) throw badRequest(`strategic merge patch: $deleteFromPrimitiveList/${field} must be a list`);
    const cur = out[field];
    if (Array.isArray(cur)) out[field] = cur.filter((v) => !values.includes(v));
  }
  return out;
}
