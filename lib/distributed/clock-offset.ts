/**
 * A pod's side of the coordinator (`coordinator.ts`): its clock offset against pod 0 and the
 * wait at a stage barrier.
 *
 * Wall clock here means `performance.timeOrigin + performance.now()` on both sides: a
 * sub-millisecond wall time that does not jump with `Date.now()`'s 1 ms steps.
 *
 * Offset by Cristian's algorithm: a sample sends at local t0, gets pod 0's wall w, receives at
 * t1; pod 0 read its clock somewhere in [t0, t1], so local - remote = (t0 + t1) / 2 - w to within
 * (t1 - t0) / 2. Of `samples` samples the one with the smallest round trip is kept (the least
 * queueing, the tightest bound). The connection is kept alive, so a round trip is one request,
 * not a TCP handshake; one unmeasured request opens it first.
 */
import { Pool } from 'undici';
import { classifyTransportError } from '../http/classify.ts';
import { CoordinatorError, type BarrierRelease } from './coordinator.ts';

/** The measured offset of this process's wall clock against the coordinator's. */
export interface ClockOffset {
  /** Local wall clock minus the coordinator's, ms. */
  offsetMs: number;
  /** Bound of `offsetMs`'s error: half the round trip of the sample it came from, ms. */
  boundMs: number;
  /** That sample's round trip, ms. */
  rttMs: number;
  /** Samples taken. */
  samples: number;
}

