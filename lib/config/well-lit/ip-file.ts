/**
 * What an inference-perf config means beyond its workload's requests, read as inference-perf
 * reads it (kubernetes-sigs/inference-perf `inference_perf/config/config.py` `read_config`, and
 * the pydantic models it names):
 *
 * - An explicit `null` is "not set": inference-perf's optional fields are `Optional[...] = None`,
 *   so `num_requests: null` or `report:` with nothing under it means the default. Nulls are
 *   dropped from mappings before validation (a required key left null is then "required").
 * - An inference-perf config file is one workload at the top level (`load`, `api`, `server`,
 *   `data`, ...), run as a test named after the file.
 * - `metrics.prometheus` and `storage.simple_storage_service` name services this tool uses too:
 *   they become the run's `BENCH_PROMETHEUS_*` and `BENCH_PUBLISH`/AWS variables (config
 *   `client/server_metrics/config.py` `PrometheusClientConfig`, `client/filestorage/config.py`
 *   `SimpleStorageServiceConfig`), set unless the environment already sets them.
 */
import { basename, extname } from 'node:path';
import type { IpWorkload } from './workload-schema.ts';

/** A copy of `value` without the null-valued keys of its mappings (list items are kept). */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
  return out;
}

/** The test name of an inference-perf file's one workload: its file name without extension (`.yaml.in`: both), name-safe. */
export function fileWorkloadName(path: string): string {
  const name = basename(path).replace(/\.in$/, '');
  const stem = basename(name, extname(name)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return stem === '' || stem === 'simulator' ? 'config' : stem;
}

/** An environment variable a workload's section sets for the run. */
export interface DerivedEnv {
  name: string;
  value: string;
  /** The key it comes from: `workload.x.metrics.prometheus.url`. */
  from: string;
}

/**
 * The variables a workload's `metrics` and `storage` sections set. `at` is the workload's path
 * prefix (`workload.x.` or `''` at the top level).
 */
export function derivedEnv(w: Partial<IpWorkload>, at: string): DerivedEnv[] {
  const out: DerivedEnv[] = [];
  const prom = w.metrics?.type === 'prometheus' ? w.metrics.prometheus : undefined;
  if (prom?.url !== undefined) {
    out.push({ name: 'BENCH_PROMETHEUS_URL', value: prom.url, from: `${at}metrics.prometheus.url` });
    out.push({ name: 'BENCH_PROMETHEUS_SCRAPE_INTERVAL_S', value: String(prom.scrape_interval), from: `${at}metrics.prometheus.scrape_interval` });
  }
  const s3 = w.storage?.simple_storage_service;
  if (s3) {
    const prefix = (s3.path ?? '').replace(/\{timestamp\}/g, '').replace(/^\/+|\/+$/g, '').replace(/\/{2,}/g, '/');
    const from = `${at}storage.simple_storage_service`;
    out.push({ name: 'BENCH_PUBLISH', value: `s3://${s3.bucket_name}${prefix ? `/${prefix}` : ''}`, from });
    if (s3.endpoint_url !== undefined) out.push({ name: 'AWS_ENDPOINT_URL_S3', value: s3.endpoint_url, from: `${from}.endpoint_url` });
    if (s3.region_name !== undefined) out.push({ name: 'AWS_REGION', value: s3.region_name, from: `${from}.region_name` });
    if (s3.addressing_style === 'path' || s3.addressing_style === 'virtual') {
      out.push({ name: 'BENCH_PUBLISH_PATH_STYLE', value: String(s3.addressing_style === 'path'), from: `${from}.addressing_style` });
    }
  }
  return out;
}
