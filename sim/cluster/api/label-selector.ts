import { badRequest } from './errors.ts';

/**
 * Label selectors as Kubernetes parses and matches them: the string form of `?labelSelector=`
 * (`a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3`) and the structured form of `spec.selector`
 * (`matchLabels` + `matchExpressions`).
 */

/** One requirement. `!=` and `notin` also match objects without the key, as in Kubernetes. */
export interface LabelRequirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';
  values: string[];
}

/** The structured selector of `spec.selector` (`metav1.LabelSelector`). */
export interface StructuredSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key, or undefined when it is. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (!prefix || prefix.length > 253 || !PREFIX.test(prefix)) return `prefix part must be a lowercase RFC 1123 subdomain (got "${prefix}")`;
  }
  if (!name || name.length > 63 || !NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (63 characters at most)";
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (63 characters at most)";
  }
  return undefined;
}

type Token = { kind: 'ident'; text: string } | { kind: 'op'; text: string };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (input.startsWith('==', i) || input.startsWith('!=', i)) {
      out.push({ kind: 'op', text: input.slice(i, i + 2) });
      i += 2;
    } else if ('=!(),<>'.includes(c)) {
      out.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < input.length && !/[\s=!(),<>]/.test(input[j] as string)) j++;
      out.push({ kind: 'ident', text: input.slice(i, j) });
      i = j;
    }
  }
  return out;
}

function checkKey(key: string): void {
  const why = labelKeyError(key);
  if (why) throw badRequest(`unable to parse requirement: key: Invalid value: "${key}": ${why}`);
}

function checkValue(value: string, op: LabelRequirement['op']): void {
  if (op === 'gt' || op === 'lt') {
    if (!/^-?\d+$/.test(value)) throw badRequest(`unable to parse requirement: values[0]: Invalid value: "${value}": for 'Gt', 'Lt' operators, the value must be an integer`);
    return;
  }
  const why = labelValueError(value);
  if (why) throw badRequest(`unable to parse requirement: values[0][${value}]: Invalid value: "${value}": ${why}`);
}

/** Parses a label selector string; throws a 400 BadRequest StoreError naming the problem. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const fail = (expected: string): never => {
    const t = peek();
    throw badRequest(`unable to parse label selector "${selector}": found '${t ? t.text : 'end of string'}', expected: ${expected}`);
  };
  const ident = (expected: string): string => {
    const t = peek();
    if (t?.kind !== 'ident') return fail(expected);
    i++;
    return t.text;
  };
  while (i < tokens.length) {
    let req: LabelRequirement;
    if (peek()?.text === '!') {
      i++;
      const key = ident('identifier after \'!\'');
      checkKey(key);
      req = { key, op: '!', values: [] };
    } else {
      const key = ident('identifier');
      checkKey(key);
      const t = peek();
      if (!t || t.text === ',') {
        req = { key, op: 'exists', values: [] };
      } else if (t.kind === 'op' && ['=', '==', '!=', '<', '>'].includes(t.text)) {
        i++;
        const op = t.text === '!=' ? 'notin' : t.text === '<' ? 'lt' : t.text === '>' ? 'gt' : 'in';
        const next = peek();
        const value = next?.kind === 'ident' ? (i++, next.text) : '';
        checkValue(value, op);
        req = { key, op, values: [value] };
      } else if (t.kind === 'ident' && (t.text === 'in' || t.text === 'notin')) {
        i++;
        if (peek()?.text !== '(') fail("'(' after set operator");
        i++;
        const values: string[] = [];
        while (peek()?.text !== ')') {
          const v = peek()?.kind === 'ident' ? ident('value') : '';
          checkValue(v, t.text);
          values.push(v);
          if (peek()?.text === ',') i++;
          else if (peek()?.text !== ')') fail("',' or ')'");
        }
        i++;
        if (values.length === 0) throw badRequest(`unable to parse requirement: values: Required value: for 'in', 'notin' operators, values set can't be empty`);
        req = { key, op: t.text, values };
      } else {
        return fail('=, ==, !=, in, notin, <, > or end of requirement');
      }
    }
    reqs.push(req);
    if (i < tokens.length) {
      if (peek()?.text !== ',') fail("',' between requirements");
      i++;
      if (i >= tokens.length) fail('identifier after \',\'');
    }
  }
  return reqs;
}

/** Whether `labels` satisfy every requirement (an empty list matches everything). */
export function matchesLabels(reqs: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = has ? l[r.key] : undefined;
    switch (r.op) {
      case 'in':
        if (!has || !r.values.includes(v as string)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v as string)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v as string)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.op === 'gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

/** Requirements of a structured selector; an unknown operator throws a 400. */
export function structuredRequirements(sel: StructuredSelector | undefined): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key, op: 'in', values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const)[e.operator];
    if (!op) throw badRequest(`"${e.operator}" is not a valid label selector operator`);
    reqs.push({ key: e.key, op, values: [...(e.values ?? [])] });
  }
  return reqs;
}

/** The string form of requirements (`a=b,c in (d,e)`), as `Scale.status.selector` shows it. */
export function formatLabelSelector(reqs: readonly LabelRequirement[]): string {
  return [...reqs]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => {
      switch (r.op) {
        case 'in':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${[...r.values].sort().join(',')})`;
        case 'notin':
          return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${[...r.values].sort().join(',')})`;
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case 'gt':
          return `${r.key}>${r.values[0]}`;
        case 'lt':
          return `${r.key}<${r.values[0]}`;
      }
    })
    .join(',');
}
