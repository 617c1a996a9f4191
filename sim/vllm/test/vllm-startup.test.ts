import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimInstance } from '../server.ts';
import type { SimLogEntry } from '../vllm-log.ts';
import { until } from './sim-client.ts';

/*
 * Startup as the dual-pods controller sees it: the port is not bound while the model "loads"
 * (connection refused), then /health answers. Instances bind per-pod loopback addresses.
 */

const base = { tokenizer: 'words', profile: 'test-fast' } as const;
const started: SimInstance[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

/** A port free on `host` right now. */
async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, host, resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** 'refused', or the HTTP status. */
async function probe(url: string): Promise<'refused' | number> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED') return 'refused';
    throw err;
  }
}

function count(resource: string): number {
  return process.getActiveResourcesInfo().filter((r) => r === resource).length;
}

const LINE = /^\((APIServer|EngineCore_DP0) pid=\d+\) (INFO|WARNING|ERROR) (\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) \[[\w.]+:\d+\] (.*)$/;

describe('startup_ms', () => {
  it('refuses connections on a per-pod loopback address until the modeled startup has elapsed, then /health is 200', async () => {
    const host = '127.1.0.7';
    const port = await freePort(host);
    const t0 = performance.now();
    const sim = await startSimServer({ ...base, host, port, startup_ms: 3000, time_scale: 0.1 }, { deferListen: true });
    started.push(sim);
    expect(sim.state).toBe('starting');
    expect(sim.url).toBe(`http://127.1.0.7:${port}`);
    expect(sim.port).toBe(port);
    expect(await probe(`${sim.url}/health`)).toBe('refused');

    let firstOk = 0;
    const seen = new Set<string | number>();
    await until(async () => {
      const r = await probe(`${sim.url}/health`);
      seen.add(r);
      if (r === 200) firstOk = performance.now() - t0;
      return r === 200;
    }, 3000, 5);
    expect(seen.has('refused')).toBe(true);
    // 3000 ms x 0.1, measured from the call; polling adds at most a few ms on top.
    expect(firstOk).toBeGreaterThanOrEqual(299);
    expect(firstOk).toBeLessThan(300 + 250);
    await sim.ready;
    expect(sim.state).toBe('awake');
    // Bound to that address only.
    expect(await probe(`http://127.0.0.1:${port}/health`)).toBe('refused');
  });

  it('startSimServer without deferListen resolves only once listening, after the startup', async () => {
    const t0 = performance.now();
    const sim = await startSimServer({ ...base, startup_ms: 1500, time_scale: 0.1 });
    started.push(sim);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(149);
    expect(sim.state).toBe('awake');
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
  });

  it('with port 0, url and port are null until ready, then the bound ones', async () => {
    const sim = await startSimServer({ ...base, startup_ms: 500, time_scale: 0.1 }, { deferListen: true });
    started.push(sim);
    expect([sim.url, sim.port]).toEqual([null, null]);
    await sim.ready;
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
  });

  it('close() during startup cancels it: never binds, ready rejects, no timer or server left behind', async () => {
    const host = '127.1.0.8';
    const port = await freePort(host);
    const timersBefore = count('Timeout');
    const serversBefore = count('TCPServerWrap');
    const sim = await startSimServer({ ...base, host, port, startup_ms: 1000, time_scale: 0.1 }, { deferListen: true });
    expect(count('Timeout')).toBeGreaterThan(timersBefore);
    await sim.close();
    expect(sim.state).toBe('closed');
    await expect(sim.ready).rejects.toThrow('the simulator was closed before it was ready');
    expect(count('Timeout')).toBeLessThanOrEqual(timersBefore);
    await new Promise((r) => setTimeout(r, 150));
    expect(await probe(`http://${host}:${port}/health`)).toBe('refused');
    expect(count('TCPServerWrap')).toBeLessThanOrEqual(serversBefore);
    expect(sim.gpuMemoryGiB()).toBe(0);
  });

  it('a port already bound makes the instance dead: ready rejects, the log says why, and startSimServer rejects', async () => {
    const host = '127.1.0.9';
    const first = await startSimServer({ ...base, host });
    started.push(first);
    const second = await startSimServer({ ...base, host, port: first.port }, { deferListen: true });
    started.push(second);
    await expect(second.ready).rejects.toThrow(/EADDRINUSE/);
    expect(second.state).toBe('dead');
    expect(second.log()).toMatch(/\(APIServer pid=\d+\) ERROR .* cannot listen on 127\.1\.0\.9:\d+: .*EADDRINUSE/);
    await expect(startSimServer({ ...base, host, port: first.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('runs many instances in one process on the same port of different loopback addresses', async () => {
    const hosts = ['127.1.0.21', '127.1.0.22', '127.1.0.23'];
    const port = await freePort(hosts[0]!);
    const sims = await Promise.all(hosts.map((host, i) => startSimServer({ ...base, host, port, pod_name: `pod-${i}`, startup_ms: 200 * (i + 1), time_scale: 0.1 }, { deferListen: true })));
    started.push(...sims);
    expect(sims.map((s) => s.state)).toEqual(['starting', 'starting', 'starting']);
    await sims[0]!.ready;
    expect(sims[2]!.state).toBe('starting');
    await Promise.all(sims.map((s) => s.ready));
    for (const [i, s] of sims.entries()) {
      const res = await fetch(`${s.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ prompt: 'a', max_tokens: 2 }) });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-inference-pod')).toBe(`pod-${i}`);
      await res.arrayBuffer();
    }
  });

  it('logs the startup as vLLM does, with the wall clock it is given, and onLog sees every line from the first', async () => {
    const seen: SimLogEntry[] = [];
    const wall = Date.UTC(2026, 0, 2, 3, 4, 5);
    const sim = await startSimServer({ ...base, dev_mode: true, enable_sleep_mode: true }, { deferListen: true, wallClockMs: () => wall, onLog: (e) => seen.push(e) });
    started.push(sim);
    expect(seen.map((e) => e.line)).toEqual([expect.stringMatching(/^\(APIServer pid=\d+\) INFO 01-02 03:04:05 \[api_server\.py:\d+\] vLLM API server version 0\.11\.0$/)]);
    await sim.ready;
    const lines = sim.log().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => l.replace(/^\(\w+ pid=\d+\) /, ''))).toEqual([
      expect.stringMatching(/^INFO 01-02 03:04:05 \[api_server\.py:\d+\] vLLM API server version 0\.11\.0$/),
      expect.stringMatching(/^WARNING 01-02 03:04:05 \[api_server\.py:\d+\] SECURITY WARNING: Development endpoints are enabled! This should NOT be used in production!$/),
      `INFO 01-02 03:04:05 [api_server.py:1971] Starting vLLM API server 0 on http://127.0.0.1:${sim.port}`,
      `INFO:     Started server process [${process.pid}]`,
      'INFO:     Waiting for application startup.',
      'INFO:     Application startup complete.',
    ]);
    for (const l of lines.filter((x) => !x.includes('INFO:     '))) expect(l).toMatch(LINE);
    const entries = sim.logEntries();
    expect(seen).toEqual(entries);
    expect(entries.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.timeUs).toBeGreaterThanOrEqual(entries[i - 1]!.timeUs);
    expect(entries.every((e) => e.wallMs === wall)).toBe(true);
    expect(sim.logEntries(4).map((e) => e.seq)).toEqual([4, 5]);
  });

  it('keeps the last log_max_lines lines, numbering on; a failing listener does not break the server', async () => {
    const sim = await startSimServer({ ...base, log_max_lines: 2, dev_mode: true, enable_sleep_mode: true });
    started.push(sim);
    expect(sim.logEntries().map((e) => e.seq)).toEqual([4, 5]);
    expect(sim.log()).toMatch(/^.*Waiting for application startup\.\n.*Application startup complete\.\n$/);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    const stop = sim.onLog(() => {
      throw new Error('listener bug');
    });
    try {
      expect(await (await fetch(`${sim.url}/is_sleeping`)).json()).toEqual({ is_sleeping: false });
      await until(() => warnings.length > 0, 1000);
      expect(warnings[0]).toBe('vLLM simulator log listener failed: listener bug');
      expect(sim.logEntries().map((e) => e.line.replace(/^.*\] /, ''))).toEqual(['Application startup complete.', 'check whether the engine is sleeping'].map((m) => expect.stringContaining(m)));
      expect(sim.logEntries()[1]!.seq).toBe(6);
    } finally {
      stop();
      process.off('warning', onWarning);
    }
  });
});
