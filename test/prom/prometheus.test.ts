import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromClient } from '../../lib/prom/client.ts';
import { DEFAULT_METRIC_SETS, GPU_METRICS, type RunFilters } from '../../lib/prom/metric-sets.ts';
import { PromError } from '../../lib/prom/prom-error.ts';
import { queryWindow, type MetricWindowResult } from '../../lib/prom/window.ts';
import { spawnSimulator, type SimProcess } from '../../sim/vllm/spawn.ts';
import { post, readEvents } from '../../sim/vllm/test/sim-client.ts';
import { freePort, prometheusAvailability, startPrometheus, type PrometheusServer } from './prometheus-server.ts';

/*
 * lib/prom against a real Prometheus (Debian's 2.42) scraping a real embedded vLLM simulator at
 * 1 s: idle for two scrapes, then three seconds of load, then one more scrape.
 */

const availability = prometheusAvailability();
const skip = !availability.available;
const title = `lib/prom against real Prometheus${availability.available ? '' : ` (skipped: ${availability.reason})`}`;
// Printed as well, since a summary line only counts skipped tests.
if (!availability.available) console.warn(`test/prom: real-Prometheus tests skipped: ${availability.reason}`);

const MODEL = 'Qwen/Qwen3-0.6B';
const RUN: RunFilters = { namespace: 'bench', pods: ['vllm-sim-0'], model: MODEL };
const TOKEN = 'sekret-token-8f3a9c1d';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip)(title, () => {
  let sim: SimProcess;
  let prom: PrometheusServer;
  let client: PromClient;
  let start: Date;
  let loadStart: Date;
  let end: Date;

  beforeAll(async () => {
    sim = await spawnSimulator({ profile: 'test-fast', tokenizer: 'words', itl_ms: 4, max_num_seqs: 4, kv_cache_blocks: 200, kv_cache_memory_gib: 8, namespace: 'bench', pod_name: 'vllm-sim-0' });
    // Target labels as a PodMonitor would add them: the simulator's DCGM pod labels become exported_*.
    prom = await startPrometheus({ targets: [{ address: new URL(sim.url).host, labels: { namespace: 'bench', pod: 'vllm-sim-0' } }] });
    client = new PromClient({ url: prom.url, token: null, tokenSource: null, ca: null, insecure: false, timeoutMs: 5000 });
    start = new Date(Date.now() - 500);
    await sleep(1200);
    loadStart = new Date();
    const prompt = Array.from({ length: 100 }, (_, i) => `p${i}`).join(' ');
    const until = performance.now() + 2500;
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; performance.now() < until; i++) await readEvents(await post(`${sim.url}/v1/completions`, { prompt: `${w}-${i} ${prompt}`, max_tokens: 150, stream: true }));
      }),
    );
    await sleep(1300);
    end = new Date();
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await prom?.stop();
    await sim?.stop();
  });

  it('instant query: typed vector, NaN and +Inf parsed', async () => {
    const up = await client.query('up{job="sim"}');
    expect(up.resultType).toBe('vector');
    if (up.resultType !== 'vector') return;
    expect(up.result).toHaveLength(1);
    expect(up.result[0]!.labels).toMatchObject({ __name__: 'up', job: 'sim', instance: new URL(sim.url).host });
    expect(up.result[0]!.value).toBe(1);
    const odd = await client.query('vector(0) / 0 or label_replace(vector(1) / 0, "x", "inf", "", "")');
    if (odd.resultType !== 'vector') throw new Error(odd.resultType);
    const values = odd.result.map((s) => s.value);
    expect(values.some(Number.isNaN)).toBe(true);
    expect(values).toContain(Infinity);
    const scalar = await client.query('scalar(vector(-1/0))', end);
    expect(scalar).toMatchObject({ resultType: 'scalar', result: { value: -Infinity, time: Math.round(end.getTime()) / 1000 } });
  });

  it('query_range: the modeled GPU series rise under load', async () => {
    const util = await client.queryRange(`DCGM_FI_DEV_GPU_UTIL{namespace="bench",pod="vllm-sim-0"}`, start, end, 1);
    expect(util.series).toHaveLength(1);
    expect(util.series[0]!.labels).toMatchObject({ gpu: '0', device: 'nvidia0', modelName: 'NVIDIA H100 80GB HBM3', container: 'vllm', exported_namespace: 'bench', exported_pod: 'vllm-sim-0' });
    const points = util.series[0]!.points;
    expect(points.length).toBeGreaterThanOrEqual(4);
    const idle = points.filter(([t]) => t * 1000 < loadStart.getTime()).map(([, v]) => v);
    expect(idle.length).toBeGreaterThan(0);
    expect(Math.max(...idle)).toBe(0);
    expect(Math.max(...points.map(([, v]) => v))).toBeGreaterThanOrEqual(60);
    const used = await client.queryRange('DCGM_FI_DEV_FB_USED', start, end, 1);
    const mib = used.series[0]!.points.map(([, v]) => v);
    expect(Math.max(...mib)).toBeGreaterThan(Math.min(...mib));
  });

  it('query_range beyond 11,000 points is split and merged', async () => {
    const r = await client.queryRange('vector(1)', new Date(end.getTime() - 30_000), end, 0.002);
    expect(r.requests).toBe(2);
    expect(r.stepS).toBe(0.002);
    expect(r.series).toHaveLength(1);
    expect(r.series[0]!.points).toHaveLength(15_001);
    const times = r.series[0]!.points.map(([t]) => t);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeCloseTo(0.002, 6);
  });

  it('queryWindow: default sets tied to the run; absent metrics are absent, not zero', async () => {
    const results = await queryWindow(client, DEFAULT_METRIC_SETS, { start, end, stepS: 1, scrapeIntervalS: 1 }, RUN);
    const by = new Map(results.map((r) => [r.name, r] as [string, MetricWindowResult]));
    for (const name of ['gpu.utilizationPct', 'gpu.memoryUsedMiB', 'gpu.memoryFreeMiB', 'gpu.powerW', 'vllm.requestsRunning', 'vllm.requestsWaiting', 'vllm.kvCacheUsage', 'vllm.prefixCacheHitRate', 'vllm.requestSuccessRate']) {
      expect(by.get(name), name).toMatchObject({ status: 'ok' });
    }
    expect(by.get('gpu.utilizationPct')!.summary.max).toBeGreaterThanOrEqual(60);
    expect(by.get('gpu.utilizationPct')!.summary.min).toBe(0);
    expect(by.get('gpu.powerW')!.summary.max).toBeGreaterThan(400);
    expect(by.get('vllm.requestsRunning')!.summary.max).toBeGreaterThanOrEqual(1);
    expect(by.get('vllm.requestSuccessRate')!.series[0]!.labels).toMatchObject({ finished_reason: expect.any(String) });
    expect(by.get('gpu.memoryUsedMiB')!.query).toBe(
      'DCGM_FI_DEV_FB_USED{namespace="bench",pod=~"vllm-sim-0"} or DCGM_FI_DEV_FB_USED{exported_namespace="bench",exported_pod=~"vllm-sim-0"}',
    );
    for (const name of ['controller.actuations', 'controller.actuationP50S', 'controller.actuationP90S', 'controller.actuationP99S']) {
      expect(by.get(name), name).toMatchObject({ status: 'absent', reason: 'no series matched in the window', series: [], summary: { min: null, max: null, mean: null, last: null } });
    }
    // Another namespace's run sees none of this simulator's series.
    const other = await queryWindow(client, [GPU_METRICS], { start, end, stepS: 1, scrapeIntervalS: 1 }, { ...RUN, namespace: 'other' });
    expect(other.map((r) => r.status)).toEqual(['absent', 'absent', 'absent', 'absent']);
  });

  it("bad PromQL: Prometheus' own error text and errorType; the other metrics still run", async () => {
    const err = await client.query('rate(vllm:num_requests_running[5m)').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromError);
    expect((err as PromError).code).toBe('PROM_QUERY');
    expect((err as PromError).errorType).toBe('bad_data');
    expect((err as PromError).message).toMatch(new RegExp(`^Prometheus at ${prom.url}: query failed \\(HTTP 400, bad_data\\): .*parse error`));
    const results = await queryWindow(client, [{ name: 'bad', unit: '1', query: 'sum(' }, GPU_METRICS.metrics[0]!], { start, end, stepS: 1, scrapeIntervalS: 1 }, RUN);
    expect(results[0]).toMatchObject({ status: 'error', reason: expect.stringContaining('parse error') });
    expect(results[1]).toMatchObject({ status: 'ok' });
  });

  it('unreachable: connection refused and no answer, each one clear line within the timeout', async () => {
    const port = await freePort();
    const refused = new PromClient({ url: `http://127.0.0.1:${port}`, token: TOKEN, tokenSource: 'env BENCH_PROMETHEUS_TOKEN', ca: null, insecure: false, timeoutMs: 2000 });
    const e1 = (await refused.query('up').catch((e: unknown) => e)) as PromError;
    expect(e1.code).toBe('PROM_UNREACHABLE');
    expect(e1.message).toMatch(new RegExp(`^Prometheus at http://127.0.0.1:${port}: unreachable: connection refused`));
    await refused.close();

    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const slow = new PromClient({ url, token: null, tokenSource: null, ca: null, insecure: false, timeoutMs: 500 });
    const t0 = performance.now();
    const results = await queryWindow(slow, [GPU_METRICS], { start, end, stepS: 1 }, RUN);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2500);
    expect(results.every((r) => r.status === 'error' && r.reason === `Prometheus at ${url}: no answer within 0.5 s (BENCH_PROMETHEUS_TIMEOUT_S)`)).toBe(true);
    await slow.close();
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  });

  it('TLS: a self-signed server fails verification, and works with its CA or with verification off', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-prom-tls-'));
    try {
      try {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      } catch {
        ctx.skip('openssl is not available to make a certificate');
      }
      const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      const tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
        const up = httpRequest(`${prom.url}${req.url}`, (pres) => {
          res.writeHead(pres.statusCode!, pres.headers);
          pres.pipe(res);
        });
        up.on('error', () => res.writeHead(502).end());
        up.end();
      });
      await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
      const url = `https://127.0.0.1:${(tls.address() as { port: number }).port}`;
      const make = (ca: string | null, insecure: boolean): PromClient => new PromClient({ url, token: null, tokenSource: null, ca, insecure, timeoutMs: 3000 });
      const strict = make(null, false);
      const e = (await strict.query('up').catch((x: unknown) => x)) as PromError;
      expect(e.code).toBe('PROM_UNREACHABLE');
      expect(e.message).toMatch(new RegExp(`^Prometheus at ${url}: unreachable: TLS handshake failed \\(self[- ]signed certificate`));
      for (const c of [make(cert, false), make(null, true)]) {
        expect((await c.query('up{job="sim"}')).resultType).toBe('vector');
        await c.close();
      }
      await strict.close();
      tls.closeAllConnections();
      await new Promise((r) => tls.close(r));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('behind an auth-checking proxy', () => {
    let proxy: Server;
    let proxyUrl: string;
    beforeAll(async () => {
      // Lets `Bearer TOKEN` through to Prometheus; anything else is a 401 that quotes the header back.
      proxy = createServer((req, res) => {
        if (req.url!.startsWith('/html/')) {
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Log in with OpenShift</body></html>');
          return;
        }
        if (req.headers.authorization !== `Bearer ${TOKEN}`) {
          res.writeHead(401, { 'content-type': 'text/plain' }).end(`Unauthorized: got ${req.headers.authorization ?? 'no header'}`);
          return;
        }
        const up = httpRequest(`${prom.url}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(prom.url).host } }, (pres) => {
          res.writeHead(pres.statusCode!, pres.headers);
          pres.pipe(res);
        });
        up.on('error', () => res.writeHead(502).end());
        req.pipe(up);
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    });

    const make = (url: string, token: string | null, tokenSource: string | null): PromClient => new PromClient({ url, token, tokenSource, ca: null, insecure: false, timeoutMs: 3000 });

    it('the right token passes; a wrong one is a 401 naming its source, never the token', async () => {
      const ok = make(proxyUrl, TOKEN, 'env BENCH_PROMETHEUS_TOKEN');
      const r = await ok.query('up{job="sim"}');
      expect(r.resultType).toBe('vector');
      await ok.close();

      const wrongToken = `${TOKEN}-old`;
      const wrong = make(proxyUrl, wrongToken, 'file /tmp/prom-token (BENCH_PROMETHEUS_TOKEN_FILE)');
      const e = (await wrong.query('up').catch((x: unknown) => x)) as PromError;
      expect(e.code).toBe('PROM_UNAUTHORIZED');
      expect(e.message).toBe(`Prometheus at ${proxyUrl}: HTTP 401 Unauthorized with the bearer token from file /tmp/prom-token (BENCH_PROMETHEUS_TOKEN_FILE): Unauthorized: got Bearer ***`);
      expect(e.message).not.toContain(wrongToken);
      expect(String(e.stack)).not.toContain(wrongToken);
      const window = await queryWindow(wrong, DEFAULT_METRIC_SETS, { start, end, stepS: 1 }, RUN);
      for (const m of window) {
        expect(m.status).toBe('error');
        expect(JSON.stringify(m)).not.toContain(wrongToken);
      }
      await wrong.close();

      const none = make(proxyUrl, null, null);
      const e2 = (await none.query('up').catch((x: unknown) => x)) as PromError;
      expect(e2.message).toBe(`Prometheus at ${proxyUrl}: HTTP 401 Unauthorized without a token (set BENCH_PROMETHEUS_TOKEN or BENCH_PROMETHEUS_TOKEN_FILE): Unauthorized: got no header`);
      await none.close();
    });

    it('a page that is not the API (a login page, the simulator) is a clear bad response', async () => {
      const html = make(`${proxyUrl}/html`, TOKEN, 'env BENCH_PROMETHEUS_TOKEN');
      const e = (await html.query('up').catch((x: unknown) => x)) as PromError;
      expect(e.code).toBe('PROM_BAD_RESPONSE');
      expect(e.message).toBe(`Prometheus at ${proxyUrl}/html: HTTP 200 with text/html, not the Prometheus API's JSON (is this the Prometheus base URL?)`);
      await html.close();
      const notProm = make(sim.url, null, null);
      const e2 = (await notProm.query('up').catch((x: unknown) => x)) as PromError;
      expect(e2.code).toBe('PROM_BAD_RESPONSE');
      expect(e2.message).toMatch(new RegExp(`^Prometheus at ${sim.url}: HTTP 404`));
      await notProm.close();
    });
  });
});
