import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { clusterDomainUrl, describePromSettings, promSettings, SERVICE_ACCOUNT_TOKEN_PATH } from '../../lib/prom/settings.ts';

/** A file system of the given files (path -> text). */
function fsOf(files: Record<string, string>): { exists: (p: string) => boolean; read: (p: string) => string } {
  return {
    exists: (p) => p in files,
    read: (p) => {
      if (!(p in files)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return files[p]!;
    },
  };
}

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function error(env: Record<string, string>, files: Record<string, string> = {}): ConfigError {
  try {
    promSettings(env, fsOf(files));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('no error');
}

describe('promSettings', () => {
  it('is null when no Prometheus is configured (a token alone configures nothing)', () => {
    expect(promSettings({}, fsOf({}))).toBeNull();
    expect(promSettings({ BENCH_PROMETHEUS_TOKEN: 'abcdefgh', BENCH_PROMETHEUS_URL: '' }, fsOf({}))).toBeNull();
  });

  it('reads a plain URL with defaults', () => {
    expect(promSettings({ BENCH_PROMETHEUS_URL: 'http://prometheus:9090/' }, fsOf({}))).toEqual({
      url: 'http://prometheus:9090',
      urlFrom: 'BENCH_PROMETHEUS_URL',
      token: null,
      tokenSource: null,
      ca: null,
      caFile: null,
      insecure: false,
      timeoutMs: 10_000,
      scrapeIntervalS: 30,
    });
    expect(promSettings({ BENCH_PROMETHEUS_URL: 'https://gw.example.com/prometheus/' }, fsOf({}))!.url).toBe('https://gw.example.com/prometheus');
  });

  it('expands the OpenShift cluster domain, with token, CA, insecure, timeout', () => {
    const s = promSettings(
      {
        BENCH_PROMETHEUS_CLUSTER_DOMAIN: 'apps.example.com',
        BENCH_PROMETHEUS_TOKEN_FILE: '/t',
        BENCH_PROMETHEUS_CA_FILE: '/ca.pem',
        BENCH_PROMETHEUS_INSECURE: 'TRUE',
        BENCH_PROMETHEUS_TIMEOUT_S: '2.5',
        BENCH_PROMETHEUS_SCRAPE_INTERVAL_S: '15',
      },
      fsOf({ '/t': 'sha256~secret-token\n', '/ca.pem': PEM }),
    )!;
    expect(s).toMatchObject({
      url: 'https://prometheus-k8s-openshift-monitoring.apps.example.com',
      urlFrom: 'BENCH_PROMETHEUS_CLUSTER_DOMAIN',
      token: 'sha256~secret-token',
      tokenSource: 'file /t (BENCH_PROMETHEUS_TOKEN_FILE)',
      ca: PEM,
      caFile: '/ca.pem',
      insecure: true,
      timeoutMs: 2500,
      scrapeIntervalS: 15,
    });
    expect(JSON.stringify(describePromSettings(s))).not.toContain('secret-token');
    expect(clusterDomainUrl('Apps.Example.COM.')).toBe('https://prometheus-k8s-openshift-monitoring.apps.example.com');
  });

  it('uses the service-account token only in a pod', () => {
    const files = { [SERVICE_ACCOUNT_TOKEN_PATH]: 'eyJhbGciOi.sa-token\n' };
    expect(promSettings({ BENCH_PROMETHEUS_URL: 'https://p:9091' }, fsOf(files))!.token).toBeNull();
    const inPod = promSettings({ BENCH_PROMETHEUS_URL: 'https://p:9091', KUBERNETES_SERVICE_HOST: '10.0.0.1' }, fsOf(files))!;
    expect(inPod).toMatchObject({ token: 'eyJhbGciOi.sa-token', tokenSource: `in-cluster service-account token ${SERVICE_ACCOUNT_TOKEN_PATH}` });
    const fromEnv = promSettings({ BENCH_PROMETHEUS_URL: 'https://p:9091', KUBERNETES_SERVICE_HOST: '10.0.0.1', BENCH_PROMETHEUS_TOKEN: 'tok-from-env' }, fsOf(files))!;
    expect(fromEnv).toMatchObject({ token: 'tok-from-env', tokenSource: 'env BENCH_PROMETHEUS_TOKEN' });
  });

  it('names the variable of a bad value, never the token', () => {
    expect(error({ BENCH_PROMETHEUS_URL: 'prometheus:9090' }).message).toBe('env: BENCH_PROMETHEUS_URL: expected an http or https URL, got "prometheus"');
    expect(error({ BENCH_PROMETHEUS_URL: 'not a url' }).message).toBe('env: BENCH_PROMETHEUS_URL: expected an http(s) URL like http://prometheus:9090, got "not a url"');
    expect(error({ BENCH_PROMETHEUS_URL: 'http://u:pw@p:9090' }).path).toBe('BENCH_PROMETHEUS_URL');
    expect(error({ BENCH_PROMETHEUS_URL: 'http://p', BENCH_PROMETHEUS_CLUSTER_DOMAIN: 'apps.x.io' }).message).toMatch(/either BENCH_PROMETHEUS_URL or BENCH_PROMETHEUS_CLUSTER_DOMAIN/);
    expect(error({ BENCH_PROMETHEUS_CLUSTER_DOMAIN: 'https://apps.x.io' }).message).toMatch(/^env: BENCH_PROMETHEUS_CLUSTER_DOMAIN: expected a domain like apps.example.com, got a URL/);
    expect(error({ BENCH_PROMETHEUS_CLUSTER_DOMAIN: 'apps_x' }).path).toBe('BENCH_PROMETHEUS_CLUSTER_DOMAIN');
    expect(error({ BENCH_PROMETHEUS_URL: 'http://p', BENCH_PROMETHEUS_TOKEN_FILE: '/missing' }).message).toBe('env: BENCH_PROMETHEUS_TOKEN_FILE: cannot read /missing: ENOENT');
    expect(error({ BENCH_PROMETHEUS_URL: 'http://p', BENCH_PROMETHEUS_TOKEN_FILE: '/e' }, { '/e': ' \n' }).message).toBe('env: BENCH_PROMETHEUS_TOKEN_FILE: /e is empty');
    const spaced = error({ BENCH_PROMETHEUS_URL: 'http://p', BENCH_PROMETHEUS_TOKEN: 'secret part2' });
    expect(spaced.path).toBe('BENCH_PROMETHEUS_TOKEN');
    expect(spaced.message).not.toContain('secret');
    expect(error({ BENCH_PROMETHEUS_URL: 'http://p', BENCH_PROMETHEUS_TOKEN: 'abcd', BENCH_PROMETHEUS_TOKEN_FILE: '/t' }).path).toBe('BENCH_PROMETHEUS_TOKEN');
    expect(error({ BENCH_PROMETHEUS_URL: 'http://p', BENCH_PROMETHEUS_CA_FILE: '/ca' }, { '/ca': 'junk' }).message).toBe('env: BENCH_PROMETHEUS_CA_FILE: /ca holds no PEM certificate');
    expect(error({ BENCH_PROMETHEUS_URL: 'http://p', BENCH_PROMETHEUS_INSECURE: 'maybe' }).message).toBe('env: BENCH_PROMETHEUS_INSECURE: expected true or false, got "maybe"');
    expect(error({ BENCH_PROMETHEUS_URL: 'http://p', BENCH_PROMETHEUS_TIMEOUT_S: '0' }).message).toBe('env: BENCH_PROMETHEUS_TIMEOUT_S: expected a positive number of seconds, at most 2147483.647 s (24.8 days, the longest timer Node.js allows), got "0"');
  });
});
