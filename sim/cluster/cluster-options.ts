/**
 * Options of the embedded cluster simulator (`startClusterSim`, `spawnClusterSim`, and
 * `vitest-llm-d cluster-sim --<option>`, where `gpusPerNode` is `--gpus-per-node`): camelCase
 * keys like the dual-pods controller's options nested under `dualPods`. Every field is described;
 * unknown keys are rejected with a did-you-mean hint.
 */
import { z } from 'zod';
import { validateConfig } from '../../lib/config/format-issues.ts';
import { SIM_PROFILE_NAMES } from '../vllm/options.ts';
import { SIM_VERSION_SUFFIX } from '../../lib/k8s/kube-version.ts';
import { DEFAULT_KUBE_VERSION } from './api/kube-version.ts';
import { DualPodsOptionsSchema } from './behaviour/dual-pods/index.ts';
import { TimingOptionsSchema } from './behaviour/timing.ts';

const positiveInt = (what: string) => z.number({ error: `expected a positive whole number of ${what}` }).int({ error: `expected a positive whole number of ${what}` }).min(1, { error: `expected a positive whole number of ${what}` });
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The cluster simulator's options. */
export const ClusterSimOptionsSchema = z.strictObject({
  timeScale: z
    .number({ error: 'expected a positive number' })
    .gt(0, { error: 'expected a positive number' })
    .default(1)
    .describe('Real milliseconds per cluster millisecond: 0.01 runs 100 cluster seconds in 1 real second. Every modelled duration, probe period, controller timer and vLLM latency follows it. Default: 1 (real time).'),
  kubernetesVersion: z
    .string({ error: 'expected a version like 1.31.0' })
    .regex(/^\d+\.\d+\.\d+$/, { error: 'expected a version like 1.31.0' })
    .default(DEFAULT_KUBE_VERSION)
    .describe(`Kubernetes version the API server reports at /version (as v<version>${SIM_VERSION_SUFFIX}), whose default feature gates it follows: below 1.29 a Job's backoffLimitPerIndex and maxFailedIndexes are dropped on create (JobBackoffLimitPerIndex is off by default in 1.28). Default: ${DEFAULT_KUBE_VERSION}.`),
  seed: z.number({ error: 'expected a whole number >= 0' }).int({ error: 'expected a whole number >= 0' }).min(0, { error: 'expected a whole number >= 0' }).default(0).describe('Seed of every random draw (jitter, GPU UUIDs, random GPU choice, vLLM output). Default: 0.'),
  namespace: z.string({ error: 'expected a namespace name' }).regex(DNS_LABEL, { error: 'expected a DNS label (lower-case letters, digits, -)' }).default('llm-d-sim').describe('Namespace the kubeconfig context selects and the dual-pods controller watches; created with `default`. Default: llm-d-sim.'),
  host: z.string({ error: 'expected an address' }).min(1, { error: 'expected an address' }).default('127.0.0.1').describe('Interface of the API server. Default: 127.0.0.1.'),
  port: z.number({ error: 'expected a port' }).int({ error: 'expected a port' }).min(0, { error: 'expected a port' }).max(65535, { error: 'expected a port' }).default(0).describe('Port of the API server; 0 picks a free one. Default: 0.'),
  kubeconfig: z.string({ error: 'expected a file path' }).min(1, { error: 'expected a file path' }).nullable().default(null).describe('Where to write the kubeconfig; null writes one in a fresh temporary folder (removed by close()). Default: null.'),
  nodes: positiveInt('nodes').max(254, { error: 'expected at most 254 nodes' }).default(2).describe('Number of GPU nodes (sim-gpu-node-1, -2, ...). Default: 2.'),
  gpusPerNode: z.number({ error: 'expected a whole number >= 0' }).int({ error: 'expected a whole number >= 0' }).min(0, { error: 'expected a whole number >= 0' }).max(64, { error: 'expected at most 64' }).default(4).describe('GPUs per node (0: CPU-only nodes). Default: 4.'),
  gpuProduct: z.string({ error: 'expected a label value' }).min(1, { error: 'expected a label value' }).default('NVIDIA-H100-80GB-HBM3').describe('`nvidia.com/gpu.product` node label. Default: NVIDIA-H100-80GB-HBM3.'),
  gpuFamily: z.string({ error: 'expected a label value' }).min(1, { error: 'expected a label value' }).default('hopper').describe('`nvidia.com/gpu.family` node label. Default: hopper.'),
  gpuMemoryMib: positiveInt('MiB').default(81559).describe('Memory of each GPU, in MiB, as nvidia-smi reports an H100 80GB HBM3. Default: 81559.'),
  gpuPolicy: z.enum(['first-fit', 'random'], { error: 'expected first-fit or random' }).default('first-fit').describe('How the scheduler and device plugin pick a node and GPUs: first-fit (first node in name order, lowest free GPU indices: deterministic hit rates) or random (seeded). Default: first-fit.'),
  sleepingMemoryMib: z
    .number({ error: 'expected a number of MiB >= 0' })
    .min(0, { error: 'expected a number of MiB >= 0' })
    .default(512)
    .describe(
      'GPU memory a sleeping vLLM instance keeps (CUDA context, buffers), in MiB: what its "Sleep mode freed X GiB memory, Y GiB memory is still in use" line says and nvidia-smi shows; an awake one holds --gpu-memory-utilization of the GPU. ' +
        'It must stay under sleeperLimit x 4096 MiB or a controller with debugAcceleratorMemory refuses wakes (protocol 2.2). Default: 512.',
    ),
  vllmTokenizer: z.enum(['words', 'qwen3'], { error: 'expected words or qwen3' }).default('words').describe('Tokenizer of the in-cluster vLLM simulators: words (loads at once) or qwen3 (exact for Qwen3 models). Default: words.'),
  vllmProfile: z.enum(SIM_PROFILE_NAMES, { error: `expected one of ${SIM_PROFILE_NAMES.join(', ')}` }).default('small-h100').describe(`Latency profile of the in-cluster vLLM simulators (${SIM_PROFILE_NAMES.join(' | ')}). Default: small-h100.`),
  harnessRoot: z
    .string({ error: 'expected a folder path' })
    .min(1, { error: 'expected a folder path' })
    .nullable()
    .default(null)
    .describe('Folder that stands for the harness image\'s /app: the working directory of harness containers (image .../vitest-llm-d, run as real child processes) with workingDir /app or none. null: the working directory of the simulator process. Default: null.'),
  pvRoot: z
    .string({ error: 'expected a folder path' })
    .min(1, { error: 'expected a folder path' })
    .nullable()
    .default(null)
    .describe('Folder of PersistentVolumeClaim data: claim C of namespace N is <pvRoot>/N/C, shared by the harness pods that mount it. null: a fresh temporary folder, removed when the simulator closes (a given folder is kept). Default: null.'),
  missingImages: z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v),
      z.array(z.string({ error: 'expected image references' }).min(1, { error: 'expected image references' }), { error: 'expected a list of image references' }),
    )
    .default([])
    .describe('Image references (exact, comma-separated on the command line) that cannot be pulled: their containers wait in ErrImagePull / ImagePullBackOff. A Job\'s pod whose image is not the harness image cannot be pulled either. Default: none.'),
  timing: TimingOptionsSchema.prefault({}).describe('Durations of the modelled cluster, in cluster ms (see the README for the evidence behind each default).'),
  dualPods: z
    .union([z.literal(false), DualPodsOptionsSchema])
    .prefault({})
    .describe('Options of the emulated dual-pods controller and launcher populator (its own camelCase keys, e.g. sleeperLimit), or false to run the cluster without it. Default: {} (the controller with its defaults).'),
});

/** Resolved options. */
export type ClusterSimOptions = z.output<typeof ClusterSimOptionsSchema>;
/** Options as a caller writes them (everything optional). */
export type ClusterSimOptionsInput = z.input<typeof ClusterSimOptionsSchema>;

/** Validates options; throws a `ConfigError` naming the bad key (`cluster-sim options: nodes: expected ...`). */
export function resolveClusterSimOptions(input: unknown = {}, source = 'cluster-sim options'): ClusterSimOptions {
  return validateConfig(ClusterSimOptionsSchema, input ?? {}, { source });
}
