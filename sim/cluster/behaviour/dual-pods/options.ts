/**
 * Options of the emulated dual-pods controller and launcher populator. Defaults are the Helm
 * chart's (`FMA:charts/fma-controllers/values.yaml`) where the chart sets them, else the
 * controller's own constants, each cited from `reference/dual-pods-protocol.md`. Durations are
 * cluster milliseconds (the {@link ClusterClock} scales them).
 */
import { z } from 'zod';

const clusterMs = (description: string, value: number) =>
  z.number({ error: 'expected a positive number of cluster milliseconds' }).positive({ error: 'expected a positive number of cluster milliseconds' }).default(value).describe(description);

/** Options of the launcher populator (protocol section 5, "Proactive population"; section 9.3 I). */
export const PopulatorOptionsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Run the launcher populator next to the controller (the chart deploys both). Default: true.'),
    stuckSchedulingMs: clusterMs(
      'A launcher not scheduled this long after creation is labelled `launcher-stuck=true` with a `LauncherStuck` Warning Event (reason "stuck_scheduling") and kept (protocol section 5, "Observability"). Default: 120000 (2 min).',
      120_000,
    ),
    stuckStartingMs: clusterMs(
      'A launcher scheduled but not Ready this long after scheduling is labelled stuck (reason "stuck_starting") and kept. Default: 300000 (5 min).',
      300_000,
    ),
  })
  .describe('The launcher populator.');

/** Options of {@link startDualPodsController}. */
export const DualPodsOptionsSchema = z
  .strictObject({
    sleeperLimit: z
      .number()
      .int({ error: 'expected a whole number' })
      .min(0, { error: 'expected a whole number >= 0' })
      .default(2)
      .describe('`--sleeper-limit`: most sleeping direct providers per GPU before the oldest are deleted (protocol section 2.4, "Sleeper budget"). Default: 2, as the Helm chart (the binary defaults to 1).'),
    debugAcceleratorMemory: z
      .boolean()
      .default(false)
      .describe('`--debug-accelerator-memory`: before a wake, query the requester\'s accelerator memory and refuse when a GPU uses more than sleeperLimit x 4096 MiB (section 2.2). Default: false, as the Helm chart (the binary defaults to true).'),
    legacyNaming: z
      .boolean()
      .default(false)
      .describe('Emulate the older convention: keys under `dual-pod.llm-d.ai/` and direct providers named `<requester>-server` (section 1). Default: false.'),
    gpuMapFallback: z
      .enum(['error', 'naive'])
      .default('error')
      .describe('Without the `gpu-map` ConfigMap: "error" records the error in the requester status and waits, as the real controller; "naive" maps mock UUIDs `GPU-<n>` to index n (section 2.2). Default: "error".'),
    verbosity: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(5)
      .describe('klog `-v`: log lines up to this verbosity are kept. Default: 5, as the chart runs the controller (section 3).'),
    httpTimeoutMs: clusterMs('Client timeout of every HTTP call to a requester, provider or launcher (section 3, `inference-server.go:2196`). Default: 30000.', 30_000),
    sleepingRetryMs: clusterMs('Fixed delay before retrying a failed `/is_sleeping` query (section 3, `retryAfter: 5*time.Second`). Default: 5000.', 5000),
    backoffBaseMs: clusterMs('First per-item retry delay after an error; it doubles per failure (client-go\'s item-exponential limiter starts at 5 ms). Default: 5.', 5),
    backoffMaxMs: clusterMs('Cap of the per-item exponential back-off (section 3, `controllerQueuePerItemRetryMaxDelay`). Default: 20000.', 20_000),
    apiWriteMs: z
      .number()
      .min(0)
      .default(20)
      .describe('Latency of each Create/Update/Delete the controller makes, in cluster ms, unless the composer passes `apiWriteMs()` from the timing model (section 9.2: ~10-50 ms). Default: 20.'),
    logLimitLines: z.number().int().positive().default(200_000).describe('Most log lines kept in memory; older lines are dropped first. Default: 200000.'),
    populator: PopulatorOptionsSchema.prefault({}),
  })
  .describe('The emulated dual-pods controller (reference/dual-pods-protocol.md section 9.3).');

/** Resolved options. */
export type DualPodsOptions = z.output<typeof DualPodsOptionsSchema>;
/** Options as a caller writes them (everything optional). */
export type DualPodsOptionsInput = z.input<typeof DualPodsOptionsSchema>;
