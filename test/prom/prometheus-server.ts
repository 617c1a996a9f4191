/**
 * A real Prometheus server for tests: Debian's `prometheus` binary (`/usr/bin/prometheus`, 2.42;
 * `.ci/run` installs it) on 127.0.0.1 with a free port, a temporary TSDB, and a generated config
 * scraping the given targets every second. Where the binary is absent, tests skip with a visible
 * reason, except under CI, where its absence is an error telling how to install it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The binary the tests run (`BENCH_TEST_PROMETHEUS_BIN` overrides it). */
export const PROMETHEUS_BIN = process.env.BENCH_TEST_PROMETHEUS_BIN || '/usr/bin/prometheus';

/** Whether the tests can run a real Prometheus, and why not. */
export type PrometheusAvailability = { available: true } | { available: false; reason: string };

/**
 * Whether the binary is there. Under CI (`CI` set) a missing binary throws instead: CI must not
 * skip the real-Prometheus tests.
 */
export function prometheusAvailability(): PrometheusAvailability {
  try {
    accessSync(PROMETHEUS_BIN, constants.X_OK);
    return { available: true };
  } catch {
    const reason = `${PROMETHEUS_BIN} not found (apt-get install prometheus)`;
    if (process.env.CI) throw new Error(`real-Prometheus tests cannot run under CI: ${reason}`);
    return { available: false, reason };
  }
}

/** How to start the server. */
export interface StartPrometheusOptions {
  /**
   * Targets of job `sim`, scraped at `/metrics`: `host:port`, or with target labels (as
   * Kubernetes service discovery relabeling adds `namespace` and `pod`; an exporter's own labels
   * of those names then become `exported_namespace` / `exported_pod`).
   */
  targets: Array<string | { address: string; labels?: Record<string, string> }>;
  /**
   * Also wait until every target has been scraped once. Prometheus 2.42 applies discovered
   * targets only after its discovery manager's 5 s throttle, so the first scrape comes about
   * 5 s after start. Default true.
   */
  waitForScrape?: boolean;
  /** Scrape interval in seconds. Default 1. */
  scrapeIntervalS?: number;
  /** Give up when `/-/ready` is not 200 by then, in ms. Default 20000. */
  readyTimeoutMs?: number;
}

/** A running Prometheus. */
export interface PrometheusServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Its stderr so far (Prometheus logs there). */
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts Prometheus and resolves once `/-/ready` answers 200 (one retry on a port taken meanwhile). */
export async function startPrometheus(opts: StartPrometheusOptions): Promise<PrometheusServer> {
  try {
    return await startOnce(opts);
  } catch (err) {
    if (!/address already in use/i.test((err as Error).message)) throw err;
    return startOnce(opts);
  }
}

async function startOnce(opts: StartPrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-prom-'));
  const port = await freePort();
  const interval = `${opts.scrapeIntervalS ?? 1}s`;
  // JSON is YAML: the generated prometheus.yml.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: 'sim',
        metrics_path: '/metrics',
        static_configs: opts.targets.map((t) => (typeof t === 'string' ? { targets: [t] } : { targets: [t.address], labels: t.labels ?? {} })),
      },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await terminate(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = performance.now() + (opts.readyTimeoutMs ?? 20_000);
    await waitReady(url, child, () => stderr, deadline);
    if (opts.waitForScrape ?? true) await waitScraped(url, opts.targets.length, deadline);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, pid: child.pid!, log: () => stderr, stop };
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string, deadline: number): Promise<void> {
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}) before it was ready: ${stderr().trim().split('\n').slice(-3).join(' | ')}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus at ${url} not ready in time: ${stderr().trim().split('\n').slice(-3).join(' | ')}`);
}

/** Waits until `count` targets report `health: "up"` (each scraped successfully once). */
async function waitScraped(url: string, count: number, deadline: number): Promise<void> {
  let last = '';
  while (performance.now() < deadline) {
    try {
      const body = (await (await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(1000) })).json()) as {
        data?: { activeTargets?: Array<{ health?: string; lastError?: string; scrapeUrl?: string }> };
      };
      const targets = body.data?.activeTargets ?? [];
      if (targets.length >= count && targets.every((t) => t.health === 'up')) return;
      last = targets.map((t) => `${t.scrapeUrl}: ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`).join(', ');
    } catch {
      // Busy: try again.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus at ${url}: targets not scraped in time: ${last || 'no active targets'}`);
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
