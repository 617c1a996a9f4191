/**
 * Harness containers (image repository `.../vitest-llm-d`): the kubelet runs the container's
 * `command` + `args` as a real child process of the simulator (`child_process.spawn`, no shell),
 * so a Kubernetes Indexed Job of the harness runs end to end on one machine.
 *
 * - Working directory: `workingDir` (default `/app`) through the mount emulation below; the
 *   image's `/app` is the cluster option `harnessRoot` (default the simulator's working directory).
 * - Environment: `PATH`, `HOME` and `NODE_*` of the simulator process, `HOSTNAME` (the pod's
 *   `spec.hostname`, else its name), `KUBERNETES_SERVICE_HOST`/`PORT`, `TMPDIR` (the container's
 *   own `/tmp`), then the container's environment as the kubelet resolves it (`pod-spec.ts`).
 * - Volumes, as files on this machine: `configMap` and `secret` volumes are written (all keys, or
 *   `items` with their paths) into `<podsRoot>/<namespace>_<pod>_<uid>/volumes/<volume>`,
 *   `emptyDir` is a folder there, `persistentVolumeClaim` C is `<pvRoot>/<namespace>/<C>` (shared
 *   by every pod that mounts it, and kept after the pod), `hostPath` is the path itself.
 *   `subPath` selects a folder inside the volume.
 * - Mount emulation (there is no mount namespace): every occurrence of a `mountPath`, and of
 *   `/app` and `/tmp`, as a path prefix (at the start of a value or after whitespace, `=`, `:`,
 *   `,`, a quote, a backtick or `(`; followed by `/`, the end or such a separator) in the env
 *   values, the command and the args is rewritten to the local folder, the longest mount path
 *   first, in one pass. Paths the process builds itself at run time are not rewritten.
 * - stdout and stderr are the container log (line by line, every line kept).
 * - Exit code 0 is `Completed`, anything else `Error`; killed by a signal, 128 + its number
 *   (143 SIGTERM, 137 SIGKILL). A command that cannot be started is `StartError` with exit code
 *   128 and the runtime's message.
 * - Termination: SIGTERM, then SIGKILL after the grace period in cluster time. Every child is
 *   killed when the simulator closes, and with SIGKILL when its process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import type { KObject } from '../store-types.ts';
import type { ContainerBehaviour, ContainerContext, ContainerProcess, HarnessSettings } from './runtime.ts';
import type { ContainerSpec } from './pod-spec.ts';

/** The default command of the harness image (its Dockerfile's CMD, no ENTRYPOINT). */
export const HARNESS_DEFAULT_COMMAND = ['npx', 'vitest', 'run'];

/** A volume the kubelet cannot set up (`FailedMount`; the container stays in ContainerCreating). */
export class MountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MountError';
  }
}

interface Volume {
  name: string;
  configMap?: { name?: string; items?: Array<{ key: string; path: string }>; optional?: boolean };
  secret?: { secretName?: string; items?: Array<{ key: string; path: string }>; optional?: boolean };
  emptyDir?: unknown;
  persistentVolumeClaim?: { claimName?: string };
  hostPath?: { path?: string };
}

/** One emulated mount: the path the process names, the folder it gets. */
export interface Mount {
  mountPath: string;
  local: string;
}

const live = new Set<ChildProcess>();
let exitHook = false;

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

