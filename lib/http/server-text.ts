/**
 * Text a server sent (an error body, a malformed event) made fit for a message: one line, at most
 * `n` characters, and without the API key should the server quote it back.
 */
export function serverText(text: string, n: number, apiKey?: string | null): string {
  const scrubbed = apiKey ? text.split(apiKey).join('[redacted]') : text;
  const one = scrubbed.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n)}…` : one;
}

/** The message of an OpenAI/vLLM error object (`{error: {message}}`, `{object: "error", message}`, `{detail}`). */
export function errorMessageOf(json: unknown): string | null {
  if (typeof json !== 'object' || json === null) return null;
  const o = json as { error?: unknown; message?: unknown; detail?: unknown; object?: unknown };
  if (typeof o.error === 'object' && o.error !== null) {
    const m = (o.error as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  }
  if (typeof o.error === 'string') return o.error;
  if (o.object === 'error' && typeof o.message === 'string') return o.message;
  if (typeof o.detail === 'string') return o.detail;
  return null;
}

/** `JSON.parse`, or undefined when `raw` is not JSON. */
export function tryJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
