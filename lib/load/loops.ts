import { type RunControl, sleepUntil, type StageState } from './run-control.ts';
import type { ClosedLoopSchedule, OpenLoopSchedule } from './schedule.ts';

/*
 * The two ways a stage sends: users that wait for each answer (closed loop), or send times that
 * come from the schedule whatever the answers do (open loop). Both send through the run's
 * `Sender` and stop when the run's `RunControl` says so.
 */

/**
 * What a loop starts at each of its times: a request (the run's `Sender`), or a whole session
 * (`SessionRunner.stage`); `after` runs when it is over, with its end.
 */
export interface Launcher {
  send(st: StageState | null, intended: number, after: (end: number) => void): void;
}

/** Closed-loop users started per turn of the event loop. */
const START_BATCH = 256;

/**
 * Closed loop: `concurrency` users (or a ramp of them, see `ClosedLoopSchedule.spawn`) each
 * send, wait for the answer and the think time, and send again, until `count` requests were
 * sent or the deadline passed. Resolves when none of its requests is in flight. `st` is the
 * stage, or null for warm-up.
 */
// `origin`: the stage's start, which every intended time counts from (a delay before the loop
// runs is then the requests' schedule lag, not a silent shift of the whole schedule).
export function closedLoop(
  control: RunControl, sender: Launcher, st: StageState | null, count: number, schedule: ClosedLoopSchedule, deadline: number, origin?: number,
): Promise<void> {
  return new Promise((resolve) => {
    let launched = 0;
    let active = 0;
    let users = 0;
    let spawnTimer: NodeJS.Timeout | null = null;
    let starting: NodeJS.Immediate | null = null;
    const think = schedule.thinkMs ?? 0;
    const settle = (): void => {
      if (active > 0 || starting || (users < schedule.concurrency && spawnTimer && control.open(st, deadline) && launched < count)) return;
      if (spawnTimer) clearTimeout(spawnTimer);
      spawnTimer = null;
      control.wakeLoop = null;
      resolve();
    };
    // A request belongs to the stage its intended time falls in: a think-time or spawn timer
    // that fires a fraction of a millisecond early (libuv counts whole milliseconds) must not
    // send into this stage a request due at or after its deadline.
    const launch = (intended: number): void => {
      if (!control.open(st, deadline) || intended >= deadline || launched >= count) {
        if (st && !st.over && launched >= count) control.endStage(st, null);
        return settle();
      }
      launched++;
      active++;
      sender.send(st, intended, (freedAt) => {
        active--;
        if (think > 0 && control.open(st, deadline)) setTimeout(() => launch(freedAt + think), think);
        else launch(freedAt);
      });
    };
    // A stage that ends (deadline, stop rule, halt) while users wait for their think time or a
    // spawn wakes this to settle.
    control.wakeLoop = settle;
    const t0 = origin ?? performance.now();
    const start = schedule.spawn ? Math.min(schedule.spawn.start, schedule.concurrency) : schedule.concurrency;
    // Users beyond the request count would never send. The others start in batches, one batch
    // per turn of the event loop, so a huge concurrency cannot hold the loop (the test's
    // timeout, the run's own timers, the responses) for as long as creating every exchange takes.
    const startUsers = Math.min(start, count);
    const startBatch = (): void => {
      starting = null;
      const until = Math.min(startUsers, users + START_BATCH);
      for (; users < until && control.open(st, deadline) && launched < count; users++) launch(t0);
      if (users < startUsers && control.open(st, deadline) && launched < count) {
        starting = setImmediate(startBatch);
        return;
      }
      users = Math.max(users, start);
      if (st && !st.over && launched >= count) control.endStage(st, null);
      startSpawning();
      settle();
    };
    const startSpawning = (): void => {
      if (schedule.spawn && users < schedule.concurrency) {
        const gap = 1000 / schedule.spawn.perSecond;
        const phase = schedule.spawn.phaseMs ?? 0;
        let k = 1;
        const spawn = (): void => {
          spawnTimer = null;
          const due = t0 + phase + k * gap;
          if (!control.open(st, deadline) || due >= deadline || launched >= count) return settle();
          users++;
          k++;
          launch(due);
          if (users < schedule.concurrency) spawnTimer = setTimeout(spawn, Math.max(0, t0 + phase + k * gap - performance.now()));
        };
        spawnTimer = setTimeout(spawn, Math.max(0, t0 + phase + gap - performance.now()));
      }
    };
    startBatch();
  });
}

/**
 * Open loop: sends at the schedule's times from `origin` (the stage's start), at most
 * `maxInFlight` at once, until `count` requests were sent or the next send time is past the
 * deadline. Resolves when none of its requests is in flight.
 */
export async function openLoop(
  control: RunControl, sender: Launcher, st: StageState, count: number, schedule: OpenLoopSchedule, deadline: number, origin: number,
): Promise<void> {
  const offsets = schedule.offsets();
  const t0 = origin;
  let active = 0;
  const settle = (): void => {
    active--;
    const w = control.wakeLoop;
    control.wakeLoop = null;
    w?.();
  };
  // Every request due before the deadline is sent, however late: the lateness is the schedule
  // lag, and dropping late sends would hide it.
  const live = (): boolean => control.open(st, Infinity);
  for (let k = 0; k < count && live(); k++) {
    const next = offsets.next();
    if (next.done) break;
    const due = t0 + next.value;
    if (due >= deadline) break;
    await sleepUntil(due, control.pacer);
    if (!live()) break;
    while (active >= schedule.maxInFlight && live()) await new Promise<void>((r) => (control.wakeLoop = r));
    if (!live()) break;
    active++;
    sender.send(st, due, settle);
  }
  if (!st.over) control.endStage(st, null);
  while (active > 0) await new Promise<void>((r) => (control.wakeLoop = r));
}