/** The per-pod folder of a pod. */
export function podDir(settings: HarnessSettings, pod: KObject): string {
  return join(settings.podsRoot, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
}

/** The folder of PersistentVolumeClaim `claim` in `namespace`. */
export function claimDir(pvRoot: string, namespace: string, claim: string): string {
  return join(pvRoot, namespace, claim);
}

function safeJoin(root: string, rel: string): string {
  const p = resolve(root, rel);
  if (p !== root && !p.startsWith(root + sep)) throw new MountError(`invalid path ${JSON.stringify(rel)}: must not leave the volume`);
  return p;
}

function writeKeys(dir: string, data: Record<string, string | Buffer>, items: Array<{ key: string; path: string }> | undefined, what: string): void {
  mkdirSync(dir, { recursive: true });
  const entries = items?.length ? items.map((i) => [i.key, i.path] as const) : Object.keys(data).map((k) => [k, k] as const);
  for (const [key, path] of entries) {
    const value = data[key];
    if (value === undefined) throw new MountError(`${what} references non-existent config key: ${key}`);
    const file = safeJoin(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, value);
  }
}

/**
 * Sets up the volumes a container mounts and returns its mounts (kubelet's volume manager and
 * the runtime's bind mounts, on the local filesystem). Throws {@link MountError} with the
 * kubelet's `MountVolume.SetUp failed ...` message when a ConfigMap or Secret is missing.
 */
export function prepareMounts(ctx: { runtime: { store: ContainerContext['runtime']['store']; harness: HarnessSettings }; pod: KObject; container: ContainerSpec }): Mount[] {
  const { pod, container } = ctx;
  const settings = ctx.runtime.harness;
  const namespace = pod.metadata.namespace ?? 'default';
  const volumes = ((pod.spec as { volumes?: Volume[] } | undefined)?.volumes ?? []) as Volume[];
  const base = podDir(settings, pod);
  const mounts: Mount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const v = volumes.find((x) => x.name === m.name);
    if (!v) throw new MountError(`volume "${m.name}" not found`);
    const volDir = join(base, 'volumes', v.name);
    let local: string;
    if (v.configMap) {
      const name = v.configMap.name ?? '';
      const cm = ctx.runtime.store.get('configmaps', namespace, name);
      if (!cm && !v.configMap.optional) throw new MountError(`MountVolume.SetUp failed for volume "${v.name}" : configmap "${name}" not found`);
      const data: Record<string, string | Buffer> = {};
      for (const [k, val] of Object.entries((cm?.data ?? {}) as Record<string, string>)) data[k] = String(val);
      for (const [k, val] of Object.entries((cm?.binaryData ?? {}) as Record<string, string>)) data[k] = Buffer.from(val, 'base64');
      try {
        writeKeys(volDir, data, cm ? v.configMap.items : [], `configmap "${name}"`);
      } catch (err) {
        throw new MountError(`MountVolume.SetUp failed for volume "${v.name}" : ${(err as Error).message}`);
      }
      local = volDir;
    } else if (v.secret) {
      const name = v.secret.secretName ?? '';
      const s = ctx.runtime.store.get('secrets', namespace, name);
      if (!s && !v.secret.optional) throw new MountError(`MountVolume.SetUp failed for volume "${v.name}" : secret "${name}" not found`);
      const data: Record<string, Buffer> = {};
      for (const [k, val] of Object.entries((s?.data ?? {}) as Record<string, string>)) data[k] = Buffer.from(String(val), 'base64');
      try {
        writeKeys(volDir, data, s ? v.secret.items : [], `secret "${name}"`);
      } catch (err) {
        throw new MountError(`MountVolume.SetUp failed for volume "${v.name}" : ${(err as Error).message}`);
      }
      local = volDir;
    } else if (v.persistentVolumeClaim) {
      local = claimDir(settings.pvRoot, namespace, v.persistentVolumeClaim.claimName ?? '');
    } else if (v.hostPath) {
      local = v.hostPath.path ?? '/';
    } else {
      // emptyDir, and volume types the simulator does not fill (downwardAPI, projected, ...): an empty folder.
      local = volDir;
    }
    if (m.subPath) local = safeJoin(local, m.subPath);
    mkdirSync(local, { recursive: true });
    mounts.push({ mountPath: m.mountPath.replace(/\/+$/, '') || '/', local });
  }
  const tmp = join(base, 'tmp', container.name);
  mkdirSync(tmp, { recursive: true });
  if (!mounts.some((x) => x.mountPath === '/tmp')) mounts.push({ mountPath: '/tmp', local: tmp });
  if (!mounts.some((x) => x.mountPath === '/app')) mounts.push({ mountPath: '/app', local: settings.root });
  return mounts;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const BEFORE = `(^|[\\s=:,'"\`(])`;
const AFTER = `(?=$|[/\\s:,'"\`;)])`;

/** Rewrites every mount path used as a path prefix in `text` to its local folder (one pass, longest first). */
export function rewriteMounts(text: string, mounts: readonly Mount[]): string {
  if (!mounts.length) return text;
  const sorted = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  const byPath = new Map(sorted.map((m) => [m.mountPath, m.local]));
  const re = new RegExp(`${BEFORE}(${sorted.map((m) => escapeRegex(m.mountPath)).join('|')})${AFTER}`, 'g');
  return text.replace(re, (_all, before: string, path: string) => `${before}${byPath.get(path) ?? path}`);
}

/** The simulator's own variables a harness process inherits. */
function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (k === 'PATH' || k === 'HOME' || k.startsWith('NODE_'))) out[k] = v;
  }
  return out;
}

