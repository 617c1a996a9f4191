import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveTarget } from '../../lib/config/resolve-target.ts';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { preflight } from '../../lib/http/preflight.ts';
import { HttpTarget } from '../../lib/http/target.ts';
import { openTarget } from '../../lib/scenario/open.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import { scrapeMetrics } from '../../lib/server-metrics/scrape.ts';
import { runOn, simTarget } from '../scenario/sim-target.ts';
import { driveOne, MODEL, TIMEOUTS } from './drive.ts';

/**
 * An https endpoint with a self-signed certificate (made by the openssl CLI for this test): it
 * is reached by trusting that certificate as the CA (`tls.ca_file`, `BENCH_TLS_CA_FILE`) or by
 * turning verification off (`tls.insecure_skip_verify`), never by NODE_TLS_REJECT_UNAUTHORIZED;
 * the preflight and the `/metrics` scrape use the same settings as the requests.
 */
let dir: string;
let cert: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  const { readFileSync } = await import('node:fs');
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    req.resume();
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ data: [{ id: MODEL }] }));
    }
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('vllm:num_requests_running{model_name="m"} 0\n');
    }
    if (req.url === '/version') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'text_completion', choices: [{ index: 0, text: ' secure', finish_reason: 'length' }] }));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('https with a self-signed certificate', () => {
  test('unverifiable by default: a tls failure', async () => {
    const r = await driveOne({ url, stream: false });
    expect(r.error?.class).toBe('tls');
    expect(r.error!.message).toMatch(/self-signed|SELF_SIGNED/i);
  });

  test('trusting the certificate as the CA: requests succeed', async () => {
    const r = await driveOne({ url, stream: false, tls: { ca: cert } });
    expect(r.error).toBeNull();
    expect(r.outputChars).toBe(' secure'.length);
  });

  test('insecure_skip_verify: requests succeed without verification', async () => {
    const r = await driveOne({ url, stream: false, tls: { insecureSkipVerify: true } });
    expect(r.error).toBeNull();
  });

  test('a run with verification off says so in its report', async () => {
    const requests = new RequestsFile(join(dir, 'requests.jsonl'));
    try {
      const target = { ...simTarget(url, 'words'), http: new HttpTarget({ baseUrl: url, timeouts: TIMEOUTS, tls: { insecureSkipVerify: true } }) };
      const report = await runOn('tls', dir, requests, 'insecure', target, {
        stream: false, warmup_requests: 0, num_requests: 2, load: { type: 'concurrency', concurrency: 1 }, data: { type: 'synthetic', prompt_tokens: [8], max_tokens: [4] },
      });
      expect(report.stats.requests.successful).toBe(2);
      expect(report.workload.notes).toContain('TLS CERTIFICATE VERIFICATION WAS OFF (tls.insecure_skip_verify): the server was not authenticated');
    } finally {
      requests.close();
    }
  });

  test('the preflight and the /metrics scrape use the target settings', async () => {
    const plain = new HttpTarget({ baseUrl: url, timeouts: TIMEOUTS });
    await expect(preflight(plain, null, null, 5000)).rejects.toThrow(/TLS handshake failed/);
    const trusted = new HttpTarget({ baseUrl: url, timeouts: TIMEOUTS, tls: { ca: cert } });
    expect((await preflight(trusted, null, null, 5000)).model).toBe(MODEL);
    expect((await scrapeMetrics(`${url}/metrics`)).ok).toBe(false);
    const scraped = await scrapeMetrics(`${url}/metrics`, { tls: trusted.tlsConnectOptions() });
    expect(scraped.ok).toBe(true);
  });
});

describe('configuring it', () => {
  test('tls.ca_file relative to targets.yaml reaches the endpoint through openTarget', async () => {
    const conf = join(dir, 'conf');
    execFileSync('mkdir', ['-p', join(conf, 'certs')]);
    writeFileSync(join(conf, 'certs', 'ca.pem'), cert);
    writeFileSync(join(conf, 'targets.yaml'), `targets:\n  - name: private\n    base_url: ${url}\n    tls:\n      ca_file: certs/ca.pem\n`);
    const sel = resolveTarget({ cwd: dir, env: { BENCH_TARGETS_FILE: join(conf, 'targets.yaml') } });
    expect(sel.kind === 'endpoint' && sel.tls?.caFile).toBe('certs/ca.pem');
    const opened = await openTarget(sel);
    try {
      expect(opened.info.model).toBe(MODEL);
    } finally {
      await opened.close();
    }
  });

  test('BENCH_TLS_CA_FILE for the one-off BENCH_BASE_URL target', async () => {
    writeFileSync(join(dir, 'env-ca.pem'), cert);
    const sel = resolveTarget({ cwd: dir, env: { BENCH_BASE_URL: url, BENCH_TLS_CA_FILE: 'env-ca.pem' } });
    expect(sel.overrides).toContainEqual({ path: 'target.tls.ca_file', value: 'env-ca.pem', source: 'env BENCH_TLS_CA_FILE' });
    const opened = await openTarget(sel);
    await opened.close();
  });

  test('a missing or non-PEM CA file is one line, without the file content', () => {
    const err = (env: Record<string, string>): string => {
      try {
        resolveTarget({ cwd: dir, env });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(err({ BENCH_BASE_URL: url, BENCH_TLS_CA_FILE: 'nope.pem' })).toMatch(/^env: BENCH_TLS_CA_FILE: file not found: .*nope\.pem$/);
    writeFileSync(join(dir, 'secret.txt'), 'sk-not-a-cert-SECRET\n');
    const msg = err({ BENCH_BASE_URL: url, BENCH_TLS_CA_FILE: 'secret.txt' });
    expect(msg).toBe('env: BENCH_TLS_CA_FILE: "secret.txt" is not a PEM certificate file (no -----BEGIN CERTIFICATE----- line)');
    expect(err({ BENCH_TLS_CA_FILE: 'x.pem' })).toMatch(/does not apply to the embedded simulator/);
    writeFileSync(join(dir, 'both.yaml'), `targets:\n  - name: both\n    base_url: ${url}\n    tls: {ca_file: env-ca.pem, insecure_skip_verify: true}\n`);
    expect(err({ BENCH_TARGETS_FILE: join(dir, 'both.yaml') })).toMatch(/tls: set ca_file .* or insecure_skip_verify .*, not both/);
  });
});
