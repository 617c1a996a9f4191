/**
 * The secrets a run knows, by value, in one registry per process, and the one scrub every output
 * goes through: `requests.jsonl`, `stages.jsonl`, every run-folder file, the terminal, error
 * messages. The measuring worker and the reporters' process (Vitest's main process) each build
 * their own registry from the same inputs (see `lib/run-folder/run-secrets.ts`), so secrets never
 * travel between them.
 *
 * What is registered:
 * - values of environment variables with secret-looking names (`*KEY*`, `*TOKEN*`, `*AUTH*`, ...)
 *   that could be credentials (see {@link couldBeSecret});
 * - the API key, whatever the name of its variable;
 * - values of key-bearing request headers (`Authorization`, `X-Api-Key`, any `*token*`, `*auth*`,
 *   `*key*`, `*secret*`, `*password*`, `Cookie`), by header name, wherever the value came from,
 *   and the credential after an auth scheme (`Bearer <token>`);
 * - passwords of URL credentials (`https://user:pass@host`) in settings and environment values;
 * - bearer tokens read from files (Prometheus) and credentials read from a kubeconfig.
 * Whatever the registry holds, credentials written in a URL (`scheme://user:pass@`) are replaced
 * by their pattern too.
 */
import { isSecretName, MIN_SECRET_LENGTH, mapStrings, REDACTED, replaceSecrets, searchOrder } from './redact.ts';

/** Request header names whose values are credentials. */
export const KEY_HEADER_PATTERN = /^(authorization|proxy-authorization|cookie|set-cookie)$|key|token|auth|secret|password|credential|session/i;

/** Credentials in a URL: `scheme://user:pass@` or `scheme://token@`. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;

const known = new Set<string>();
let seeded = false;
/** The registered secrets as searched for (each also as it reads inside a JSON string), longest first; rebuilt after an addition. */
let ordered: string[] | null = null;

/** The registry, seeded on first use with the secrets of this process's environment. */
function registry(): Set<string> {
  if (!seeded) {
    seeded = true;
    for (const v of envSecrets(process.env)) known.add(v);
  }
  return known;
}

/**
 * Whether a value could be a credential: environment variables with secret-looking names also
 * hold `AUTH_MODE=none` or `USE_KEYRING=true`, and every occurrence of a registered value is
 * replaced in every output. Left out: shorter than 8 characters, booleans and numbers, and
 * absolute file paths (`SSH_AUTH_SOCK`, `*_TOKEN_FILE`: where a secret is, not the secret).
 */
export function couldBeSecret(v: string): boolean {
  const t = v.trim();
  return t.length >= 8 && !/^(true|false|yes|no|on|off|none|null|undefined)$/i.test(t) && !/^[-+]?\d+(\.\d+)?$/.test(t) && !/^\/[^\s]*$/.test(t);
}

/**
 * Adds secrets to this process's registry. Values shorter than `MIN_SECRET_LENGTH` and plain
 * numbers are not searched for: replacing every `a` or `1234` of a report would garble it (a
 * number inside a JSON file would stop being one), and they are not credentials.
 */
export function addSecrets(...values: ReadonlyArray<string | null | undefined>): void {
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const t = v.trim();
    if (t.length >= MIN_SECRET_LENGTH && !/^[-+]?\d+(\.\d+)?$/.test(t) && !registry().has(t)) {
      known.add(t);
      ordered = null;
    }
  }
}

/** The secrets registered in this process so far. */
export function knownSecrets(): string[] {
  return [...registry()];
}

/** Values of secret-looking environment variables that could be credentials, and passwords of URLs in any variable. */
export function envSecrets(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (isSecretName(k) && couldBeSecret(v)) out.push(v);
    if (v.includes('@')) out.push(...urlSecrets(v));
  }
  return out;
}

/**
 * Credentials of key-bearing headers, by header name: the whole value, and the credential after
 * an auth scheme (`Bearer abc` also registers `abc`, `Basic dXNlcjpwYXNz` its base64).
 */
export function headerSecrets(headers: Readonly<Record<string, unknown>> | undefined): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== 'string' || !KEY_HEADER_PATTERN.test(name)) continue;
    out.push(value);
    const scheme = /^\s*[A-Za-z][\w-]*\s+(\S.*)$/.exec(value);
    if (scheme) out.push(scheme[1]!);
  }
  return out;
}

/** Passwords (and bare tokens) in the credentials of URLs in `text` (comma- or space-separated URLs too), raw and percent-decoded. */
export function urlSecrets(text: string): string[] {
  const out = new Set<string>();
  for (const part of text.split(/[\s,]+/)) {
    if (!part.includes('@')) continue;
    try {
      const u = new URL(part);
      for (const s of [u.password, u.password ? '' : u.username]) {
        if (!s) continue;
        out.add(s);
        try {
          out.add(decodeURIComponent(s));
        } catch {
          // Not valid percent-encoding: the raw form is registered.
        }
      }
    } catch {
      // Not a URL.
    }
  }
  return [...out];
}

/** `text` with every registered secret (and `extra`) replaced by `***`, and URL credentials removed. */
export function scrub(text: string, extra: readonly string[] = []): string {
  const out = replaceSecrets(text, extra.length ? searchOrder([...registry(), ...extra], true) : (ordered ??= searchOrder(registry(), true)));
  return out.includes('@') ? out.replace(URL_USERINFO, `$1${REDACTED}@`) : out;
}

/**
 * A copy of a JSON-like value with {@link scrub} applied to every string (keys included). Objects
 * that are not plain (class instances, Maps) are kept as they are.
 */
export function scrubValue<T>(value: T): T {
  return mapStrings(value, (s) => scrub(s));
}
