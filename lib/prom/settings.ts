/**
 * Where Prometheus is and how to talk to it, read from `BENCH_PROMETHEUS_*` environment
 * variables. Nothing set means no Prometheus: {@link promSettings} returns null and runs go on
 * without server-side series.
 *
 * | variable | meaning |
 * | --- | --- |
 * | `BENCH_PROMETHEUS_URL` | base URL of the Prometheus HTTP API, e.g. `http://prometheus:9090` (a path prefix is kept) |
 * | `BENCH_PROMETHEUS_CLUSTER_DOMAIN` | OpenShift shorthand: `apps.example.com` means `https://prometheus-k8s-openshift-monitoring.apps.example.com` |
 * | `BENCH_PROMETHEUS_TOKEN` | bearer token (e.g. `oc whoami -t`) |
 * | `BENCH_PROMETHEUS_TOKEN_FILE` | file holding the bearer token; in a pod it defaults to the service-account token |
 * | `BENCH_PROMETHEUS_CA_FILE` | PEM file of the CA that signed the server's certificate |
 * | `BENCH_PROMETHEUS_INSECURE` | `true`: do not verify the server's certificate |
 * | `BENCH_PROMETHEUS_TIMEOUT_S` | per-request timeout in seconds (connect, headers, body, whole request); default 10 |
 * | `BENCH_PROMETHEUS_SCRAPE_INTERVAL_S` | the server's scrape interval, for `rate()` windows; default 30 (OpenShift's) |
 */
import { existsSync, readFileSync } from 'node:fs';
import { settings } from '../settings/registry.ts';
import type { Env } from '../config/substitute.ts';
import { ConfigError } from '../errors/config-error.ts';
import { addSecrets } from '../config/secrets.ts';

/** The in-cluster service-account token, used when running in a pod and no token is configured. */
export const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The OpenShift monitoring route's host prefix: `prometheus-k8s-openshift-monitoring.<cluster domain>`. */
export const OPENSHIFT_PROMETHEUS_HOST_PREFIX = 'prometheus-k8s-openshift-monitoring';

/** Default per-request timeout, and the scrape interval assumed for `rate()` windows (OpenShift monitoring's), in seconds. */
export { DEFAULT_PROM_TIMEOUT_S, DEFAULT_SCRAPE_INTERVAL_S } from '../settings/metrics.ts';

/** How to reach one Prometheus server. Holds the token: never log or serialise it whole (see {@link describePromSettings}). */
export interface PromSettings {
  /** Base URL without a trailing slash, e.g. `https://prometheus-k8s-openshift-monitoring.apps.example.com`. */
  url: string;
  /** Which variable gave the URL. */
  urlFrom: 'BENCH_PROMETHEUS_URL' | 'BENCH_PROMETHEUS_CLUSTER_DOMAIN';
  /** Bearer token, or null to send none. */
  token: string | null;
  /**
   * Where the token came from, for messages (`env BENCH_PROMETHEUS_TOKEN`,
   * `file /path (BENCH_PROMETHEUS_TOKEN_FILE)`, `in-cluster service-account token /var/run/...`); null without a token.
   */
  tokenSource: string | null;
  /** PEM text of a custom CA, or null for Node's default trust store. */
  ca: string | null;
  /** The CA file's path (for reports), or null. */
  caFile: string | null;
  /** Skip verification of the server's certificate. */
  insecure: boolean;
  /** Per-request timeout, in ms. */
  timeoutMs: number;
  /** The server's scrape interval, in seconds (sizes `rate()` windows). */
  scrapeIntervalS: number;
}

/**
 * The Prometheus settings from the environment, or null when neither `BENCH_PROMETHEUS_URL` nor
 * `BENCH_PROMETHEUS_CLUSTER_DOMAIN` is set. Reads the token and CA files now, so a wrong path
 * fails at start-up. Throws {@link ConfigError} (source `env`) naming the variable for a bad value.
 */
export function promSettings(env: Env = process.env, fs: { exists: (p: string) => boolean; read: (p: string) => string } = defaultFs): PromSettings | null {
  const s = settings(env);
  const rawUrl = s.get('BENCH_PROMETHEUS_URL');
  const domain = s.get('BENCH_PROMETHEUS_CLUSTER_DOMAIN');
  if (rawUrl === undefined && domain === undefined) return null;
  if (rawUrl !== undefined && domain !== undefined) {
    throw new ConfigError('env', 'BENCH_PROMETHEUS_URL', 'set either BENCH_PROMETHEUS_URL or BENCH_PROMETHEUS_CLUSTER_DOMAIN, not both');
  }
  const url = rawUrl !== undefined ? baseUrl(rawUrl) : clusterDomainUrl(domain!);
  const { token, tokenSource } = readToken(env, fs);
  // Wherever it was read from (a file, the service account), the token is a secret of the run.
  addSecrets(token);
  const caFile = s.get('BENCH_PROMETHEUS_CA_FILE') ?? null;
  const ca = caFile === null ? null : readCa(caFile, fs);
  return {
    url,
    urlFrom: rawUrl !== undefined ? 'BENCH_PROMETHEUS_URL' : 'BENCH_PROMETHEUS_CLUSTER_DOMAIN',
    token,
    tokenSource,
    ca,
    caFile,
    insecure: s.get('BENCH_PROMETHEUS_INSECURE'),
    timeoutMs: s.get('BENCH_PROMETHEUS_TIMEOUT_S') * 1000,
    scrapeIntervalS: s.get('BENCH_PROMETHEUS_SCRAPE_INTERVAL_S'),
  };
}

