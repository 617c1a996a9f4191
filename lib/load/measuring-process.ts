import { getPriority, setPriority } from 'node:os';

/**
 * Node flags for a process that timestamps chunks. A 64 MB young generation (Node 20 defaults to
 * 16 MB) makes scavenges about four times rarer. Each one pauses the event loop for 1-4 ms, and
 * every chunk that arrives meanwhile is timestamped late by up to that pause: at concurrency 64
 * with a chunk every 6 ms per stream, a pause delays the next chunk of half the streams, so with
 * the default size about 1% of ITL samples carried the error, exactly where p99 sits (measured
 * by test/integration/fidelity.test.ts against the simulator's true send times: ITL error p99
 * 2.6-3.1 ms with the default, 1.3-1.8 ms with this). Memory is committed only as used.
 */
export const MEASURING_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** Scheduling priority of the thread that timestamps chunks, as reports state it. */
export interface MeasuringPriority {
  /** Nice value of the measuring thread (lower runs first; 0 is the default). */
  nice: number;
  /** Whether this tool raised it (false: not permitted, or already at least that high). */
  raised: boolean;
  /** Why it could not be raised, when it could not. */
  note?: string;
}

/** Nice value the measuring thread asks for. */
const MEASURING_NICE = -10;
let current: MeasuringPriority | null = null;

/**
 * Raises the calling thread's scheduling priority to nice -10 when permitted (root or
 * CAP_SYS_NICE; on Linux `setpriority` on pid 0 affects only the calling thread). On a busy
 * machine (a two-core VM running the client and a simulator, say) a chunk that wakes the client
 * otherwise waits behind other threads for a core and is timestamped late: measured against the
 * simulator's true send times at concurrency 64, TTFT error p99 went from 1.1-3.4 ms to
 * 0.95-1.9 ms, ITL error p99 from 1.6-2.9 ms to 1.1-1.8 ms. Done once per thread.
 */
export function raiseMeasuringPriority(): MeasuringPriority {
  if (current) return current;
  const before = safeGetPriority();
  if (before <= MEASURING_NICE) return (current = { nice: before, raised: false, note: 'already at or above nice -10' });
  try {
    setPriority(MEASURING_NICE);
    current = { nice: MEASURING_NICE, raised: true };
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    current = { nice: before, raised: false, note: `not permitted to raise (${code}); run as root or with CAP_SYS_NICE for steadier timestamps` };
  }
  return current;
}

function safeGetPriority(): number {
  try {
    return getPriority();
  } catch {
    return 0;
  }
}
