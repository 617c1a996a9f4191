/**
 * A parser of the Prometheus text exposition format (0.0.4, what vLLM's prometheus_client
 * serves on `/metrics`), tolerant of the OpenMetrics additions a server may send instead
 * (`# EOF`, exemplars after a sample).
 *
 * ```
 * # HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.
 * # TYPE vllm:prefix_cache_hits_total counter
 * vllm:prefix_cache_hits_total{model_name="Qwen/Qwen3-0.6B",engine="0"} 2048.0
 * http_requests_total{method="post",code="200"} 1027 1395066363000
 * ```
 *
 * A sample line is a metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), optional labels in braces
 * (`name="value"`, values escaped `\\`, `\"`, `\n`; a trailing comma is allowed), a value (a Go
 * float: decimal or exponent notation, `NaN`, `+Inf`, `-Inf`) and an optional integer timestamp
 * in milliseconds. Spaces and tabs separate tokens. `# HELP` and `# TYPE` lines describe a
 * family; any other `#` line is a comment. A line that fits none of this is an error naming its
 * line number: the parse returns it as a value, never throws.
 */

/** One sample: a series (name and labels) and its value. */
export interface PromSample {
  /** Metric name as written, e.g. `vllm:prefix_cache_hits_total`, `x_bucket`. */
  name: string;
  labels: Record<string, string>;
  /** The value; `NaN`, `Infinity` and `-Infinity` as the text says. */
  value: number;
  /** Timestamp in ms since the epoch when the line carries one. */
  timestampMs: number | null;
  /** 1-based line number in the text. */
  line: number;
}

/** Metric types a `# TYPE` line may name (0.0.4, plus OpenMetrics' own). */
export const PROM_TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped', 'unknown', 'gaugehistogram', 'stateset', 'info'] as const;
/** A metric type. */
export type PromType = (typeof PROM_TYPES)[number];

/** What `# HELP` and `# TYPE` said about a family. */
export interface PromFamily {
  type: PromType | null;
  help: string | null;
}

/** A parsed exposition. */
export interface PromText {
  samples: PromSample[];
  /** Families by name, as HELP/TYPE lines named them. */
  families: Record<string, PromFamily>;
}

/** Why a text does not parse: the first bad line. */
export interface PromParseError {
  /** 1-based line number. */
  line: number;
  message: string;
  /** The line, clipped to 120 characters. */
  text: string;
}

/** The outcome of a parse: the exposition, or the first error. */
export type PromParseResult = { ok: true; value: PromText } | { ok: false; error: PromParseError };

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^[+-]?inf(?:inity)?$/i;
const INTEGER = /^[+-]?\d+$/;

/** Parses a Go float as Prometheus does (`strconv.ParseFloat`): decimal, exponent, NaN, ±Inf. */
export function parsePromValue(text: string): number | null {
  if (FLOAT.test(text)) return Number(text);
  if (/^nan$/i.test(text)) return Number.NaN;
  if (INFINITY.test(text)) return text.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return null;
}

class LineError extends Error {}

/** Parses an exposition; the first malformed line ends the parse with an error naming it. */
export function parsePromText(text: string): PromParseResult {
  const samples: PromSample[] = [];
  const families: Record<string, PromFamily> = Object.create(null);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    const line = raw.replace(/^[ \t]+/, '');
    if (line === '') continue;
    try {
      if (line.startsWith('#')) {
        if (parseComment(line, families) === 'eof') break;
      } else {
        samples.push(parseSample(line, i + 1));
      }
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      return { ok: false, error: { line: i + 1, message: err.message, text: raw.length > 120 ? `${raw.slice(0, 120)}…` : raw } };
    }
  }
  return { ok: true, value: { samples, families: { ...families } } };
}

/** A `#` line: HELP, TYPE, `# EOF` (OpenMetrics: nothing follows), or a comment. */
function parseComment(line: string, families: Record<string, PromFamily>): 'eof' | void {
  const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) return /^#[ \t]*EOF[ \t]*$/.test(line) ? 'eof' : undefined;
  const [, keyword, name, rest = ''] = m;
  if (!isMetricName(name!)) throw new LineError(`invalid metric name "${name}" in # ${keyword}`);
  const family = (families[name!] ??= { type: null, help: null });
  if (keyword === 'HELP') {
    // A repeated HELP line is harmless; the first one stands.
    family.help ??= rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
    return;
  }
  const type = rest.trim();
  if (!(PROM_TYPES as readonly string[]).includes(type)) throw new LineError(`unknown metric type "${type}" for ${name} (expected ${PROM_TYPES.join(', ')})`);
  if (family.type !== null && family.type !== type) throw new LineError(`second TYPE line for ${name} says ${type}, the first said ${family.type}`);
  family.type = type as PromType;
}

