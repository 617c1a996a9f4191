import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/*
 * Who used the two cores during a measured interval: this process (the client), the simulator
 * child, and everything else on the machine, plus how long the client's main thread sat runnable
 * but off-CPU. On a shared 2-core machine that last number is what separates "the client is
 * slow" from "the client was not scheduled", so every scenario reports it.
 */

/** CPU use over one measured interval. Times in ms; a field is null where /proc is unreadable. */
export interface CpuUsage {
  /** Wall-clock length of the interval. */
  wallMs: number;
  /** This process, all threads, user + system (`process.cpuUsage()`). */
  clientCpuMs: number;
  /** The simulator child, user + system (/proc/<pid>/stat; 10 ms resolution); null without one. */
  simCpuMs: number | null;
  /** Every other process on the machine, including the kernel's own work (/proc/stat busy time minus the two above). */
  otherCpuMs: number | null;
  /** Time the hypervisor gave this VM's vCPUs to someone else (/proc/stat `steal`), summed over CPUs. */
  stealMs: number | null;
  /** Time the client's main thread was runnable but waiting for a CPU (/proc/self/task/<pid>/schedstat, ns resolution). */
  clientRunQueueMs: number | null;
  /** CPUs of the machine. */
  cpus: number;
}

/** Clock ticks per second of /proc times (`getconf CLK_TCK`; 100 on Linux in practice). */
const CLK_TCK = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

function readOr<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

/** CPU time (user + system) process `pid` has used so far, ms, from /proc/<pid>/stat fields 14-15. Null without /proc. */
export function processCpuMs(pid: number): number | null {
  return readOr(() => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  });
}

/** Machine-wide busy and steal time so far, ms summed over CPUs, from the `cpu` line of /proc/stat. */
function machineCpuMs(): { busy: number; steal: number } | null {
  return readOr(() => {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const toMs = (ticks: number): number => (ticks * 1000) / CLK_TCK;
    void idle;
    void iowait;
    return { busy: toMs(user! + nice! + system! + irq! + softirq!), steal: toMs(steal ?? 0) };
  });
}

/** Run-queue wait of this process's main thread so far, ms (second field of its schedstat, in ns). */
function mainThreadWaitMs(): number | null {
  return readOr(() => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ')[1]) / 1e6);
}

/**
 * Starts measuring this process and the simulator `simPid` (null: none); the returned function
 * ends the interval and reports it. Reading costs a few file reads at each end, nothing between.
 */
export function startCpuMeter(simPid: number | null): () => CpuUsage {
  const wall0 = performance.now();
  const client0 = process.cpuUsage();
  const sim0 = simPid === null ? 0 : processCpuMs(simPid);
  const machine0 = machineCpuMs();
  const wait0 = mainThreadWaitMs();
  return () => {
    const wallMs = performance.now() - wall0;
    const c = process.cpuUsage(client0);
    const clientCpuMs = (c.user + c.system) / 1000;
    const sim1 = simPid === null ? 0 : processCpuMs(simPid);
    const machine1 = machineCpuMs();
    const wait1 = mainThreadWaitMs();
    const simCpuMs = sim0 !== null && sim1 !== null ? sim1 - sim0 : null;
    const busy = machine0 && machine1 ? machine1.busy - machine0.busy : null;
    return {
      wallMs,
      clientCpuMs,
      simCpuMs: simPid === null ? null : simCpuMs,
      otherCpuMs: busy !== null && simCpuMs !== null ? Math.max(0, busy - clientCpuMs - simCpuMs) : null,
      stealMs: machine0 && machine1 ? machine1.steal - machine0.steal : null,
      clientRunQueueMs: wait0 !== null && wait1 !== null ? wait1 - wait0 : null,
      cpus: availableParallelism(),
    };
  };
}
