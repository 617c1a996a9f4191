/**
 * Container logs: what each simulated process writes, line by line, stamped with cluster time,
 * served through the API's `pods/log` subresource (which applies `timestamps`, `tailLines`,
 * `sinceTime` and `sinceSeconds` to the timed lines). A restarted container's last run stays
 * readable as `previous`, as with the kubelet.
 */
import type { ClusterClock } from '../clock.ts';

/** One line of a container log. */
interface LogLine {
  /** Cluster wall time in ms since 1970. */
  atMs: number;
  text: string;
}

/** Most lines one container keeps (oldest dropped first), like a rotated container log. */
const MAX_LINES = 20_000;

/** A follower of a log (`pods/log?follow=true`). */
interface Follower {
  line(entry: { time: number; text: string }): void;
  end(): void;
}

/** The log of one container run. */
export class LogBuffer {
  private readonly lines: LogLine[] = [];
  private maxLines = MAX_LINES;
  private readonly followers = new Set<Follower>();
  private ended = false;

  constructor(private readonly clock: ClusterClock) {}

  /** Keeps every line (a harness container's log is read whole by the launcher). */
  keepAll(): void {
    this.maxLines = Infinity;
  }

  /** Appends text; each line (a trailing newline is optional) gets the current cluster time. */
  write(text: string): void {
    const atMs = this.clock.nowMs();
    const parts = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    for (const part of parts) {
      this.lines.push({ atMs, text: part });
      for (const f of this.followers) f.line({ time: atMs, text: part });
    }
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }

  /** The container run ended: followers get the end of their stream. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const f of this.followers) f.end();
    this.followers.clear();
  }

  /** Whether the run has ended. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Follows new lines until the run ends (at once when it has); returns the unsubscribe function. */
  follow(line: Follower['line'], end: Follower['end']): () => void {
    if (this.ended) {
      end();
      return () => {};
    }
    const f: Follower = { line, end };
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  /** The lines with their cluster times, for the API server's `pods/log` (which applies `sinceTime`, `tailLines`, `timestamps`). */
  entries(): Array<{ time: number; text: string }> {
    return this.lines.map((l) => ({ time: l.atMs, text: l.text }));
  }

  /** The log as one text, a line each (a launcher instance's log file). */
  text(): string {
    return this.lines.map((l) => `${l.text}\n`).join('');
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
    old?.end();
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
    for (const map of [this.current, this.previous]) {
      for (const [key, log] of map) {
        if (!key.startsWith(prefix)) continue;
        log.end();
        map.delete(key);
      }
    }
  }
}
