import type { KObject } from '../store-types.ts';
import { badRequest } from './errors.ts';
import type { ResourceInfo } from './resources.ts';

/**
 * Field selectors as the API server takes them in `?fieldSelector=`: comma-separated
 * `field=value`, `field==value` or `field!=value` terms, over the fields each resource type
 * declares selectable (every type has `metadata.name` and `metadata.namespace`). A missing field
 * reads as the empty string, so `spec.nodeName=` selects unscheduled pods.
 */

/** One term. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/** Splits on unescaped `sep` (values may escape `\,` `\=` `\\` as in Kubernetes). */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + (text[i + 1] as string);
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

/**
 * Parses a field selector. With `info`, fields the resource type does not support are rejected
 * with the API server's 400 (`field label not supported: spec.foo`).
 */
export function parseFieldSelector(selector: string, info?: ResourceInfo): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  if (selector.trim() === '') return reqs;
  for (const term of splitUnescaped(selector, ',')) {
    const m = /^([^=!]*?)\s*(==|!=|=)\s*(.*)$/s.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = (m[1] as string).trim();
    if (!field) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    if (info && field !== 'metadata.name' && field !== 'metadata.namespace' && !info.selectableFields.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    reqs.push({ field, op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3] as string) });
  }
  return reqs;
}

/** The string value of a dotted field path (`spec.nodeName`); missing reads as `''`. */
export function fieldValue(obj: KObject, field: string): string {
  let cur: unknown = obj;
  for (const part of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'object') {
    // `source` on events selects by the component name.
    const component = (cur as Record<string, unknown>).component;
    return typeof component === 'string' ? component : '';
  }
  return String(cur);
}

/** Whether `obj` satisfies every term. */
export function matchesFields(reqs: readonly FieldRequirement[], obj: KObject): boolean {
  for (const r of reqs) {
    const v = fieldValue(obj, r.field);
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
