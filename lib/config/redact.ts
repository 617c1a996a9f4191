/**
 * Keeping secrets out of errors and reports. Values that came from environment variables with
 * secret-looking names (and the API key itself) are collected while the config is loaded; every
 * error message built from config values, and every copy of the config written to a report,
 * goes through these functions first.
 */

/** Environment variable names whose values are treated as secrets. */
export const SECRET_NAME_PATTERN = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL|AUTH/i;

/** What a secret is replaced with in messages and reports. */
export const REDACTED = '***';

/**
 * Secrets shorter than this are not searched for in text: replacing every `a` or `42` in a
 * message would garble it, and such values are not real credentials.
 */
export const MIN_SECRET_LENGTH = 4;

/** Whether an environment variable with this name holds a secret (`API_TOKEN`, `OPENAI_API_KEY`). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME_PATTERN.test(name);
}

/**
 * Secrets in the order they are searched for: distinct, at least {@link MIN_SECRET_LENGTH}
 * characters, longest first (so a secret that contains another is replaced whole). With `json`,
 * each also as it reads inside a JSON string when that differs (a password with a quote, inside
 * summary.json).
 */
export function searchOrder(secrets: Iterable<string>, json = false): string[] {
  const all = new Set<string>();
  for (const s of secrets) {
    if (s.length < MIN_SECRET_LENGTH) continue;
    all.add(s);
    if (json) all.add(JSON.stringify(s).slice(1, -1));
  }
  return [...all].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each secret of `ordered` (from {@link searchOrder}) replaced by `***`. */
export function replaceSecrets(text: string, ordered: readonly string[]): string {
  let out = text;
  for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** `text` with every occurrence of each secret replaced by `***`, longest secrets first. */
export function redactText(text: string, secrets: readonly string[]): string {
  return replaceSecrets(text, searchOrder(secrets));
}

/**
 * A deep copy of a config value with secrets redacted in every string (keys included), for
 * writing the resolved config into a run folder.
 */
export function redactValue<T>(value: T, secrets: readonly string[]): T {
  const ordered = searchOrder(secrets);
  return mapStrings(value, (s) => replaceSecrets(s, ordered));
}

/** A copy of a JSON-like value with `f` applied to every string (keys included); objects that are not plain are kept as they are. */
export function mapStrings<T>(value: T, f: (s: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return f(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[f(k)] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
