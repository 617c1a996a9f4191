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
const MIN_SECRET_LENGTH = 4;

/** Whether an environment variable with this name holds a secret (`API_TOKEN`, `OPENAI_API_KEY`). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME_PATTERN.test(name);
}

/** `text` with every occurrence of each secret replaced by `***`, longest secrets first. */
export function redactText(text: string, secrets: readonly string[]): string {
  const ordered = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of ordered) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * A deep copy of a config value with secrets redacted in every string (keys included), for
 * writing the resolved config into a run folder.
 */
export function redactValue<T>(value: T, secrets: readonly string[]): T {
  return redactAny(value, secrets) as T;
}

function redactAny(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactAny(v, secrets));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redactText(k, secrets)] = redactAny(v, secrets);
    return out;
  }
  return value;
}
