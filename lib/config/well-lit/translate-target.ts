/**
 * The endpoint a well-lit-path config describes: `endpoint` (base_url, model, stack_name) and
 * each workload's `server` (base_url, model_name, type, ignore_eos, api_key) and `api.headers`.
 * A config runs against one endpoint, so every place that names a setting must name the same
 * value; a disagreement is a problem, not a choice made silently.
 */
import type { IssueList } from './issues.ts';
import type { IpWorkload } from './workload-schema.ts';
import type { WellLitSections } from './sections-schema.ts';

/** Server software a config can name (inference-perf `server.type`). */
export type ConfigBackend = 'vllm' | 'sglang' | 'tgi';

/** The endpoint of a config, before the environment has its say. */
export interface ConfigEndpoint {
  /** Target name for reports: `endpoint.stack_name` made name-safe, else `config`. */
  name: string;
  baseUrl?: string;
  model?: string;
  backend: ConfigBackend;
  /** Send ignore_eos (inference-perf's default: true). */
  ignoreEos: boolean;
  headers?: Record<string, string>;
  /** Bearer key from `server.api_key`. Never log it. */
  apiKey?: string;
  /** Where the key was written (`workload.x.server.api_key`), for messages. */
  apiKeyPath?: string;
  /** Where `baseUrl` was written (`endpoint.base_url`). */
  baseUrlPath?: string;
}

/** One setting as written somewhere in the file. */
interface Seen<T> {
  value: T;
  path: string;
}

/**
 * Merges the endpoint from `endpoint` and the workloads' `server`/`api` sections, recording a
 * problem wherever two places disagree.
 */
export function mergeEndpoint(
  file: Pick<WellLitSections, 'endpoint'>,
  workloads: ReadonlyArray<{ name: string; w: Partial<IpWorkload>; /** Where the workload is written; default `workload.<name>`, `''` at the top level. */ origin?: string }>,
  issues: IssueList,
  /** Target name when the file has no `endpoint.stack_name` (default `config`). */
  fallbackName = 'config',
): ConfigEndpoint {
  const seen = new Map<string, Seen<unknown>>();
  const agree = <T>(key: string, value: T | undefined, path: string, secret = false): void => {
    if (value === undefined) return;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, { value, path });
      return;
    }
    if (same(first.value, value)) return;
    const shown = secret ? '' : ` (${JSON.stringify(first.value)})`;
    issues.add(path.split('.'), `${secret ? 'differs' : `${JSON.stringify(value)} differs`} from ${first.path}${shown}: one config runs against one endpoint`);
  };
  const ep = file.endpoint;
  agree('base_url', ep?.base_url && trimSlash(ep.base_url), 'endpoint.base_url');
  agree('model', ep?.model, 'endpoint.model');
  for (const { name, w, origin } of workloads) {
    const s = w.server;
    const base = origin ?? `workload.${name}`;
    const at = (key: string): string => (base ? `${base}.${key}` : key);
    agree('base_url', s?.base_url && trimSlash(s.base_url), at('server.base_url'));
    agree('model', s?.model_name, at('server.model_name'));
    agree('type', s?.type, at('server.type'));
    agree('ignore_eos', s?.ignore_eos, at('server.ignore_eos'));
    agree('api_key', s?.api_key || undefined, at('server.api_key'), true);
    agree('headers', w.api?.headers, at('api.headers'));
  }
  const get = <T>(key: string): Seen<T> | undefined => seen.get(key) as Seen<T> | undefined;
  const endpoint: ConfigEndpoint = {
    name: safeName(ep?.stack_name) ?? safeName(fallbackName) ?? 'config',
    backend: get<ConfigBackend>('type')?.value ?? 'vllm',
    ignoreEos: get<boolean>('ignore_eos')?.value ?? true,
  };
  const baseUrl = get<string>('base_url');
  if (baseUrl) Object.assign(endpoint, { baseUrl: baseUrl.value, baseUrlPath: baseUrl.path });
  const model = get<string>('model');
  if (model) endpoint.model = model.value;
  const headers = get<Record<string, string>>('headers');
  if (headers) endpoint.headers = headers.value;
  const key = get<string>('api_key');
  if (key) Object.assign(endpoint, { apiKey: key.value, apiKeyPath: key.path });
  return endpoint;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `inf-scheduling Qwen3/32B` → `inf-scheduling-Qwen3-32B`; reserved or empty names give undefined. */
function safeName(name: string | undefined): string | undefined {
  const safe = name?.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return safe && safe !== 'simulator' ? safe : undefined;
}
