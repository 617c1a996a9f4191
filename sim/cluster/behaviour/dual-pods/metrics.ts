/**
 * The controller's Prometheus metrics (protocol section 3, "Prometheus metrics (DPC)";
 * `FMA:docs/metrics.md`), rendered in the text exposition format the DPC serves on `:8002/metrics`:
 *
 * - `fma_actuation_seconds{exported_namespace,path,instancesDeleted,isc_name}`: observed once,
 *   on the first positive readiness relay actually sent; value = now − requester container
 *   `startedAt`; buckets 0 … 1920 (section 3);
 * - `fma_http_latency_seconds{purpose,method,exported_namespace,isc_name,status_code}`: every
 *   HTTP call (`doHTTP`); Prometheus' default buckets;
 * - `fma_launcher_create_seconds{exported_namespace,lcfg_name,success}`: the API call creating a
 *   launcher Pod;
 * - `fma_duality{exported_namespace,requester_name,exported_pod,exported_container,instance_id,UUID,node}`:
 *   1 while a requester is bound to a launcher instance, 0 after.
 */
import { goFloat } from './klog.ts';

/** Buckets of `fma_actuation_seconds` (section 3). */
export const ACTUATION_BUCKETS = [0, 1, 3, 5, 7.5, 10, 15, 30, 60, 120, 240, 480, 960, 1920] as const;
/** Prometheus client_golang's `DefBuckets`. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return `{${parts.join(',')}}`;
}

interface Series {
  values: string[];
  counts: number[];
  sum: number;
  count: number;
}

/** A vector of classic histograms keyed by label values. */
export class HistogramVec {
  private readonly series = new Map<string, Series>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {}

  /** Records one observation for the label values (in `labelNames` order). */
  observe(values: readonly string[], v: number): void {
    const key = JSON.stringify(values);
    let s = this.series.get(key);
    if (!s) {
      s = { values: [...values], counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    this.buckets.forEach((b, i) => {
      if (v <= b) s.counts[i]! += 1;
    });
    s.sum += v;
    s.count += 1;
  }

  /** Number of observations with these label values. */
  count(values: readonly string[]): number {
    return this.series.get(JSON.stringify(values))?.count ?? 0;
  }

  /** Text exposition lines. */
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of [...this.series.values()].sort((a, b) => (JSON.stringify(a.values) < JSON.stringify(b.values) ? -1 : 1))) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, ['le', goFloat(b)])} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, s.values)} ${goFloat(s.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, s.values)} ${s.count}`);
    }
    return out;
  }
}

/** A vector of gauges keyed by label values. */
export class GaugeVec {
  private readonly series = new Map<string, { values: string[]; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  set(values: readonly string[], v: number): void {
    this.series.set(JSON.stringify(values), { values: [...values], value: v });
  }

  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const s of this.series.values()) out.push(`${this.name}${labelText(this.labelNames, s.values)} ${goFloat(s.value)}`);
    return out;
  }
}

/** The controller's metric set. */
export class DualPodsMetrics {
  readonly actuation = new HistogramVec(
    'fma_actuation_seconds',
    'Time from requester inference-server container start to completion of the first readiness relay.',
    ['exported_namespace', 'path', 'instancesDeleted', 'isc_name'],
    ACTUATION_BUCKETS,
  );
  readonly httpLatency = new HistogramVec(
    'fma_http_latency_seconds',
    'Latency of HTTP calls from the dual-pods controller.',
    ['purpose', 'method', 'exported_namespace', 'isc_name', 'status_code'],
    DEFAULT_BUCKETS,
  );
  readonly launcherCreate = new HistogramVec(
    'fma_launcher_create_seconds',
    'Latency of the Kubernetes API call creating a launcher Pod.',
    ['exported_namespace', 'lcfg_name', 'success'],
    DEFAULT_BUCKETS,
  );
  readonly duality = new GaugeVec('fma_duality', '1 while a server-requesting Pod is bound to a vLLM instance in a launcher, 0 after.', [
    'exported_namespace',
    'requester_name',
    'exported_pod',
    'exported_container',
    'instance_id',
    'UUID',
    'node',
  ]);

  /** The exposition text (`/metrics`). */
  text(): string {
    return `${[...this.actuation.render(), ...this.httpLatency.render(), ...this.launcherCreate.render(), ...this.duality.render()].join('\n')}\n`;
  }
}
