import { mapStrings } from '../config/redact.ts';
import { scrub } from '../config/secrets.ts';

/**
 * Control characters (C0 but tab and newline, DEL, C1) and the Unicode line and bidi controls,
 * which a terminal obeys (`ESC [2J` clears the screen, `ESC ] 0;...BEL` retitles the window) or
 * which reorder what is shown.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with control characters shown as escapes (`\x1b`, `\u202e`), so it prints as it is instead of acting on the terminal. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A string a server (or a cluster) sent, made fit to show: every secret the run knows replaced by
 * `***` and control characters escaped. Model names, `served_by` values, finish reasons and error
 * messages go through this before they are shown in the terminal or a text log. One line: tabs
 * and newlines are escaped too.
 */
export function showText(text: string): string {
  return escapeControl(scrub(text)).replace(/[\t\n]/g, (c) => (c === '\t' ? '\\x09' : '\\x0a'));
}

/**
 * A copy of a report (or any JSON-like value) fit to render for a terminal: every string scrubbed
 * and its control characters escaped (newlines and tabs kept, for multi-line descriptions).
 */
export function displayValue<T>(value: T): T {
  return mapStrings(value, (s) => escapeControl(scrub(s)));
}

/**
 * `err` made fit for Vitest to print (it prints a test's error as it is): its message and stack
 * scrubbed of the run's secrets, with control characters escaped. Returns the same error.
 */
export function scrubError<E>(err: E): E {
  if (err instanceof Error) {
    const fix = (t: string): string => escapeControl(scrub(t));
    err.message = fix(err.message);
    if (err.stack) err.stack = fix(err.stack);
  }
  return err;
}

/**
 * Text a server sent (an error body, a malformed event) made fit for a message: one line, at most
 * `n` characters, without any secret the run knows (the API key quoted back, say) and with control
 * characters escaped.
 */
export function serverText(text: string, n: number, apiKey?: string | null): string {
  const scrubbed = scrub(text, apiKey ? [apiKey] : []);
  const one = escapeControl(scrubbed.replace(/\s+/g, ' ').trim());
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
