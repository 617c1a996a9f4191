/**
 * The kubelet's prober, in cluster time, making real HTTP requests to `<podIP>:<port>`.
 *
 * It follows kubelet's `prober/worker.go`: a worker per container and probe kind ticks every
 * `periodSeconds` from when the kubelet took the pod on (not from container start); a tick while
 * the container is not running, or before `initialDelaySeconds` have passed since it started
 * (whole seconds, truncated), probes nothing. So a requester with `initialDelaySeconds: 2`,
 * `periodSeconds: 5` is first probed ~5 s after the kubelet saw it, and readiness is noticed with
 * up to a period of lag (protocol 3 and 10.7). The result flips only after `successThreshold`
 * consecutive successes or `failureThreshold` consecutive failures; readiness starts as failure,
 * liveness as success, startup as unknown. `httpGet` succeeds on 200-399, `tcpSocket` on connect;
 * `exec` cannot be simulated and always succeeds.
 *
 * `timeoutSeconds` is converted to real time but never below 1 s of real time: simulated servers
 * answer at once, so only the host's own load could make one late, and that is not modelled.
 */
import { connect } from 'node:net';
import { httpGet } from './http-get.ts';
import { resolvePort, type ContainerSpec, type ProbeSpec } from './pod-spec.ts';
import type { ClusterRuntime } from './runtime.ts';

/** The three probe kinds. */
export type ProbeKind = 'readiness' | 'liveness' | 'startup';

/** Real-time floor of a probe timeout, in ms. */
const TIMEOUT_FLOOR_REAL_MS = 1000;

/** What a worker reports to the kubelet. */
export interface ProbeCallbacks {
  /** Cluster ms since 1970 when the container started, or undefined while it is not running. */
  startedAtMs(): number | undefined;
  /** The thresholded result changed (readiness: ready or not; liveness/startup: false means kill). */
  onChange(success: boolean): void;
  /** One probe attempt failed, with the kubelet's message (becomes an `Unhealthy` event). */
  onFailure(message: string): void;
  /** False while probing is on hold (readiness and liveness wait for the startup probe). */
  enabled?(): boolean;
}

/** Probes one container for one kind until stopped. */
export class ProbeWorker {
  private result: boolean | undefined;
  private lastAttempt: boolean | undefined;
  private run = 0;
  private cancel: (() => void) | undefined;
  private stopped = false;
  private readonly periodMs: number;

  constructor(
    private readonly runtime: ClusterRuntime,
    readonly kind: ProbeKind,
    private readonly spec: ProbeSpec,
    private readonly container: ContainerSpec,
    private readonly podIP: () => string,
    private readonly callbacks: ProbeCallbacks,
  ) {
    this.periodMs = Math.max(1, spec.periodSeconds ?? 10) * 1000;
    this.result = kind === 'readiness' ? false : kind === 'liveness' ? true : undefined;
  }

  /** Starts ticking now (the kubelet's worker start). */
  start(): void {
    void this.tick();
  }

  /** Back to the initial result, for a restarted container (the kubelet keys results by container ID). */
  reset(): void {
    this.result = this.kind === 'readiness' ? false : this.kind === 'liveness' ? true : undefined;
    this.lastAttempt = undefined;
    this.run = 0;
  }

  /** Stops the worker. */
  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  /** The current thresholded result (undefined: startup not yet decided). */
  get current(): boolean | undefined {
    return this.result;
  }

  private async tick(): Promise<void> {
    this.cancel = undefined;
    const began = this.runtime.clock.nowMs();
    const started = this.callbacks.startedAtMs();
    if (started !== undefined && (this.callbacks.enabled?.() ?? true) && Math.trunc((began - started) / 1000) >= (this.spec.initialDelaySeconds ?? 0)) {
      const outcome = await this.probeOnce();
      if (this.stopped) return;
      this.record(outcome);
      if (this.stopped) return;
    }
    // A Go ticker drops ticks that a slow probe missed; the next one is on the period grid.
    const elapsed = this.runtime.clock.nowMs() - began;
    const wait = this.periodMs - (elapsed % this.periodMs);
    this.cancel = this.runtime.clock.after(wait, () => void this.tick());
  }

  private record(outcome: { success: boolean; message: string }): void {
    if (!outcome.success) this.callbacks.onFailure(outcome.message);
    this.run = this.lastAttempt === outcome.success ? this.run + 1 : 1;
    this.lastAttempt = outcome.success;
    const threshold = outcome.success ? (this.spec.successThreshold ?? 1) : (this.spec.failureThreshold ?? 3);
    if (this.run < threshold || this.result === outcome.success) return;
    this.result = outcome.success;
    this.callbacks.onChange(outcome.success);
  }

  private timeoutMs(): number {
    return Math.max(TIMEOUT_FLOOR_REAL_MS, this.runtime.clock.toRealMs((this.spec.timeoutSeconds ?? 1) * 1000));
  }

  private async probeOnce(): Promise<{ success: boolean; message: string }> {
    const s = this.spec;
    if (s.httpGet) {
      const port = resolvePort(this.container, s.httpGet.port);
      const host = s.httpGet.host || this.podIP();
      const path = s.httpGet.path || '/';
      const url = `${(s.httpGet.scheme ?? 'HTTP').toLowerCase()}://${host}:${port}${path}`;
      if (port === undefined) return { success: false, message: `Get "${url}": invalid port ${String(s.httpGet.port)}` };
      const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.31', accept: '*/*' };
      for (const h of s.httpGet.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
      const r = await httpGet({ host, port, path, headers, timeoutMs: this.timeoutMs() });
      if (!r.ok) return { success: false, message: `Get "${url}": ${r.error}` };
      if (r.status >= 200 && r.status < 400) return { success: true, message: '' };
      return { success: false, message: `HTTP probe failed with statuscode: ${r.status}` };
    }
    if (s.tcpSocket) {
      const port = resolvePort(this.container, s.tcpSocket.port);
      const host = s.tcpSocket.host || this.podIP();
      if (port === undefined) return { success: false, message: `invalid port ${String(s.tcpSocket.port)}` };
      return tcpProbe(host, port, this.timeoutMs());
    }
    return { success: true, message: '' };
  }
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<{ success: boolean; message: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ success: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ success: true, message: '' });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ success: false, message: err.code === 'ECONNREFUSED' ? `dial tcp ${host}:${port}: connect: connection refused` : err.message });
    });
  });
}

/** The probe event message prefix (`Readiness probe failed: ...`). */
export function probeFailureText(kind: ProbeKind, message: string): string {
  const name = kind === 'readiness' ? 'Readiness' : kind === 'liveness' ? 'Liveness' : 'Startup';
  return `${name} probe failed: ${message}`;
}
