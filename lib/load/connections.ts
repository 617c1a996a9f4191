import type { Pool } from 'undici';
import type { HttpTarget } from '../http/target.ts';
import type { StagePlan } from './stage.ts';

/**
 * Connections opened ahead of a stage: its in-flight bound (closed loop), or up to 32 for an open
 * loop, and never more than 1024 (beyond that, the rest are opened as the requests need them:
 * thousands of concurrent `GET /models` would be a load test of their own).
 */
const PRIME_OPEN_LOOP = 32;
const PRIME_MAX = 1024;

/**
 * The run's connection pool to the target, sized for the stage that needs the most connections so
 * far: a later stage that needs more (a sweep's next level) gets a larger pool, and the idle old
 * one is closed. Each stage's connections are opened before it starts.
 */
export class Connections {
  /** The pool requests are dispatched on now. */
  pool: Pool;
  private size: number;
  /** Connections opened ahead so far (the pool keeps them open). */
  private primed = 0;

  constructor(
    private readonly target: HttpTarget,
    bound: number,
  ) {
    this.size = bound;
    this.pool = target.createPool(bound);
  }

  /** Makes the pool ready for a stage of `plan` with `bound` requests in flight at most: grown when it must be, connections opened. */
  async prepare(plan: StagePlan, bound: number): Promise<void> {
    if (bound > this.size) {
      const old = this.pool;
      this.size = bound;
      this.pool = this.target.createPool(bound);
      await old.close();
      this.primed = 0;
    }
    this.primed = await primeConnections(this.target, this.pool, this.primed, plan, bound);
  }

  /** Closes the pool: waits for its requests when the run ended normally, drops them when it stopped. */
  close(stopped: boolean): Promise<void> {
    return stopped ? this.pool.destroy() : this.pool.close();
  }
}

/**
 * Opens the connections a stage will need before it starts, with concurrent `GET <api root>/models`
 * (each holds a connection while in flight, so the pool opens one per request): otherwise the
 * first requests of a stage wait for TCP (and TLS) setup, and a closed loop's opening burst shows
 * that as schedule lag. Failures are ignored (the stage's own requests report any). Returns the
 * connections now open.
 */
async function primeConnections(target: HttpTarget, pool: Pool, open: number, plan: StagePlan, bound: number): Promise<number> {
  const want = Math.min(plan.schedule.kind === 'closed' ? bound : Math.min(bound, PRIME_OPEN_LOOP), PRIME_MAX);
  // One connection is no burst: a single request in flight waits for its own connection either way.
  if (want <= 1 || want <= open) return open;
  const path = `${target.apiRoot}/models`;
  // Short: a server that is slow to list its models must not hold the run up.
  const timeoutMs = Math.min(target.timeouts.connect, 2000);
  await Promise.all(Array.from({ length: want }, () => target.get(path, timeoutMs, pool).catch(() => null)));
  return want;
}
