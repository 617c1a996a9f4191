import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError } from '../../errors/index.ts';
import { CLUSTER_SIM_OPTIONS_ENV, CLUSTER_SIM_WATCH_STDIN_ENV } from './child-env.ts';
import { resolveClusterSimOptions, type ClusterSimOptions, type ClusterSimOptionsInput } from './cluster-options.ts';

/** How to start the child process. */
export interface SpawnClusterSimOptions {
  /** Give up (and kill the child) when it has not printed its listening line by then, in ms. Default 30000. */
  startTimeoutMs?: number;
  /** Extra environment variables for the child. */
  env?: NodeJS.ProcessEnv;
}

/** What a client needs to map its own `process.hrtime.bigint()` readings to cluster time. */
export interface ClusterClockInfo {
  timeScale: number;
  epochMs: number;
  startHrNs: string;
}

/** A cluster simulator running in a child process. */
export interface ClusterSimProcess {
  /** API server URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The kubeconfig that points at it. */
  readonly kubeconfigPath: string;
  /** The namespace of the kubeconfig context. */
  readonly namespace: string;
  /** The cluster clock's mapping (see `ClusterClock.describe()`). */
  readonly clockInfo: ClusterClockInfo;
  /** Child process id. */
  readonly pid: number;
  /** The resolved options the child was started with. */
  readonly options: ClusterSimOptions;
  /** SIGTERM, then SIGKILL after a few seconds; resolves when the child has exited (and its temporary kubeconfig is gone). */
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./child-entry.mjs', import.meta.url));
const KILL_AFTER_MS = 5000;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A parent that exits without stop() still takes its clusters down (SIGTERM lets them close).
  process.once('exit', () => {
    for (const child of live) child.kill('SIGTERM');
  });
}

function startError(reason: string, stderr: string): BenchError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const t = lines.slice(-3).join(' | ').slice(-600);
  return new BenchError('SIM_START_FAILED', `embedded cluster simulator failed to start: ${reason}${t ? `: ${t}` : ''}`);
}

/**
 * Starts the cluster simulator in a child process (its own event loop, so the client's timings
 * are not distorted by the cluster's work) and resolves once its API server listens and its
 * kubeconfig is written. Options are validated here first, with the same one-line errors as the
 * CLI. The child exits when stopped, when this process exits, or when its stdin closes (this
 * process crashed); it resets its priority to 0 so a measuring parent's raised priority is not
 * inherited.
 */
export function spawnClusterSim(input: ClusterSimOptionsInput = {}, opts: SpawnClusterSimOptions = {}): Promise<ClusterSimProcess> {
  let options: ClusterSimOptions;
  try {
    options = resolveClusterSimOptions(input);
  } catch (err) {
    return Promise.reject(err);
  }
  // The parent owns a temporary kubeconfig folder, so it is removed even if the child is killed.
  const tempDir = options.kubeconfig ? undefined : mkdtempSync(join(tmpdir(), 'vitest-llm-d-cluster-'));
  const childOptions: ClusterSimOptions = { ...options, kubeconfig: options.kubeconfig ?? join(tempDir!, 'kubeconfig') };
  const child = spawn(process.execPath, [ENTRY], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env, [CLUSTER_SIM_OPTIONS_ENV]: JSON.stringify(childOptions), [CLUSTER_SIM_WATCH_STDIN_ENV]: '1' },
  });
  live.add(child);
  installExitHook();
  if (child.pid !== undefined) {
    try {
      if (getPriority(child.pid) < 0) setPriority(child.pid, 0);
    } catch {
      // The child already exited (reported below), or lowering is not supported here.
    }
  }
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await exitedPromise;
      clearTimeout(timer);
    }
  };

  return new Promise<ClusterSimProcess>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const fail = (err: BenchError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(err));
    };
    const timeoutMs = opts.startTimeoutMs ?? 30_000;
    const timer = setTimeout(() => fail(startError(`no listening line within ${timeoutMs} ms`, stderr)), timeoutMs);
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
      let line: { event?: string; url?: string; kubeconfigPath?: string; namespace?: string; clock?: ClusterClockInfo; pid?: number };
      try {
        line = JSON.parse(stdout.slice(0, nl)) as typeof line;
      } catch {
        return fail(startError(`unexpected output ${JSON.stringify(stdout.slice(0, 200))}`, stderr));
      }
      if (line.event !== 'listening' || typeof line.url !== 'string' || !line.clock || !line.kubeconfigPath) return fail(startError(`unexpected line ${stdout.slice(0, nl)}`, stderr));
      settled = true;
      clearTimeout(timer);
      // The child must not keep this process alive: stop() or the exit hook ends it.
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
      resolve({
        url: line.url,
        kubeconfigPath: line.kubeconfigPath,
        namespace: line.namespace ?? options.namespace,
        clockInfo: line.clock,
        pid: line.pid ?? child.pid!,
        options,
        stop,
      });
    });
    child.once('error', (err) => fail(startError(err.message, stderr)));
    child.once('exit', (code, signal) => fail(startError(`child exited (${signal ?? `code ${code}`}) before listening`, stderr)));
    // An EPIPE on a dead child's stdin must not crash the parent.
    child.stdin!.on('error', () => {});
  });
}
