/**
 * klog-style structured log lines, as the real controller writes them and benchmark parsers
 * read them (protocol section 3, "DPC log lines"; LDB `dpc_log_parser.py`):
 *
 *     I1123 13:08:50.123456       1 inference-server.go:577] "Successfully relayed the readiness" node="n1" serverUID="..." requesterName="r-1" readiness="ready"
 *
 * Header `Lmmdd hh:mm:ss.uuuuuu threadid file:line]` in cluster time (UTC). Values are written
 * as klog's text serialiser does: strings quoted, numbers and booleans bare (floats in Go's
 * shortest form), `nil` as `<nil>`, maps as Go's `map[k:v]`. Keys bound with {@link KLogger.with}
 * (`node`, `serverUID`, `requesterName`, ...) come first, as `logger.WithValues` puts them.
 */

/** A key/value list: `[k1, v1, k2, v2, ...]`. */
export type KeyValues = unknown[];

/** Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)` with %v's exponent thresholds). */
export function goFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    const [mant, exp] = n.toExponential().split('e') as [string, string];
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(n);
}

const STRUCT = Symbol('goStruct');

/** Marks an object to print as a Go struct (`{Errors:[a b]}`, fields in order) rather than a map. */
export function goStruct<T extends object>(fields: T): T {
  return Object.assign(Object.create(null) as object, fields, { [STRUCT]: true }) as T;
}

function plain(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object' && STRUCT in v) return `{${Object.entries(v).map(([k, x]) => `${k}:${plain(x)}`).join(' ')}}`;
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(plain).join(' ')}]`;
  if (v instanceof Error) return v.message;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, x]) => `${k}:${plain(x)}`).join(' ')}]`;
  }
  return String(v);
}

/** One value as klog's text serialiser writes it. */
export function klogValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return plain(v);
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** The klog header of a line at cluster time `ms` (`I1123 13:08:50.123456       1 file:line]`). */
export function klogHeader(severity: 'I' | 'E', ms: number, site: string): string {
  const d = new Date(Math.floor(ms));
  const micros = Math.floor((ms - Math.floor(ms / 1000) * 1000) * 1000);
  return `${severity}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(micros).padStart(6, '0')} ${'1'.padStart(7)} ${site}]`;
}

/** The bounded in-memory log a controller writes (served as its Pod's log). */
export class KlogBuffer {
  private lines: string[] = [];
  private closed = false;
  constructor(
    private readonly limit: number,
    readonly verbosity: number,
    private readonly nowMs: () => number,
  ) {}

  /** Appends one formatted line, dropping the oldest lines past the limit. */
  write(severity: 'I' | 'E', site: string, msg: string, kvs: KeyValues): void {
    if (this.closed) return;
    let line = `${klogHeader(severity, this.nowMs(), site)} ${JSON.stringify(msg)}`;
    for (let i = 0; i + 1 < kvs.length; i += 2) line += ` ${String(kvs[i])}=${klogValue(kvs[i + 1])}`;
    this.lines.push(line);
    if (this.lines.length > this.limit + Math.max(64, this.limit >> 4)) this.lines = this.lines.slice(-this.limit);
  }

  /** Drops every later write (the process has exited). */
  close(): void {
    this.closed = true;
  }

  /** The log as text, one line per entry, newline-terminated. */
  text(): string {
    const lines = this.lines.length > this.limit ? this.lines.slice(-this.limit) : this.lines;
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}

/** A logger with bound key/values, like `klog.FromContext(ctx).WithValues(...)`. */
export class KLogger {
  constructor(
    private readonly buffer: KlogBuffer,
    private readonly site: string,
    private readonly values: KeyValues = [],
  ) {}

  /** A child logger with more bound key/values. */
  with(...kvs: KeyValues): KLogger {
    return new KLogger(this.buffer, this.site, [...this.values, ...kvs]);
  }

  /** A child logger writing a different `file:line` site. */
  at(site: string): KLogger {
    return new KLogger(this.buffer, site, this.values);
  }

  /** Whether `V(level)` is enabled. */
  enabled(level: number): boolean {
    return level <= this.buffer.verbosity;
  }

  /** `logger.V(level).Info(msg, kvs...)`. */
  info(level: number, msg: string, ...kvs: KeyValues): void {
    if (this.enabled(level)) this.buffer.write('I', this.site, msg, [...this.values, ...kvs]);
  }

  /** `logger.Error(err, msg, kvs...)` (always written). */
  error(err: unknown, msg: string, ...kvs: KeyValues): void {
    this.buffer.write('E', this.site, msg, ['err', err instanceof Error ? err.message : err, ...this.values, ...kvs]);
  }
}

/** RFC 3339 with fractional seconds, trailing zeros trimmed, as Go's `time.RFC3339Nano` (cluster time, UTC, µs resolution). */
export function rfc3339Nano(ms: number): string {
  const whole = Math.floor(ms / 1000) * 1000;
  // A float64 of epoch milliseconds resolves ~0.25 µs: keep microseconds, as klog's fields carry.
  const nanos = Math.min(Math.round((ms - whole) * 1000), 999_999) * 1000;
  const base = new Date(whole).toISOString().slice(0, 19);
  if (nanos === 0) return `${base}Z`;
  return `${base}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z`;
}
