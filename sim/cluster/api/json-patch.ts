import { StoreError } from '../store-types.ts';
import { badRequest } from './errors.ts';

/**
 * JSON Patch (RFC 6902) over JSON values, with JSON Pointers (RFC 6901). Operations apply in
 * order to a copy; the first failing one aborts the whole patch with a 422, as the API server
 * answers (`the server rejected our request due to an error in our request`).
 */

/** One operation of a JSON patch document. */
export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

type Container = Record<string, unknown> | unknown[];

function failed(message: string): StoreError {
  return new StoreError(422, 'Invalid', message);
}

/** Splits a JSON pointer into unescaped reference tokens (`/a~1b/~0c` → `['a/b', '~c']`). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw failed(`invalid JSON pointer "${pointer}": must be empty or start with '/'`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isContainer(v: unknown): v is Container {
  return v !== null && typeof v === 'object';
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean, pointer: string): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw failed(`invalid array index "${token}" in "${pointer}"`);
  const i = Number(token);
  if (forAdd ? i > arr.length : i >= arr.length) throw failed(`array index ${i} out of bounds in "${pointer}"`);
  return i;
}

/** The parent container of `pointer` and the last token; throws when the parent is missing. */
function locate(doc: unknown, pointer: string): { parent: Container; key: string } {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw failed(`operation on the document root is not supported ("${pointer}")`);
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, pointer)];
    else if (isContainer(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = (cur as Record<string, unknown>)[t];
    else throw failed(`doc is missing path: "${pointer}"`);
  }
  if (!isContainer(cur)) throw failed(`doc is missing path: "${pointer}"`);
  return { parent: cur, key: tokens[tokens.length - 1] as string };
}

function getAt(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const t of parsePointer(pointer)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, pointer)];
    else if (isContainer(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = (cur as Record<string, unknown>)[t];
    else throw failed(`doc is missing path: "${pointer}"`);
  }
  return cur;
}

function add(doc: unknown, pointer: string, value: unknown): void {
  const { parent, key } = locate(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, pointer), 0, value);
  else parent[key] = value;
}

function remove(doc: unknown, pointer: string): unknown {
  const { parent, key } = locate(doc, pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false, pointer), 1)[0];
  if (!Object.prototype.hasOwnProperty.call(parent, key)) throw failed(`remove operation does not apply: doc is missing path: "${pointer}"`);
  const old = parent[key];
  delete parent[key];
  return old;
}

function replace(doc: unknown, pointer: string, value: unknown): void {
  const { parent, key } = locate(doc, pointer);
  if (Array.isArray(parent)) parent[arrayIndex(parent, key, false, pointer)] = value;
  else if (!Object.prototype.hasOwnProperty.call(parent, key)) throw failed(`replace operation does not apply: doc is missing key: "${pointer}"`);
  else parent[key] = value;
}

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (!isContainer(a) || !isContainer(b) || Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Checks that `patch` is a JSON patch document; throws a 400 otherwise. */
export function asJsonPatch(patch: unknown): JsonPatchOp[] {
  if (!Array.isArray(patch)) throw badRequest('json patch must be an array of operations');
  patch.forEach((op: unknown, i) => {
    const o = op as Partial<JsonPatchOp> | null;
    if (!o || typeof o !== 'object' || typeof o.path !== 'string' || !['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(String(o.op))) {
      throw badRequest(`json patch operation ${i}: expected {"op": add|remove|replace|move|copy|test, "path": "/..."}`);
    }
    if ((o.op === 'move' || o.op === 'copy') && typeof o.from !== 'string') throw badRequest(`json patch operation ${i}: "${o.op}" needs "from"`);
    if ((o.op === 'add' || o.op === 'replace' || o.op === 'test') && !('value' in o)) throw badRequest(`json patch operation ${i}: "${o.op}" needs "value"`);
  });
  return patch as JsonPatchOp[];
}

/** Applies a JSON patch to a deep copy of `doc` and returns the copy. */
export function applyJsonPatch<T>(doc: T, patch: unknown): T {
  const ops = asJsonPatch(patch);
  const out = structuredClone(doc);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        add(out, op.path, structuredClone(op.value));
        break;
      case 'remove':
        remove(out, op.path);
        break;
      case 'replace':
        replace(out, op.path, structuredClone(op.value));
        break;
      case 'move': {
        const from = op.from as string;
        if (op.path.startsWith(`${from}/`)) throw failed(`cannot move "${from}" into its own child "${op.path}"`);
        add(out, op.path, remove(out, from));
        break;
      }
      case 'copy':
        add(out, op.path, structuredClone(getAt(out, op.from as string)));
        break;
      case 'test':
        if (!jsonEqual(getAt(out, op.path), op.value)) throw failed(`testing value ${op.path} failed: expected ${JSON.stringify(op.value)}`);
        break;
    }
  }
  return out;
}
