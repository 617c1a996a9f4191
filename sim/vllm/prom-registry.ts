/**
 * A minimal Prometheus registry rendering the text exposition format the way Python's
 * prometheus_client (which vLLM uses) does: `# HELP` / `# TYPE` per family, counters suffixed
 * `_total`, labels in declaration order, values as floats (`3.0`), histogram buckets with
 * cumulative counts, then `_count` and `_sum`. New series (GPU, sleep state) register a family
 * and, if their value is computed at scrape time, a collect hook.
 */

type LabelValues = readonly string[];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Formats a number as prometheus_client does (`1.0`, `0.25`, `+Inf`). */
export function formatPromValue(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? `${v}.0` : String(v);
}

function labelText(names: readonly string[], values: LabelValues, extra?: string): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
}

abstract class Family<Child> {
  readonly children = new Map<string, { values: LabelValues; child: Child }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** The series for these label values (created on first use; keep it for hot paths). */
  labels(...values: string[]): Child {
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      entry = { values, child: this.create() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  protected abstract create(): Child;
  abstract render(out: string[]): void;
}

/** A monotonically increasing series. */
export interface CounterChild {
  inc(by?: number): void;
  readonly value: number;
}

/** A counter family (`<name>_total`). */
export class Counter extends Family<CounterChild> {
  protected create(): CounterChild {
    return {
      value: 0,
      inc(by = 1) {
        (this as { value: number }).value += by;
      },
    };
  }

  render(out: string[]): void {
    const n = `${this.name}_total`;
    out.push(`# HELP ${n} ${this.help}`, `# TYPE ${n} counter`);
    for (const { values, child } of this.children.values()) out.push(`${n}${labelText(this.labelNames, values)} ${formatPromValue(child.value)}`);
  }
}

/** A series set to the current value. */
export interface GaugeChild {
  set(v: number): void;
  readonly value: number;
}

/** A gauge family. */
export class Gauge extends Family<GaugeChild> {
  protected create(): GaugeChild {
    return {
      value: 0,
      set(v) {
        (this as { value: number }).value = v;
      },
    };
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`);
    for (const { values, child } of this.children.values()) out.push(`${this.name}${labelText(this.labelNames, values)} ${formatPromValue(child.value)}`);
  }
}

/** A distribution over fixed bucket upper bounds. */
export interface HistogramChild {
  observe(v: number): void;
  /** Per-bucket (non-cumulative) counts; the last entry is +Inf. */
  readonly counts: number[];
  readonly count: number;
  readonly sum: number;
}

/** A histogram family with fixed upper bounds (`+Inf` is implied). */
export class Histogram extends Family<HistogramChild> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
  }

  protected create(): HistogramChild {
    const bounds = this.buckets;
    const h = { counts: new Array<number>(bounds.length + 1).fill(0), count: 0, sum: 0, observe };
    function observe(v: number): void {
      let i = 0;
      while (i < bounds.length && v > bounds[i]!) i++;
      h.counts[i]!++;
      h.count++;
      h.sum += v;
    }
    return h;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const { values, child } of this.children.values()) {
      let cum = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        cum += child.counts[i]!;
        const le = i < this.buckets.length ? formatPromValue(this.buckets[i]!) : '+Inf';
        out.push(`${this.name}_bucket${labelText(this.labelNames, values, `le="${le}"`)} ${formatPromValue(cum)}`);
      }
      out.push(`${this.name}_count${labelText(this.labelNames, values)} ${formatPromValue(child.count)}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatPromValue(child.sum)}`);
    }
  }
}

/** Metric families in registration order, plus hooks that refresh gauges before each scrape. */
export class PromRegistry {
  private readonly families: Family<unknown>[] = [];
  private readonly hooks: Array<() => void> = [];

  /** Registers a counter family. */
  counter(name: string, help: string, labelNames: readonly string[]): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  /** Registers a gauge family. */
  gauge(name: string, help: string, labelNames: readonly string[]): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  /** Registers a histogram family with the given bucket upper bounds. */
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** Runs `hook` before every render (for values computed at scrape time). */
  onCollect(hook: () => void): void {
    this.hooks.push(hook);
  }

  /** The whole registry in Prometheus text format 0.0.4. */
  render(): string {
    for (const hook of this.hooks) hook();
    const out: string[] = [];
    for (const f of this.families) f.render(out);
    return `${out.join('\n')}\n`;
  }

  private add<F extends Family<unknown>>(family: F): F {
    if (this.families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.families.push(family);
    return family;
  }
}
