/**
 * The subset of Go's `text/template` that the `server-patch` annotation uses (protocol section
 * 2.1): the template data is `api.ProviderData{NodeName, LocalVolume}` and the controller parses
 * with `Option("missingkey=error")` (`getNominalServerProvidingPod`).
 *
 * Supported: literal text, `{{ .NodeName }}`, `{{ .LocalVolume }}`, `{{ . }}`, string literals
 * (`{{ "x" }}`, raw `` {{ `x` }} ``), comments (`{{/* c *\/}}`) and the trim markers `{{- ` and
 * ` -}}`. Anything else (functions, pipelines, `if`/`range`) fails at parse time the way Go fails
 * on an undefined function, so a template this renderer accepts renders as Go would render it.
 * Error messages follow Go's (`template: serverPatch:3: unclosed action`,
 * `... executing "serverPatch" at <.Foo>: can't evaluate field Foo in type api.ProviderData`).
 */

/** `api.ProviderData`: only `NodeName` is ever filled in by the controller (section 2.1). */
export interface ProviderData {
  NodeName: string;
  LocalVolume: string;
}

/** A template that failed to parse or execute; `message` is Go's wording. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Node = { kind: 'text'; text: string } | { kind: 'field'; path: string[]; line: number; col: number; src: string } | { kind: 'literal'; value: string };

const NAME = 'serverPatch';

function lineOf(src: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset; i++) if (src.charCodeAt(i) === 10) n++;
  return n;
}

function colOf(src: string, offset: number): number {
  return offset - (src.lastIndexOf('\n', offset - 1) + 1);
}

function parseAction(src: string, body: string, bodyStart: number): Node | undefined {
  const trimmed = body.trim();
  const at = bodyStart + body.indexOf(trimmed);
  const line = lineOf(src, at);
  if (trimmed.startsWith('/*')) {
    if (!trimmed.endsWith('*/')) throw new TemplateError(`template: ${NAME}:${line}: unclosed comment`);
    return undefined;
  }
  if (trimmed === '') throw new TemplateError(`template: ${NAME}:${line}: missing value for command`);
  const str = /^"((?:[^"\\]|\\.)*)"$/.exec(trimmed);
  if (str) return { kind: 'literal', value: JSON.parse(`"${str[1]}"`) as string };
  const raw = /^`([^`]*)`$/.exec(trimmed);
  if (raw) return { kind: 'literal', value: raw[1] ?? '' };
  if (/^\.([A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$/.test(trimmed)) {
    const path = trimmed === '.' ? [] : trimmed.slice(1).split('.');
    return { kind: 'field', path, line, col: colOf(src, at), src: trimmed };
  }
  const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(trimmed)?.[0];
  if (word) throw new TemplateError(`template: ${NAME}:${line}: function "${word}" not defined`);
  throw new TemplateError(`template: ${NAME}:${line}: unexpected "${trimmed.split(/\s/)[0]}" in command`);
}

/** Parses a template into text and action nodes, applying the trim markers. */
function parse(src: string): Node[] {
  const nodes: Node[] = [];
  let pos = 0;
  let trimNextText = false;
  while (pos <= src.length) {
    const open = src.indexOf('{{', pos);
    let text = src.slice(pos, open < 0 ? src.length : open);
    if (trimNextText) text = text.replace(/^\s+/, '');
    trimNextText = false;
    if (open < 0) {
      if (text) nodes.push({ kind: 'text', text });
      break;
    }
    const trimLeft = src.startsWith('{{- ', open) || src.startsWith('{{-\t', open) || src.startsWith('{{-\n', open);
    if (trimLeft) text = text.replace(/\s+$/, '');
    if (text) nodes.push({ kind: 'text', text });
    const bodyStart = open + (trimLeft ? 3 : 2);
    const close = src.indexOf('}}', bodyStart);
    if (close < 0) throw new TemplateError(`template: ${NAME}:${lineOf(src, open)}: unclosed action`);
    let body = src.slice(bodyStart, close);
    if (/\s-$/.test(body)) {
      trimNextText = true;
      body = body.slice(0, -1);
    }
    const node = parseAction(src, body, bodyStart);
    if (node) nodes.push(node);
    pos = close + 2;
  }
  return nodes;
}

function evaluate(node: Extract<Node, { kind: 'field' }>, data: ProviderData): string {
  if (node.path.length === 0) return `{${data.NodeName} ${data.LocalVolume}}`;
  const [first, ...rest] = node.path;
  if (first !== 'NodeName' && first !== 'LocalVolume') {
    throw new TemplateError(
      `template: ${NAME}:${node.line}:${node.col}: executing "${NAME}" at <.${first}>: can't evaluate field ${first} in type api.ProviderData`,
    );
  }
  if (rest.length > 0) {
    throw new TemplateError(
      `template: ${NAME}:${node.line}:${node.col}: executing "${NAME}" at <${node.src}>: can't evaluate field ${rest[0]} in type string`,
    );
  }
  return data[first];
}

/** Renders a `server-patch` template with the provider data (section 2.1). Throws {@link TemplateError}. */
export function renderServerPatch(template: string, data: ProviderData): string {
  const nodes = parse(template);
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'literal') out += node.value;
    else out += evaluate(node, data);
  }
  return out;
}
