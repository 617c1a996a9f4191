import { afterEach, describe, expect, it } from 'vitest';
import { KLogger, KlogBuffer } from '../../behaviour/dual-pods/klog.ts';
import { NodeQueue, type ProcessResult } from '../../behaviour/dual-pods/node-queue.ts';
import { DualPodsOptionsSchema } from '../../behaviour/dual-pods/options.ts';
import { createTimers, type Runtime } from '../../behaviour/dual-pods/runtime.ts';
import { ClusterClock } from '../../clock.ts';

const abort = new AbortController();
let clock: ClusterClock;
afterEach(() => clock?.stopAll());

function queue(timeScale = 0.01, options: Record<string, unknown> = {}): { q: NodeQueue; clock: ClusterClock; log: KlogBuffer } {
  clock = new ClusterClock(timeScale);
  const timers = createTimers(clock, abort.signal);
  const log = new KlogBuffer(1000, 5, () => clock.nowMs());
  const rt = { clock, options: DualPodsOptionsSchema.parse(options), signal: abort.signal, after: timers.after, sleep: timers.sleep } as unknown as Runtime;
  return { q: new NodeQueue('n1', rt, new KLogger(log, 'controller.go:1')), clock, log };
}

/** An item that records the cluster time of each run and returns the scripted results in turn. */
function scripted(c: () => ClusterClock, results: ProcessResult[]) {
  const runs: number[] = [];
  const start = c().nowMs();
  return { runs, item: { key: 'inf:a', process: async () => (runs.push(c().nowMs() - start), results.shift() ?? {}) } };
}

const until = async (fn: () => boolean) => {
  const end = Date.now() + 5000;
  while (!fn() && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
};

describe('per-node work queue (protocol 3: fixed 5 s /is_sleeping retry, exponential back-off capped at 20 s)', () => {
  it('retries with a doubling back-off after errors, capped, and resets on success', async () => {
    const { q } = queue(0.01, { backoffBaseMs: 1000, backoffMaxMs: 1500 });
    const err = { err: new Error('x'), retry: true };
    const s = scripted(() => clock, [err, err, err, err, {}, err, {}]);
    q.add(s.item);
    await until(() => s.runs.length === 5);
    const gaps = s.runs.slice(1).map((t, i) => t - s.runs[i]!);
    // 1000, then 2000 and 4000 capped at 1500 (timers fire late, never early).
    [1000, 1500, 1500, 1500].forEach((min, i) => expect(gaps[i]).toBeGreaterThanOrEqual(min - 1));
    expect(gaps[3]).toBeLessThan(6000); // uncapped it would be 8000
    // After the success, the next error starts from the base again.
    q.add(s.item);
    await until(() => s.runs.length === 7);
    expect(s.runs[6]! - s.runs[5]!).toBeGreaterThanOrEqual(999);
    expect(s.runs[6]! - s.runs[5]!).toBeLessThan(1500 + 500);
  });

  it('uses the fixed delay an item asks for, and an event pulls a delayed item forward', async () => {
    const { q } = queue(0.01);
    const s = scripted(() => clock, [{ err: new Error('refused'), retry: true, retryAfterMs: 5000 }, {}]);
    q.add(s.item);
    await until(() => s.runs.length === 1);
    await new Promise((r) => setTimeout(r, 10)); // 1 cluster s: still waiting
    expect(s.runs).toHaveLength(1);
    expect(q.keys()).toEqual(['inf:a']);
    q.add(s.item); // an event on the requester or provider
    await until(() => s.runs.length === 2);
    expect(s.runs[1]! - s.runs[0]!).toBeLessThan(4000);
  });

  it('logs a transient error with its retry delay', async () => {
    const { q, log } = queue(0.01);
    const s = scripted(() => clock, [{ err: new Error('refused'), retry: true, retryAfterMs: 5000 }]);
    q.add(s.item);
    await until(() => s.runs.length === 1);
    await until(() => log.text().includes('will retry'));
    expect(log.text()).toContain('"Processing node local item suffered transient error, will retry" node="n1" item="inf:a" err="refused" retryAfter="5s"');
  });
});
