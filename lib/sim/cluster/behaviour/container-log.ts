/**
 * Container logs: what each simulated process writes, line by line, stamped with cluster time,
 * served through the API's `pods/log` subresource (`timestamps`, `tailLines`, `sinceTime`,
 * `sinceSeconds`, `limitBytes`, `previous`, `follow`). A restarted container's last run stays
 * readable as `previous`, as with the kubelet.
 */
import type { ClusterClock } from '../clock.ts';

/** One line of a container log. */
interface LogLine {
  /** Cluster wall time in ms since 1970. */
  atMs: number;
  text: string;
}

/** The `pods/log` query options the simulator honours. */
export interface LogReadOptions {
  /** Prefix each line with its RFC 3339 timestamp. */
  timestamps?: boolean;
  /** Only the last N lines. */
  tailLines?: number;
  /** Only lines at or after this RFC 3339 time. */
  sinceTime?: string;
  /** Only lines from the last N (cluster) seconds. */
  sinceSeconds?: number;
  /** At most this many bytes (from the start of the selection). */
  limitBytes?: number;
}

/** Most lines one container keeps (oldest dropped first), like a rotated container log. */
const MAX_LINES = 20_000;

/** The log of one container run. */
export class LogBuffer {
  private readonly lines: LogLine[] = [];
  private readonly listeners = new Set<(line: string) => void>();

  constructor(private readonly clock: ClusterClock) {}

  /** Appends text; each line (a trailing newline is optional) gets the current cluster time. */
  write(text: string): void {
    const atMs = this.clock.nowMs();
    const parts = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    for (const part of parts) {
      this.lines.push({ atMs, text: part });
      for (const l of this.listeners) l(part);
    }
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }

  /** The log as `pods/log` returns it. */
  read(options: LogReadOptions = {}): string {
    let selected = this.lines;
    const since = options.sinceTime ? Date.parse(options.sinceTime) : options.sinceSeconds !== undefined ? this.clock.nowMs() - options.sinceSeconds * 1000 : undefined;
    if (since !== undefined && Number.isFinite(since)) selected = selected.filter((l) => l.atMs >= since);
    if (options.tailLines !== undefined) selected = options.tailLines <= 0 ? [] : selected.slice(-options.tailLines);
    let text = selected.map((l) => (options.timestamps ? `${this.stamp(l.atMs)} ${l.text}\n` : `${l.text}\n`)).join('');
    if (options.limitBytes !== undefined) text = Buffer.from(text, 'utf8').subarray(0, Math.max(0, options.limitBytes)).toString('utf8');
    return text;
  }

  /** RFC 3339 with nanoseconds, as the kubelet stamps log lines. */
  private stamp(ms: number): string {
    return `${this.clock.microTimestamp(ms).slice(0, -1)}000Z`;
  }

  /** Calls `listener` with every line written from now on (for `follow=true`); returns the unsubscribe function. */
  follow(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Number of lines held. */
  get size(): number {
    return this.lines.length;
  }
}

/** The logs of every container of every pod, keyed by namespace, pod and container name. */
export class ContainerLogs {
  private readonly current = new Map<string, LogBuffer>();
  private readonly previous = new Map<string, LogBuffer>();

  constructor(private readonly clock: ClusterClock) {}

  private static key(namespace: string, pod: string, container: string): string {
    return `${namespace}/${pod}/${container}`;
  }

  /** A fresh log for a container (re)start; the run before it becomes `previous`. */
  start(namespace: string, pod: string, container: string): LogBuffer {
    const key = ContainerLogs.key(namespace, pod, container);
    const old = this.current.get(key);
    if (old) this.previous.set(key, old);
    const log = new LogBuffer(this.clock);
    this.current.set(key, log);
    return log;
  }

  /** The log of a container (its previous run with `previous`), or undefined when it never started. */
  get(namespace: string, pod: string, container: string, previous = false): LogBuffer | undefined {
    return (previous ? this.previous : this.current).get(ContainerLogs.key(namespace, pod, container));
  }

  /** Drops the logs of a pod that is gone. */
  forget(namespace: string, pod: string): void {
    const prefix = `${namespace}/${pod}/`;
    for (const map of [this.current, this.previous]) for (const key of map.keys()) if (key.startsWith(prefix)) map.delete(key);
  }
}