function isMetricName(s: string): boolean {
  if (s.length === 0 || !NAME_START.test(s[0]!)) return false;
  for (let i = 1; i < s.length; i++) if (!NAME_CHAR.test(s[i]!)) return false;
  return true;
}

function parseSample(line: string, lineNo: number): PromSample {
  let i = 0;
  const n = line.length;
  const skipBlanks = (): void => {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
  };
  if (!NAME_START.test(line[0]!)) throw new LineError(`expected a metric name, got "${line[0]}"`);
  while (i < n && NAME_CHAR.test(line[i]!)) i++;
  const name = line.slice(0, i);
  const labels: Record<string, string> = Object.create(null);
  skipBlanks();
  if (line[i] === '{') {
    i++;
    for (;;) {
      skipBlanks();
      if (line[i] === '}') {
        i++;
        break;
      }
      if (i >= n || !LABEL_START.test(line[i]!)) throw new LineError(`expected a label name or "}" at column ${i + 1}`);
      const start = i;
      while (i < n && LABEL_CHAR.test(line[i]!)) i++;
      const label = line.slice(start, i);
      skipBlanks();
      if (line[i] !== '=') throw new LineError(`expected "=" after label ${label} at column ${i + 1}`);
      i++;
      skipBlanks();
      if (line[i] !== '"') throw new LineError(`expected a quoted value for label ${label} at column ${i + 1}`);
      i++;
      let value = '';
      for (;;) {
        if (i >= n) throw new LineError(`unterminated value of label ${label}`);
        const c = line[i++]!;
        if (c === '"') break;
        if (c !== '\\') {
          value += c;
          continue;
        }
        const e = line[i++];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else throw new LineError(`invalid escape "\\${e ?? ''}" in the value of label ${label}`);
      }
      if (Object.hasOwn(labels, label)) throw new LineError(`label ${label} given twice`);
      labels[label] = value;
      skipBlanks();
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new LineError(`expected "," or "}" after the value of label ${label} at column ${i + 1}`);
    }
  }
  const rest = line.slice(i).trim();
  // OpenMetrics exemplar: `value [timestamp] # {labels} value [timestamp]`; only the sample counts.
  const hash = rest.indexOf(' #');
  const fields = (hash >= 0 ? rest.slice(0, hash) : rest).split(/[ \t]+/).filter((f) => f !== '');
  if (fields.length === 0) throw new LineError(`no value for ${name}`);
  if (fields.length > 2) throw new LineError(`unexpected text after the value and timestamp of ${name}: "${fields.slice(2).join(' ')}"`);
  const value = parsePromValue(fields[0]!);
  if (value === null) throw new LineError(`invalid value "${fields[0]}" for ${name}`);
  let timestampMs: number | null = null;
  if (fields[1] !== undefined) {
    if (!INTEGER.test(fields[1])) throw new LineError(`invalid timestamp "${fields[1]}" for ${name} (expected integer milliseconds)`);
    timestampMs = Number(fields[1]);
  }
  return { name, labels: { ...labels }, value, timestampMs, line: lineNo };
}

/** Suffixes a sample name adds to its family's name. */
const SUFFIXES = ['_total', '_bucket', '_sum', '_count', '_created', '_gcount', '_gsum', '_info'];

/**
 * The family a sample belongs to: its own name when a HELP/TYPE line names it (0.0.4 counters
 * are typed with `_total`), else its name without a histogram/summary/counter suffix when that
 * family was described, else its own name.
 */
export function familyOf(sampleName: string, families: Record<string, PromFamily>): string {
  if (Object.hasOwn(families, sampleName)) return sampleName;
  for (const s of SUFFIXES) {
    if (sampleName.endsWith(s) && Object.hasOwn(families, sampleName.slice(0, -s.length))) return sampleName.slice(0, -s.length);
  }
  return sampleName;
}