/** Options of `measureClockOffset`. */
export interface ClockOffsetOptions {
  /** Samples taken (the smallest round trip wins); default 16. */
  samples?: number;
  /** How long to keep trying while the coordinator is not up yet (pod 0 may start later), ms; default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Where this pod starts after a barrier. */
export interface BarrierStart {
  /** The common start on the coordinator's clock, ms. */
  startWallMs: number;
  /** When this process started, `performance.now()` ms. */
  localStart: number;
  /** From posting to starting, ms. */
  waitedMs: number;
  /** How far past the common start it started (0 when on time), ms. */
  lateByMs: number;
  /** Pods the barrier was released without. */
  missing: number[];
  /** This pod arrived after the release. */
  late: boolean;
}

/** Options of `waitAtBarrier`. */
export interface BarrierWaitOptions {
  /** This pod's clock offset (`measureClockOffset().offsetMs`), ms; default 0. */
  offsetMs?: number;
  /** Longest wait for the release, ms (the coordinator's barrier timeout plus slack); default 150 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const RETRYABLE = new Set(['connect_refused', 'dns', 'connect_timeout', 'connect_reset']);

/** Pod 0's origin and a display form without credentials or query. */
function originOf(url: string): { origin: string; shown: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CoordinatorError('COORDINATOR_INVALID', `coordinator ${JSON.stringify(url)}: not a URL (expected http://<host>:<port>)`);
  }
  if (u.protocol !== 'http:') throw new CoordinatorError('COORDINATOR_INVALID', `coordinator ${u.origin}: expected an http:// URL`);
  return { origin: u.origin, shown: u.origin };
}

/**
 * One JSON request to the coordinator, retrying connection failures (refused, DNS, reset before
 * an answer: the request was not taken) until `deadline` (`performance.now()` ms).
 */
async function call(pool: Pool, shown: string, what: string, req: { method: 'GET' | 'POST'; path: string; body?: string }, deadline: number, limitMs: number, signal?: AbortSignal): Promise<unknown> {
  let wait = 50;
  for (;;) {
    const left = deadline - performance.now();
    try {
      const res = await pool.request({
        method: req.method,
        path: req.path,
        headers: req.body === undefined ? {} : { 'content-type': 'application/json' },
        ...(req.body === undefined ? {} : { body: req.body }),
        headersTimeout: Math.max(1, left),
        bodyTimeout: Math.max(1, left),
        ...(signal ? { signal } : {}),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        const error = (() => { try { return String((JSON.parse(text) as { error?: unknown }).error ?? text); } catch { return text.slice(0, 200); } })();
        throw new CoordinatorError('COORDINATOR_REFUSED', `coordinator ${shown}: ${what}: HTTP ${res.statusCode}: ${error}`);
      }
      try {
        return JSON.parse(text);
      } catch {
        throw new CoordinatorError('COORDINATOR_INVALID', `coordinator ${shown}: ${what}: the answer is not JSON`);
      }
    } catch (err) {
      if (err instanceof CoordinatorError) throw err;
      if (signal?.aborted) throw new CoordinatorError('COORDINATOR_ABORTED', `coordinator ${shown}: ${what}: aborted`, { cause: err });
      const failure = classifyTransportError(err, false);
      const now = performance.now();
      if (!RETRYABLE.has(failure.class) || now + wait >= deadline) {
        const timedOut = RETRYABLE.has(failure.class) || failure.class.endsWith('timeout');
        const why = timedOut ? `no answer within ${Math.round(limitMs / 100) / 10} s` : 'failed';
        throw new CoordinatorError(timedOut ? 'COORDINATOR_UNREACHABLE' : 'COORDINATOR_FAILED', `coordinator ${shown}: ${what}: ${why} (${failure.message})`, { cause: err });
      }
      await sleep(wait);
      wait = Math.min(1000, wait * 2);
    }
  }
}

/** Measures this process's wall-clock offset against the coordinator at `url` (see the module comment). */
export async function measureClockOffset(url: string, opts: ClockOffsetOptions = {}): Promise<ClockOffset> {
  const { samples = 16, timeoutMs = 60_000, signal } = opts;
  if (!Number.isInteger(samples) || samples < 1) throw new CoordinatorError('COORDINATOR_INVALID', `clock offset: samples must be an integer >= 1, got ${samples}`);
  const { origin, shown } = originOf(url);
  const pool = new Pool(origin, { connections: 1, pipelining: 1, keepAliveTimeout: 30_000 });
  const deadline = performance.now() + timeoutMs;
  try {
    const wallOf = (body: unknown): number => {
      const w = (body as { wallMs?: unknown } | null)?.wallMs;
      if (typeof w !== 'number' || !Number.isFinite(w)) throw new CoordinatorError('COORDINATOR_INVALID', `coordinator ${shown}: GET /clock: expected {"wallMs": number}`);
      return w;
    };
    // Opens the connection (and waits for pod 0 to come up): not a sample.
    wallOf(await call(pool, shown, 'GET /clock', { method: 'GET', path: '/clock' }, deadline, timeoutMs, signal));
    let best: ClockOffset | null = null;
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const w = wallOf(await call(pool, shown, 'GET /clock', { method: 'GET', path: '/clock' }, deadline, timeoutMs, signal));
      const t1 = performance.now();
      const rtt = t1 - t0;
      if (!best || rtt < best.rttMs) best = { offsetMs: performance.timeOrigin + (t0 + t1) / 2 - w, boundMs: rtt / 2, rttMs: rtt, samples };
    }
    return best!;
  } finally {
    await pool.close().catch(() => {});
  }
}

/**
 * Waits at barrier `key` as pod `index`: posts it, then sleeps until this clock reaches the
 * common start (`startWallMs + offsetMs`). The sleep is a timer to 2 ms before, then a
 * yielding spin, so the start is sub-millisecond without holding the CPU. Rejects with a
 * `CoordinatorError` when the coordinator cannot be reached or answers nothing in `timeoutMs`
 * (the caller then starts unsynchronised and says so), or when `signal` aborts.
 */
export async function waitAtBarrier(url: string, key: string, index: number, opts: BarrierWaitOptions = {}): Promise<BarrierStart> {
  const { offsetMs = 0, signal } = opts;
  const posted = performance.now();
  const r = await postBarrier(url, key, index, opts);
  const deadline = r.startWallMs + offsetMs - performance.timeOrigin;
  await sleepUntil(deadline, signal, () => new CoordinatorError('COORDINATOR_ABORTED', `coordinator ${originOf(url).shown}: barrier ${key}: aborted`));
  const localStart = performance.now();
  return { startWallMs: r.startWallMs, localStart, waitedMs: localStart - posted, lateByMs: Math.max(0, localStart - deadline), missing: r.missing, late: r.late };
}

/**
 * Arrives at barrier `key` as pod `index` and resolves to the release, without waiting for its
 * start (the final key `done` only says a pod has finished). Rejects as `waitAtBarrier` does.
 */
export async function postBarrier(url: string, key: string, index: number, opts: Omit<BarrierWaitOptions, 'offsetMs'> = {}): Promise<BarrierRelease> {
  const { timeoutMs = 150_000, signal } = opts;
  const { origin, shown } = originOf(url);
  const pool = new Pool(origin, { connections: 1, keepAliveTimeout: 1000 });
  try {
    const body = await call(pool, shown, `barrier ${key}`, { method: 'POST', path: '/barrier', body: JSON.stringify({ key, index }) }, performance.now() + timeoutMs, timeoutMs, signal);
    const r = body as Partial<BarrierRelease> | null;
    if (typeof r?.startWallMs !== 'number' || !Number.isFinite(r.startWallMs) || !Array.isArray(r.missing) || !Array.isArray(r.arrived)) {
      throw new CoordinatorError('COORDINATOR_INVALID', `coordinator ${shown}: barrier ${key}: expected {"startWallMs": number, "arrived": [...], "missing": [...]}`);
    }
    return { key, startWallMs: r.startWallMs, arrived: r.arrived, missing: r.missing, late: r.late === true };
  } finally {
    await pool.close().catch(() => {});
  }
}

/** Resolves at `performance.now() >= deadline`: a timer to 2 ms before, then `setImmediate` turns. */
export async function sleepUntil(deadline: number, signal?: AbortSignal, abortError?: () => Error): Promise<void> {
  const check = (): void => {
    if (signal?.aborted) throw abortError?.() ?? new Error('aborted');
  };
  check();
  let left = deadline - performance.now();
  if (left > 2) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, left - 2);
      function done(): void {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
    check();
  }
  while ((left = deadline - performance.now()) > 0) {
    await new Promise((r) => setImmediate(r));
    check();
  }
}
