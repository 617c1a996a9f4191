/**
 * Escaping for `report.html`. Every string that came from a server, a config or a cluster goes
 * through `esc` (text and attribute values) or `jsonScript` (chart data), so a scenario
 * description `<img src=x onerror=...>` or a model name containing `</script>` renders as text.
 */
import { createHash } from 'node:crypto';

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes text for element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML[c]!);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&` and the JavaScript line
 * separators U+2028/U+2029 are written as `\u` escapes, so no data can close the element or be
 * read as markup; the page reads it back with `JSON.parse(el.textContent)`, never `eval`.
 */
export function jsonScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** CSP source of an inline script's exact text: `'sha256-<base64>'`. */
export function cspHash(script: string): string {
  return `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
}

/** A safe `id` from any string (letters, digits, dashes), unique with `n`. */
export function domId(prefix: string, n: number): string {
  return `${prefix}-${n}`;
}

/** A number for a table: 3 significant figures below 100, none after the point above; `-` for none. */
export function num(x: number | null | undefined, unit = ''): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  const t = a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : a === 0 ? '0' : x.toPrecision(3);
  return unit ? `${t} ${unit}` : t;
}

/** A share as a percentage (`0.953` → `95.3%`). */
export function pct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(1)}%`;
}

/** A cell: text (escaped) or trusted markup built by this module (`{ html }`). */
export type Cell = string | number | { html: string; cls?: string };

/** A table; header cells and text cells are escaped; numeric cells right-aligned. */
export function table(head: readonly string[], rows: ReadonlyArray<readonly Cell[]>, cls = ''): string {
  const cell = (c: Cell, tag: 'td' | 'th'): string =>
    typeof c === 'object' ? `<${tag}${c.cls ? ` class="${c.cls}"` : ''}>${c.html}</${tag}>` : `<${tag}${typeof c === 'number' || /^[~<>]?-?[\d.,]+( ?[a-z/%]+)?$/i.test(c) ? ' class="n"' : ''}>${esc(c)}</${tag}>`;
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, k) => cell(c, k === 0 ? 'th' : 'td')).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

/** A PASS / FAIL badge. */
export function badge(pass: boolean | null, text?: string): { html: string } {
  const t = text ?? (pass === null ? 'n/a' : pass ? 'PASS' : 'FAIL');
  return { html: `<span class="badge ${pass === null ? 'na' : pass ? 'pass' : 'fail'}">${esc(t)}</span>` };
}

/** Any JSON value (config, settings) as escaped, indented text. */
export function pre(value: unknown): string {
  return `<pre>${esc(typeof value === 'string' ? value : JSON.stringify(value, null, 2))}</pre>`;
}