function signalCode(signal: NodeJS.Signals | null): number {
  const n = signal ? (constants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (n ?? 9);
}

/** Resident memory of a process in KiB (Linux `/proc`), 0 when unknown. */
export function residentKib(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Splits a byte stream into lines for the log; the last partial line is flushed at the end. */
function lineWriter(write: (line: string) => void): { data(chunk: string): void; end(): void } {
  let pending = '';
  return {
    data(chunk) {
      pending += chunk;
      const nl = pending.lastIndexOf('\n');
      if (nl < 0) return;
      write(pending.slice(0, nl + 1));
      pending = pending.slice(nl + 1);
    },
    end() {
      if (pending) write(pending);
      pending = '';
    },
  };
}

/** Starts a harness container as a child process (see the module comment). Throws {@link MountError} before anything runs. */
export const startHarness: ContainerBehaviour = (ctx): ContainerProcess => {
  const { runtime, pod, container } = ctx;
  const settings = runtime.harness;
  const mounts = prepareMounts(ctx);
  ctx.log.keepAll();
  const spec = (pod.spec ?? {}) as { hostname?: string };
  const env: Record<string, string> = { ...inheritedEnv(), HOSTNAME: spec.hostname || (pod.metadata.name ?? ''), TMPDIR: rewriteMounts('/tmp', mounts) };
  for (const [k, v] of Object.entries(ctx.env)) env[k] = rewriteMounts(v, mounts);
  if (spec.hostname) env.HOSTNAME = spec.hostname;
  const argv = (ctx.argv.length ? ctx.argv : HARNESS_DEFAULT_COMMAND).map((a) => rewriteMounts(a, mounts));
  const cwd = rewriteMounts(container.workingDir || '/app', mounts);
  try {
    mkdirSync(cwd, { recursive: true });
  } catch {
    // The spawn reports it.
  }
  const [file, ...args] = argv as [string, ...string[]];
  let exitCode: number | undefined;
  let child: ChildProcess;
  let startError: string | undefined;
  try {
    child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  } catch (err) {
    startError = (err as Error).message;
    child = undefined as unknown as ChildProcess;
  }
  const entry = { namespace: pod.metadata.namespace ?? '', pod: pod.metadata.name ?? '', container: container.name, pid: child?.pid ?? 0 };
  let resolveExit!: () => void;
  const exitedPromise = new Promise<void>((r) => (resolveExit = r));
  const finish = (code: number, detail?: { reason: string; message: string }): void => {
    if (exitCode !== undefined) return;
    exitCode = code;
    live.delete(child);
    settings.live.delete(entry);
    for (const w of writers) w.end();
    resolveExit();
    ctx.exited(code, detail);
  };
  const startErrorDetail = (message: string) => ({
    reason: 'StartError',
    message: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${file}": ${message}: unknown`,
  });
  const writers = [lineWriter((t) => ctx.log.write(t)), lineWriter((t) => ctx.log.write(t))];
  if (!child || startError) {
    queueMicrotask(() => finish(128, startErrorDetail(startError ?? 'cannot start')));
  } else {
    live.add(child);
    installExitHook();
    if (child.pid) settings.live.add(entry);
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => writers[0]!.data(d));
    child.stderr!.on('data', (d: string) => writers[1]!.data(d));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined || err.code === 'ENOENT' || err.code === 'EACCES') {
        const why = err.code === 'ENOENT' ? (existsSync(cwd) ? 'executable file not found in $PATH' : `chdir to cwd ("${cwd}") set in config.json failed: no such file or directory`) : 'permission denied';
        finish(128, startErrorDetail(why));
      }
    });
    child.once('close', (code, signal) => finish(code ?? signalCode(signal)));
  }
  const signal = (sig: NodeJS.Signals): void => {
    if (exitCode !== undefined) return;
    try {
      child.kill(sig);
    } catch {
      // Gone.
    }
  };
  const terminate = async (graceMs: number): Promise<void> => {
    if (exitCode !== undefined) return;
    signal('SIGTERM');
    const cancel = runtime.clock.after(Math.max(0, graceMs), () => signal('SIGKILL'));
    await exitedPromise;
    cancel();
  };
  const grace = Number((pod.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30) * 1000;
  return {
    pid: child?.pid,
    terminate,
    async kill() {
      signal('SIGKILL');
      await exitedPromise;
    },
    // Closing the simulator (or a pod that vanished): the grace period, but at most 2 s of real time.
    stop: () => terminate(Math.min(grace, 2000 / runtime.clock.timeScale)),
    exitCode: () => exitCode,
  };
};
