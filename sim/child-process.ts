/**
 * Running a simulator in a child process, shared by the vLLM and the cluster simulators: spawn
 * this Node binary on an entry file with the options in the environment, reset the child's
 * priority to 0 (a client that raised its own to measure steadily must not hand that to what it
 * measures; lowering is always permitted), wait for its one JSON "listening" line on stdout, and
 * stop it with SIGTERM, then SIGKILL. A parent that exits without stopping still takes its
 * children down (SIGTERM lets them flush); a child notices its parent's crash when its stdin
 * closes (the entry's side). The child never keeps the parent alive once it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { BenchError } from '../lib/errors/index.ts';

export interface SimChildOptions {
  /** Absolute path of the module the child runs (`main.ts` or `main.js`). */
  entry: string;
  /** Node flags before the entry (tsx's loader from sources). */
  nodeFlags?: string[];
  /** Environment on top of this process's. */
  env: NodeJS.ProcessEnv;
  /** What it is, for errors: `embedded simulator`. */
  what: string;
  /** Give up (and kill the child) without a listening line by then, in ms. */
  startTimeoutMs: number;
  /** SIGKILL this long after SIGTERM. */
  killAfterMs: number;
  /** Checks the listening line; returns a reason when it lacks something. */
  validate?(line: Record<string, unknown>): string | undefined;
  /** Runs once the child has exited (removing its temporary files, say). */
  onExit?(): void;
}

/** A child that printed its listening line. */
export interface SimChild {
  /** The parsed listening line (`event: "listening"` and whatever the simulator reports). */
  line: Record<string, unknown>;
  pid: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGTERM');
  });
}

function startError(what: string, reason: string, stderr: string): BenchError {
  const t = stderr.split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join(' | ').slice(-600);
  return new BenchError('SIM_START_FAILED', `${what} failed to start: ${reason}${t ? `: ${t}` : ''}`);
}

/** Spawns the child and resolves once it listens (see the module comment). */
export function spawnSimChild(o: SimChildOptions): Promise<SimChild> {
  const child = spawn(process.execPath, [...(o.nodeFlags ?? []), o.entry], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
  live.add(child);
  installExitHook();
  if (child.pid !== undefined) {
    try {
      if (getPriority(child.pid) < 0) setPriority(child.pid, 0);
    } catch {
      // The child already exited: the exit handling below reports it.
    }
  }
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      o.onExit?.();
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs);
    await exitedPromise;
    clearTimeout(timer);
  };

  return new Promise<SimChild>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const err = startError(o.what, reason, stderr);
      void stop().then(() => reject(err));
    };
    const timer = setTimeout(() => fail(`no listening line within ${o.startTimeoutMs} ms`), o.startTimeoutMs);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      if (settled) process.stderr.write(d);
      else stderr = (stderr + d).slice(-4000);
    });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      if (settled) return;
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(stdout.slice(0, nl)) as Record<string, unknown>;
      } catch {
        return fail(`unexpected output ${JSON.stringify(stdout.slice(0, 200))}`);
      }
      if (line.event !== 'listening' || typeof line.url !== 'string') return fail(`unexpected line ${stdout.slice(0, nl)}`);
      const missing = o.validate?.(line);
      if (missing) return fail(`${missing} in ${stdout.slice(0, nl)}`);
      settled = true;
      clearTimeout(timer);
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
      resolve({ line, pid: typeof line.pid === 'number' ? line.pid : child.pid!, stop });
    });
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`child exited (${signal ?? `code ${code}`}) before listening`));
    // An EPIPE on a dead child's stdin must not crash the parent.
    child.stdin!.on('error', () => {});
  });
}
