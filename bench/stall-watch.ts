import { setTimeout as sleep } from 'node:timers/promises';
import { StallWatch } from '../lib/load/stall-watch.ts';

/** What the runner's stall watch costs an otherwise idle measuring process. */
export interface StallWatchCost {
  /** Seconds measured in each condition. */
  seconds: number;
  /** CPU of this process over the window, % of one core, without and with a watch running. */
  idleCpuPct: number;
  watchedCpuPct: number;
  /** The difference: the watch's own cost, % of one core. */
  overheadPct: number;
  /** Timer callbacks the watch ran per second (its 1 ms timer fires every 1-2 ms). */
  ticksPerS: number;
  /** Stalls it saw (an idle process on a quiet machine sees none). */
  stalls: number;
  /** Whether it read the run-queue wait (Linux schedstat) at each tick. */
  schedstat: boolean;
}

function cpuPctOver(ms: number): Promise<number> {
  const before = process.cpuUsage();
  const t0 = performance.now();
  return sleep(ms).then(() => {
    const d = process.cpuUsage(before);
    return ((d.user + d.system) / 1000 / (performance.now() - t0)) * 100;
  });
}

/**
 * CPU of an idle process over `seconds`, without a stall watch and with one (its 1 ms timer and
 * schedstat read are the only work), alternated `rounds` times so background noise hits both.
 */
export async function benchStallWatchCost(seconds = 3, rounds = 2): Promise<StallWatchCost> {
  let idle = 0;
  let watched = 0;
  let ticks = 0;
  let stalls = 0;
  let schedstat = false;
  const ms = (seconds * 1000) / rounds;
  for (let k = 0; k < rounds; k++) {
    idle += await cpuPctOver(ms);
    const w = new StallWatch(10);
    w.start();
    const t0 = performance.now();
    watched += await cpuPctOver(ms);
    const elapsed = performance.now() - t0;
    w.stop();
    ticks += (w.ticks * 1000) / elapsed;
    stalls += w.stalls.length;
    schedstat = w.summary().schedstat;
  }
  return {
    seconds,
    idleCpuPct: idle / rounds,
    watchedCpuPct: watched / rounds,
    overheadPct: (watched - idle) / rounds,
    ticksPerS: ticks / rounds,
    stalls,
    schedstat,
  };
}
