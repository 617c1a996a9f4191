/**
 * Cluster time. Every duration of the simulated cluster (scheduling, image pulls, model loads,
 * probe periods, controller back-offs) is a number of *cluster* milliseconds; the clock maps them
 * to real time through one time-scale factor, so a scenario that takes minutes on a cluster takes
 * seconds in CI (`timeScale: 0.01` runs 100 cluster seconds in 1 real second).
 *
 * Timestamps the simulator writes into objects (`creationTimestamp`, condition
 * `lastTransitionTime`, container `startedAt`, events) are cluster time, so reports read the
 * same whether they came from a real cluster or from the simulator: what a user reads is what it
 * would have taken on the modelled cluster.
 */
export class ClusterClock {
  /** Real milliseconds per cluster millisecond (0 < timeScale; 1 is real time). */
  readonly timeScale: number;
  /** Cluster epoch in ms since 1970 (the wall time the simulator started). */
  readonly epochMs: number;
  /**
   * `process.hrtime.bigint()` at the epoch: the system's monotonic clock, shared by every process
   * on the machine, so a client in another process maps its own readings to cluster time with
   * {@link ClusterClock.fromHrtime} semantics: `epochMs + (hr - startHrNs) / 1e6 / timeScale`.
   */
  readonly startHrNs: bigint;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(timeScale = 1, epochMs = Date.now(), startHrNs = process.hrtime.bigint()) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
    this.timeScale = timeScale;
    this.epochMs = epochMs;
    this.startHrNs = startHrNs;
  }

  /** Cluster milliseconds since the epoch (monotonic, sub-millisecond). */
  elapsedMs(): number {
    return this.fromHrtime(process.hrtime.bigint()) - this.epochMs;
  }

  /** Cluster wall time (ms since 1970) of a `process.hrtime.bigint()` reading from any process on this machine. */
  fromHrtime(hrNs: bigint): number {
    return this.epochMs + Number(hrNs - this.startHrNs) / 1e6 / this.timeScale;
  }

  /** What a client needs to map its own monotonic readings to cluster time (published by the simulator). */
  describe(): { timeScale: number; epochMs: number; startHrNs: string } {
    return { timeScale: this.timeScale, epochMs: this.epochMs, startHrNs: String(this.startHrNs) };
  }

  /** Cluster wall time in ms since 1970. */
  nowMs(): number {
    return this.epochMs + this.elapsedMs();
  }

  /** Cluster wall time as a Date. */
  now(): Date {
    return new Date(this.nowMs());
  }

  /**
   * An RFC 3339 timestamp of cluster time at whole seconds, as the Kubernetes API writes
   * `creationTimestamp` and `lastTransitionTime` (`2026-11-23T13:08:50Z`).
   */
  kubeTimestamp(ms = this.nowMs()): string {
    return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
  }

  /** RFC 3339 with microseconds, as klog's structured time fields and `MicroTime` write them. */
  microTimestamp(ms = this.nowMs()): string {
    const whole = Math.floor(ms);
    const micros = Math.floor((ms - whole) * 1000);
    const iso = new Date(whole).toISOString(); // ...T13:08:50.123Z
    return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
  }

  /** Real milliseconds for a cluster duration. */
  toRealMs(clusterMs: number): number {
    return clusterMs * this.timeScale;
  }

  /** Runs `fn` after `clusterMs` of cluster time. Returns a cancel function. */
  after(clusterMs: number, fn: () => void): () => void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.max(0, clusterMs * this.timeScale));
    this.timers.add(t);
    return () => {
      clearTimeout(t);
      this.timers.delete(t);
    };
  }

  /** Resolves after `clusterMs` of cluster time. */
  sleep(clusterMs: number): Promise<void> {
    return new Promise((resolve) => this.after(clusterMs, resolve));
  }

  /** Cancels every pending timer (on shutdown). */
  stopAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
