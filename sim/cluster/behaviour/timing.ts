/**
 * The cluster's timing model: how long each modelled step takes, in *cluster* milliseconds (the
 * {@link ClusterClock} maps them to real time through the time scale). Every default cites its
 * evidence from `reference/dual-pods-protocol.md` section 9.2 (and the sections it points to);
 * where the evidence is a range, the default sits inside it.
 *
 * Durations are jittered with a seeded RNG the way llm-d-inference-sim jitters latencies: a
 * normal sample with standard deviation `jitter x mean`, clamped to [0.3, 1.7] x mean (protocol
 * section 8), so a given seed and event order replay exactly. Protocol constants (poll intervals,
 * back-offs) are not jittered: the real components use fixed timers.
 */
import { z } from 'zod';
import { createRng, type Rng } from '../../vllm/rng.ts';

const ms = (description: string, value: number) =>
  z.number({ error: 'expected a non-negative number of cluster milliseconds' }).min(0, { error: 'expected a non-negative number of cluster milliseconds' }).default(value).describe(description);

/** The timing model's options (all in cluster milliseconds). */
export const TimingOptionsSchema = z
  .strictObject({
    schedMs: ms('t_sched: pod created -> bound to a node (PodScheduled=True). Evidence: ~0.1-1 s (protocol 9.2). Default: 500.', 500),
    podIpMs: ms('Bound -> pod sandbox and network up (status.podIP set). Evidence: t_podIP ~ container start (9.2). Default: 1000.', 1000),
    containerStartMs: ms(
      'Pod IP -> each container running (startedAt), image already on the node ("Pulled: already present"). With podIpMs this is t_req_container ~1-3 s (9.2). Default: 1500.',
      1500,
    ),
    vllmLoadMs: ms(
      't_load_cold: a directly run vLLM container start -> its HTTP server accepts connections (Python import, weight load, torch.compile, CUDA graphs). ' +
        'Evidence: FMA provider probes start at initialDelaySeconds 60 (9.1); legacy simulated defaults are 82 s cached and 400 s cold, cluster data 108-318 s (9.2). ' +
        'Default: 60000 (a small model such as Qwen3-0.6B with warm caches).',
      60_000,
    ),
    launcherStartMs: ms(
      'Launcher container start -> its REST API on :8001 accepts connections (Python and vLLM module import). Evidence: t_launcher_pod "tens of seconds", LDB "Pod Start 17 s" (9.2); ' +
        'with schedMs, podIpMs, containerStartMs and the 5 s readiness probe period this makes ~16-20 s from creation to Ready. Default: 12000.',
      12_000,
    ),
    instanceCreateMs: ms(
      't_instance_create: launcher PUT -> the instance\'s vLLM HTTP server accepts connections; modules are preloaded, so weight load and compile dominate (9.2). Default: 20000.',
      20_000,
    ),
    sleepMs: ms('t_sleep: POST /sleep (level 1) duration. Evidence: tens of ms to seconds, vLLM log "It took X seconds to fall asleep" (9.2). Default: 300.', 300),
    wakeMs: ms('t_wake: POST /wake_up duration. Evidence: 0.53-0.59 s for a small model (LDB#1504), ~3 s for 64 GiB (FMA README) (9.2). Default: 500.', 500),
    apiWriteMinMs: ms('Lower bound of a controller\'s API write latency (Create/Update), drawn uniformly. Evidence: ~10-50 ms (9.2). Default: 10.', 10),
    apiWriteMaxMs: ms('Upper bound of a controller\'s API write latency. Evidence: ~10-50 ms (9.2). Default: 50.', 50),
    terminateMs: ms('Pod deletion -> its containers have exited after SIGTERM (a Go requester or vLLM shutting down cleanly, well inside the 30 s grace period). Default: 1000.', 1000),
    instanceStopMs: ms(
      'Launcher DELETE of an instance -> its process has exited (the launcher sends SIGTERM and waits up to 10 s before SIGKILL, protocol 5). Default: 1000.',
      1000,
    ),
    restartBackoffMs: ms(
      'Kubelet back-off before the second restart of a container that a liveness or startup probe killed, doubling per restart up to 5 min (CrashLoopBackOff); the first restart is immediate. Not jittered. Default: 10000.',
      10_000,
    ),
    notifierPollMs: ms('Launcher notifier sidecar poll interval of GET :8001/v2/vllm/instances (launcher_pod_notifier.py, protocol 5). Not jittered. Default: 2000.', 2000),
    notifierBackoffMs: ms('Launcher notifier sidecar back-off after an error (launcher_pod_notifier.py). Not jittered. Default: 5000.', 5000),
    jitter: z
      .number({ error: 'expected a number between 0 and 0.3' })
      .min(0, { error: 'expected a number between 0 and 0.3' })
      .max(0.3, { error: 'expected a number between 0 and 0.3' })
      .default(0.1)
      .describe('Relative standard deviation of every jittered duration; samples are clamped to [0.3, 1.7] x mean and std <= 30 % of the mean, as llm-d-inference-sim validates (protocol 8). 0 makes every duration exact. Default: 0.1.'),
  })
  .refine((o) => o.apiWriteMinMs <= o.apiWriteMaxMs, { error: 'apiWriteMinMs must not exceed apiWriteMaxMs', path: ['apiWriteMinMs'] })
  .describe('Durations of the modelled cluster, in cluster milliseconds (see sim/cluster/README.md for the evidence).');

/** Resolved timing options. */
export type TimingOptions = z.output<typeof TimingOptionsSchema>;
/** Timing options as written by a caller (everything optional). */
export type TimingOptionsInput = z.input<typeof TimingOptionsSchema>;

/** A duration of the model that is jittered when drawn. */
export type JitteredDuration =
  | 'schedMs'
  | 'podIpMs'
  | 'containerStartMs'
  | 'vllmLoadMs'
  | 'launcherStartMs'
  | 'instanceCreateMs'
  | 'sleepMs'
  | 'wakeMs'
  | 'terminateMs'
  | 'instanceStopMs';

/**
 * Draws the durations of one simulated cluster. One instance per cluster; draws happen in event
 * order, so a seed replays a scenario exactly as long as the events arrive in the same order.
 */
export class TimingModel {
  /** The resolved options (cluster milliseconds). */
  readonly options: TimingOptions;
  private readonly rng: Rng;

  constructor(options: TimingOptions, seed: number) {
    this.options = options;
    this.rng = createRng(seed, 101);
  }

  /** One jittered sample of `key`, in cluster ms (never negative). */
  draw(key: JitteredDuration): number {
    return this.jittered(this.options[key]);
  }

  /** Jitters any mean duration with the model's relative jitter, in cluster ms. */
  jittered(meanMs: number): number {
    const { jitter } = this.options;
    if (jitter <= 0 || meanMs <= 0) return Math.max(0, meanMs);
    const sample = this.rng.normal(meanMs, jitter * meanMs);
    return Math.min(1.7 * meanMs, Math.max(0.3 * meanMs, sample));
  }

  /** A controller's API write latency, uniform in [apiWriteMinMs, apiWriteMaxMs], in cluster ms. */
  apiWriteMs(): number {
    const { apiWriteMinMs: lo, apiWriteMaxMs: hi } = this.options;
    return lo + (hi - lo) * this.rng.next();
  }

  /** A uniform draw in [0, 1) from the timing stream (for choices that must replay with the seed). */
  uniform(): number {
    return this.rng.next();
  }
}