/** The settings fit for a report or log: the token replaced by its source. */
export function describePromSettings(s: PromSettings): Record<string, unknown> {
  return { url: s.url, urlFrom: s.urlFrom, token: s.tokenSource, caFile: s.caFile, insecure: s.insecure, timeoutS: s.timeoutMs / 1000, scrapeIntervalS: s.scrapeIntervalS };
}

/** `https://prometheus-k8s-openshift-monitoring.<domain>` for an OpenShift cluster domain (`apps.example.com`). */
export function clusterDomainUrl(domain: string): string {
  const d = domain.replace(/\.$/, '').toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(d)) {
    throw new ConfigError('env', 'BENCH_PROMETHEUS_CLUSTER_DOMAIN', `expected a domain like apps.example.com, got a URL ${JSON.stringify(domain)} (use BENCH_PROMETHEUS_URL for a URL)`);
  }
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(d)) {
    throw new ConfigError('env', 'BENCH_PROMETHEUS_CLUSTER_DOMAIN', `expected a domain like apps.example.com, got ${JSON.stringify(domain)}`);
  }
  return `https://${OPENSHIFT_PROMETHEUS_HOST_PREFIX}.${d}`;
}

function baseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('env', 'BENCH_PROMETHEUS_URL', `expected an http(s) URL like http://prometheus:9090, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('env', 'BENCH_PROMETHEUS_URL', `expected an http or https URL, got ${JSON.stringify(url.protocol.slice(0, -1))}`);
  }
  if (url.username || url.password) {
    throw new ConfigError('env', 'BENCH_PROMETHEUS_URL', 'credentials in the URL are not supported (they would show in reports); use BENCH_PROMETHEUS_TOKEN or BENCH_PROMETHEUS_TOKEN_FILE');
  }
  if (url.search || url.hash) {
    throw new ConfigError('env', 'BENCH_PROMETHEUS_URL', 'expected a base URL without a query string or fragment');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function readToken(env: Env, fs: { exists: (p: string) => boolean; read: (p: string) => string }): { token: string | null; tokenSource: string | null } {
  const s = settings(env);
  const fromEnv = s.get('BENCH_PROMETHEUS_TOKEN');
  const file = s.get('BENCH_PROMETHEUS_TOKEN_FILE');
  if (fromEnv !== undefined && file !== undefined) {
    throw new ConfigError('env', 'BENCH_PROMETHEUS_TOKEN', 'set either BENCH_PROMETHEUS_TOKEN or BENCH_PROMETHEUS_TOKEN_FILE, not both');
  }
  if (fromEnv !== undefined) return { token: checkToken(fromEnv, 'BENCH_PROMETHEUS_TOKEN'), tokenSource: 'env BENCH_PROMETHEUS_TOKEN' };
  if (file !== undefined) {
    let text: string;
    try {
      text = fs.read(file);
    } catch (err) {
      throw new ConfigError('env', 'BENCH_PROMETHEUS_TOKEN_FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const token = text.trim();
    if (!token) throw new ConfigError('env', 'BENCH_PROMETHEUS_TOKEN_FILE', `${file} is empty`);
    return { token: checkToken(token, 'BENCH_PROMETHEUS_TOKEN_FILE'), tokenSource: `file ${file} (BENCH_PROMETHEUS_TOKEN_FILE)` };
  }
  // In a pod (as the Kubernetes clients do): the mounted service-account token.
  if (s.has('KUBERNETES_SERVICE_HOST') && fs.exists(SERVICE_ACCOUNT_TOKEN_PATH)) {
    let token = '';
    try {
      token = fs.read(SERVICE_ACCOUNT_TOKEN_PATH).trim();
    } catch {
      // Unreadable: go on without a token; a 401 will then say no token was sent.
    }
    if (token) return { token, tokenSource: `in-cluster service-account token ${SERVICE_ACCOUNT_TOKEN_PATH}` };
  }
  return { token: null, tokenSource: null };
}

/** A token must fit in one header line; the message never quotes it. */
function checkToken(token: string, variable: string): string {
  if (/[\r\n\0]/.test(token) || /\s/.test(token)) throw new ConfigError('env', variable, 'the token contains whitespace or control characters (expected one line, no spaces)');
  return token;
}

function readCa(file: string, fs: { read: (p: string) => string }): string {
  let text: string;
  try {
    text = fs.read(file);
  } catch (err) {
    throw new ConfigError('env', 'BENCH_PROMETHEUS_CA_FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('env', 'BENCH_PROMETHEUS_CA_FILE', `${file} holds no PEM certificate`);
  return text;
}

const defaultFs = {
  exists: (p: string) => existsSync(p),
  read: (p: string) => readFileSync(p, 'utf8'),
};
