/**
 * One time axis for everything an actuation measurement compares: the client's own readings
 * (`process.hrtime.bigint()` at T0, at each watch event's arrival) and the timestamps the API
 * server writes (`creationTimestamp`, condition `lastTransitionTime`, container `startedAt`).
 *
 * On a real cluster, cluster time is wall time: the client's readings map to wall time through one
 * anchor taken at connect (so they stay monotonic), and Kubernetes timestamps are parsed as they
 * are. Intervals between a client reading and a server timestamp then include the clock offset
 * between the two machines; reports tag every interval with its sources so such mixes are visible.
 *
 * Against the embedded cluster simulator, cluster time runs `1 / timeScale` times faster than
 * real time; the simulator publishes its epoch and its `hrtime` origin (the machine's monotonic
 * clock, shared by all processes), so client readings map exactly onto its axis.
 */
export interface ClusterClockInfo {
  /** Real ms per cluster ms (1 on a real cluster). */
  timeScale: number;
  /** Cluster wall time (ms since 1970) at `startHrNs`. */
  epochMs: number;
  /** `process.hrtime.bigint()` at the epoch, as a decimal string. */
  startHrNs: string;
}

export class ClusterTime {
  readonly timeScale: number;
  private readonly epochMs: number;
  private readonly startHrNs: bigint;

  constructor(info: ClusterClockInfo) {
    this.timeScale = info.timeScale;
    this.epochMs = info.epochMs;
    this.startHrNs = BigInt(info.startHrNs);
  }

  /** Wall time of a real cluster, anchored now. */
  static wall(): ClusterTime {
    return new ClusterTime({ timeScale: 1, epochMs: Date.now(), startHrNs: String(process.hrtime.bigint()) });
  }

  /** Cluster time (ms since 1970) of a monotonic reading. */
  fromHrtime(hrNs: bigint): number {
    return this.epochMs + Number(hrNs - this.startHrNs) / 1e6 / this.timeScale;
  }

  /** Cluster time now. */
  nowMs(): number {
    return this.fromHrtime(process.hrtime.bigint());
  }

  /** Real ms for a cluster duration (for timeouts expressed in cluster time). */
  toRealMs(clusterMs: number): number {
    return clusterMs * this.timeScale;
  }

  /** Cluster duration (ms) of a real duration measured by the client. */
  toClusterMs(realMs: number): number {
    return realMs / this.timeScale;
  }
}

/**
 * Parses a Kubernetes timestamp (RFC 3339, whole seconds or fractional) to ms since 1970; the
 * client library may already have turned it into a Date. Undefined for absent or invalid values.
 */
export function kubeTimeMs(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string' || !value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
