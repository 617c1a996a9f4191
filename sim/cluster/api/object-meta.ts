import type { KObject } from '../store-types.ts';
import { jsonEqual } from './json-patch.ts';

/**
 * Small pure helpers over object metadata shared by the store, the garbage collector and the
 * controllers.
 */

/** Alphabet of generated name suffixes (Kubernetes' `utilrand`: no vowels, no 0/1/3, so no words). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** `n` random characters from the Kubernetes name-suffix alphabet. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return s;
}

/** `generateName` plus a 5-character suffix, the prefix cut to keep the name within 63 characters. */
export function generatedName(generateName: string): string {
  return `${generateName.slice(0, 58)}${randomSuffix(5)}`;
}

/** Drops empty `labels`, `annotations`, `finalizers` and `ownerReferences`, which the API omits. */
export function normalizeMeta(o: KObject): void {
  const m = o.metadata;
  for (const key of ['labels', 'annotations'] as const) {
    const v = m[key];
    if (v !== undefined && (v === null || Object.keys(v).length === 0)) delete m[key];
  }
  for (const key of ['finalizers', 'ownerReferences'] as const) {
    const v = m[key];
    if (v !== undefined && (v === null || v.length === 0)) delete m[key];
  }
}

/** Whether anything besides `metadata` and `status` differs: the changes that bump `metadata.generation`. */
export function specChanged(a: KObject, b: KObject): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (k === 'metadata' || k === 'status' || k === 'apiVersion' || k === 'kind') continue;
    if (!jsonEqual(a[k], b[k])) return true;
  }
  return false;
}

/** The controller reference (`controller: true`) of an object, if any. */
export function controllerRef(o: KObject): NonNullable<KObject['metadata']['ownerReferences']>[number] | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** Whether `o` is being deleted (has a deletionTimestamp). */
export function isTerminating(o: KObject): boolean {
  return Boolean(o.metadata.deletionTimestamp);
}
