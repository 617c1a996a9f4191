import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { measureClockOffset, waitAtBarrier } from '../../lib/distributed/clock-offset.ts';
import { CoordinatorError, startCoordinator, type BarrierRelease, type Coordinator } from '../../lib/distributed/coordinator.ts';

const wall = (): number => performance.timeOrigin + performance.now();
const open: Array<{ close(): Promise<void> | void }> = [];

afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function coordinator(opts: { count: number; barrierTimeoutMs?: number; marginMs?: number; port?: number }): Promise<Coordinator> {
  const c = await startCoordinator({ host: '127.0.0.1', ...opts });
  open.push(c);
  return c;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const res = await request(`${url}/barrier`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const text = await res.body.text();
  return { status: res.statusCode, json: JSON.parse(text) as Record<string, unknown>, text };
}

const arrive = async (url: string, key: string, index: number): Promise<BarrierRelease> => {
  const r = await post(url, { key, index });
  expect(r.status).toBe(200);
  return r.json as unknown as BarrierRelease;
};

/** Whether `p` is still pending after `ms`. */
async function pendingAfter(p: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  p.then(() => void (settled = true), () => void (settled = true));
  await new Promise((r) => setTimeout(r, ms));
  return !settled;
}

describe('barrier', () => {
  it('holds every pod until all 3 arrived, then gives all one start: release time plus the margin', async () => {
    const c = await coordinator({ count: 3, marginMs: 200 });
    const a = arrive(c.url, 'suite/s/stage-0', 2);
    const b = arrive(c.url, 'suite/s/stage-0', 0);
    expect(await pendingAfter(Promise.race([a, b]), 150)).toBe(true);
    const before = wall();
    const last = await arrive(c.url, 'suite/s/stage-0', 1);
    const after = wall();
    const all = [await a, await b, last];
    for (const r of all) expect(r).toEqual({ key: 'suite/s/stage-0', startWallMs: last.startWallMs, arrived: [0, 1, 2], missing: [], late: false });
    expect(last.startWallMs).toBeGreaterThanOrEqual(before + 200);
    expect(last.startWallMs).toBeLessThanOrEqual(after + 200);
  });

  it('releases at the timeout naming the missing pod; a late arrival gets the same start at once; later keys do not wait for it', async () => {
    const c = await coordinator({ count: 3, barrierTimeoutMs: 1000, marginMs: 10 });
    const t0 = performance.now();
    const [r0, r1] = await Promise.all([arrive(c.url, 'k1', 0), arrive(c.url, 'k1', 1)]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(990);
    expect(r0).toEqual({ key: 'k1', startWallMs: r1.startWallMs, arrived: [0, 1], missing: [2], late: false });
    // The next key does not wait for pod 2: it is gone.
    const t1 = performance.now();
    const [s0] = await Promise.all([arrive(c.url, 'k2', 0), arrive(c.url, 'k2', 1)]);
    expect(performance.now() - t1).toBeLessThan(500);
    expect(s0.missing).toEqual([2]);
    // Pod 2 turns up late at k1: same start, at once, marked late.
    const t2 = performance.now();
    const late = await arrive(c.url, 'k1', 2);
    expect(performance.now() - t2).toBeLessThan(500);
    expect(late).toEqual({ ...r0, late: true });
    // It showed up again: k3 waits for it.
    const k3 = Promise.all([arrive(c.url, 'k3', 0), arrive(c.url, 'k3', 1)]);
    expect(await pendingAfter(k3, 150)).toBe(true);
    const r3 = await arrive(c.url, 'k3', 2);
    expect((await k3).map((r) => r.startWallMs)).toEqual([r3.startWallMs, r3.startWallMs]);
    expect(r3.missing).toEqual([]);
  });

  it('a pod gone at one key releases another key that was held only for it', async () => {
    const c = await coordinator({ count: 2, barrierTimeoutMs: 1000, marginMs: 0 });
    const a = arrive(c.url, 'a', 0);
    await new Promise((r) => setTimeout(r, 300));
    const b = arrive(c.url, 'b', 0);
    // a times out at 1000 ms with pod 1 missing; b (started 300 ms later) is then held for nobody.
    const t = performance.now();
    const [ra, rb] = await Promise.all([a, b]);
    expect(performance.now() - t).toBeLessThan(900);
    expect(ra.missing).toEqual([1]);
    expect(rb.missing).toEqual([1]);
  });

  it('refuses bad input with a one-line JSON error', async () => {
    const c = await coordinator({ count: 2 });
    for (const [body, status, says] of [
      ['not json', 400, 'not JSON'],
      [{ key: '', index: 0 }, 400, 'key'],
      [{ key: 'k', index: 2 }, 400, 'index: expected an integer in 0..1'],
      [{ key: 'k', index: 0.5 }, 400, 'index'],
      [{ key: 'k' }, 400, 'index'],
      [{ key: 'x'.repeat(10_000), index: 0 }, 413, 'larger than'],
    ] as const) {
      const r = await post(c.url, body);
      expect(r.status).toBe(status);
      expect(String(r.json.error)).toContain(says);
      expect(r.text).not.toContain('\n');
    }
    const res = await request(`${c.url}/nope`);
    expect(res.statusCode).toBe(404);
    await res.body.text();
  });

  it('answers waiters 503 when it closes before the release', async () => {
    const c = await startCoordinator({ count: 2, host: '127.0.0.1' });
    const waiting = post(c.url, { key: 'k', index: 0 });
    await new Promise((r) => setTimeout(r, 50));
    await c.close();
    const r = await waiting.catch((e: Error) => ({ status: 0, json: { error: e.message }, text: '' }));
    expect(r.status).toBe(503);
  });
});

describe('clock offset', () => {
  it('is within a few ms of 0 against a coordinator in this process, with a positive bound', async () => {
    const c = await coordinator({ count: 1 });
    const o = await measureClockOffset(c.url, { samples: 16 });
    expect(o.samples).toBe(16);
    expect(o.boundMs).toBeGreaterThan(0);
    expect(o.rttMs).toBeCloseTo(2 * o.boundMs, 9);
    expect(Math.abs(o.offsetMs)).toBeLessThanOrEqual(o.boundMs + 0.01);
    expect(Math.abs(o.offsetMs)).toBeLessThan(3);
  });

  it('is -5000 within the bound against a clock 5 s ahead', async () => {
    const server: Server = createServer((_req, res) => res.end(JSON.stringify({ wallMs: wall() + 5000 })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) });
    const o = await measureClockOffset(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { samples: 8 });
    expect(Math.abs(o.offsetMs + 5000)).toBeLessThanOrEqual(o.boundMs + 0.01);
  });

  it('retries until a late coordinator comes up, and names the URL when none does', async () => {
    const probe = await startCoordinator({ count: 1 });
    const port = probe.port;
    await probe.close();
    const measuring = measureClockOffset(`http://127.0.0.1:${port}`, { samples: 2, timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 300));
    await coordinator({ count: 1, port });
    expect(Math.abs((await measuring).offsetMs)).toBeLessThan(5);

    const t = performance.now();
    const err = await measureClockOffset('http://127.0.0.1:9', { timeoutMs: 400 }).catch((e: unknown) => e);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(err).toBeInstanceOf(CoordinatorError);
    expect((err as CoordinatorError).code).toBe('COORDINATOR_UNREACHABLE');
    expect((err as Error).message).toMatch(/^coordinator http:\/\/127\.0\.0\.1:9: GET \/clock: no answer within 0\.4 s \(.*ECONNREFUSED/);
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('waitAtBarrier', () => {
  it('starts 3 pods within a few ms of the common instant, each on its own clock', async () => {
    const c = await coordinator({ count: 3, marginMs: 150 });
    // Pod 2's clock reads 40 ms ahead of pod 0's: it starts when its clock reads start + 40.
    const offsets = [0, 0, 40];
    const starts = await Promise.all(offsets.map((offsetMs, i) => waitAtBarrier(c.url, 'stage-0', i, { offsetMs, timeoutMs: 5000 })));
    const t = starts[0]!.startWallMs;
    const walls = starts.map((s, i) => performance.timeOrigin + s.localStart - offsets[i]!);
    for (const [i, s] of starts.entries()) {
      expect(s.startWallMs).toBe(t);
      expect(s.missing).toEqual([]);
      expect(s.late).toBe(false);
      expect(s.waitedMs).toBeGreaterThan(100);
      // Never early; late only by scheduling jitter (sub-ms on an idle machine; a loaded 2-core CI runner adds a few ms).
      expect(walls[i]).toBeGreaterThanOrEqual(t - 0.5);
      expect(walls[i]).toBeLessThan(t + 30);
      expect(s.lateByMs).toBeCloseTo(Math.max(0, walls[i]! - t), 0);
    }
    // One instant for all three on the common clock: pod 2 woke 40 ms later on its own clock, to the same instant.
    expect(Math.abs(walls[0]! - walls[1]!)).toBeLessThan(3);
    expect(Math.max(...walls) - Math.min(...walls)).toBeLessThan(15);
  });

  it('rejects with a typed error when the coordinator is unreachable or holds past the timeout', async () => {
    const gone = await waitAtBarrier('http://127.0.0.1:9', 'k', 0, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(CoordinatorError);
    expect((gone as Error).message).toContain('coordinator http://127.0.0.1:9: barrier k: no answer within 0.3 s');
    const c = await coordinator({ count: 2 });
    const held = await waitAtBarrier(c.url, 'k', 0, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(held).toBeInstanceOf(CoordinatorError);
    expect((held as CoordinatorError).code).toBe('COORDINATOR_UNREACHABLE');
  });
});
