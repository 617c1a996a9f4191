/**
 * Byte-stable serialisation and the hash encodings the controller uses for its identities
 * (protocol section 2.4): the nominal hash of a direct provider, the launcher-config hash and
 * the instance ID.
 *
 * The Go controller hashes the JSON that `strategicpatch.StrategicMergePatch` returns, which is
 * `json.Marshal` of a `map[string]interface{}`: compact, object keys sorted, and `<`, `>`, `&`,
 * U+2028 and U+2029 escaped as `\u003c` etc. {@link goJson} writes that form, so equal pods hash
 * equally whatever order their fields were written in.
 */
import { createHash } from 'node:crypto';

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

/**
 * Go's `json.Marshal` of a decoded JSON value: compact, map keys sorted by byte order, HTML
 * characters escaped. `undefined` members are dropped (they cannot occur in decoded JSON).
 */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot serialise ${value} as JSON`);
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((v) => goJson(v)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${goString(k)}:${goJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`cannot serialise a ${typeof value} as JSON`);
}

/** SHA-256 over the UTF-8 bytes of the parts, in order. */
export function sha256(...parts: string[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p, 'utf8');
  return h.digest();
}

/** Go's `base64.RawStdEncoding`: standard alphabet, no padding. */
export function base64RawStd(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

/** Go's `base64.RawURLEncoding`: URL-safe alphabet, no padding. */
export function base64RawUrl(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** A deep copy of a JSON value (objects from the store are never mutated in place). */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}
