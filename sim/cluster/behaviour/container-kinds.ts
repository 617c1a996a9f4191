/**
 * What a container *is*, which decides the process the kubelet runs for it. The rules, first
 * match wins:
 *
 * 0. **control-plane**: a container the simulator provides the process for (the emulated
 *    dual-pods controller's and populator's pods: their metrics on `:8002/metrics`, their klog as
 *    the container log); decided by the kubelet's registry, not by this function.
 * 0b. **harness**: the image's repository ends in `vitest-llm-d` (`vitest-llm-d:0.1.0`,
 *    `registry.example.com/team/vitest-llm-d:dev`): the kubelet runs its command and args as a
 *    real child process (`harness-process.ts`).
 * 1. **requester**: the container is named `inference-server` (the name the dual-pods controller
 *    requires, protocol 2.1) in a pod annotated `dual-pods.llm-d.ai/server-patch` or
 *    `dual-pods.llm-d.ai/inference-server-config` (or the legacy `dual-pod.llm-d.ai/` prefix).
 * 2. **launcher-notifier**: the container is named `state-change-reflector` or runs
 *    `launcher_pod_notifier.py` (the sidecar the controller adds to launcher pods, protocol 5).
 * 3. **launcher**: the container runs `launcher.py`, or it is the `inference-server` container of a
 *    pod labelled `app.kubernetes.io/component=launcher`.
 * 4. **vllm**: the container runs `vllm serve` or `python -m vllm.entrypoints.openai.api_server`
 *    (also inside a `sh -c` script).
 * 5. **generic**: anything else: running at once; declared ports that probes target answer 200.
 */
import type { KObject } from '../store-types.ts';
import { commandWords, runsVllmServer } from './command-line.ts';
import type { ContainerSpec } from './pod-spec.ts';

/** The behaviours a container can have. */
export type ContainerKind = 'control-plane' | 'harness' | 'requester' | 'launcher-notifier' | 'launcher' | 'vllm' | 'generic';

/** The last path segment of the harness image's repository. */
export const HARNESS_IMAGE_NAME = 'vitest-llm-d';

/** The repository of an image reference without registry port confusion: `registry:5000/a/b:tag@sha256:...` -> `registry:5000/a/b`. */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0] ?? '';
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** Whether an image is the vitest-llm-d harness (`vitest-llm-d:0.1.0`, `registry.example.com/team/vitest-llm-d:dev`). */
export function isHarnessImage(image: string | undefined): boolean {
  if (!image) return false;
  const repo = imageRepository(image);
  return repo.slice(repo.lastIndexOf('/') + 1) === HARNESS_IMAGE_NAME;
}

/** The container name the dual-pods controller requires for requester and server. */
export const INFERENCE_SERVER_CONTAINER = 'inference-server';
/** The name of the launcher's notifier sidecar. */
export const NOTIFIER_CONTAINER = 'state-change-reflector';

const REQUEST_ANNOTATIONS = ['server-patch', 'inference-server-config'];
const PREFIXES = ['dual-pods.llm-d.ai/', 'dual-pod.llm-d.ai/'];

/** Whether a pod carries a server request (either style, either prefix). */
export function isRequesterPod(pod: KObject): boolean {
  const a = pod.metadata.annotations ?? {};
  return PREFIXES.some((p) => REQUEST_ANNOTATIONS.some((k) => Object.hasOwn(a, p + k)));
}

/** The value of a requester annotation under the current or the legacy prefix. */
export function requesterAnnotation(pod: KObject, key: string): string | undefined {
  const a = pod.metadata.annotations ?? {};
  for (const p of PREFIXES) if (Object.hasOwn(a, p + key)) return a[p + key];
  return undefined;
}

/** Classifies one container of a pod; `argv` is its command line with `$(VAR)` expanded. */
export function classifyContainer(pod: KObject, c: ContainerSpec, argv: readonly string[]): Exclude<ContainerKind, 'control-plane'> {
  if (isHarnessImage(c.image)) return 'harness';
  const words = commandWords(argv);
  if (c.name === INFERENCE_SERVER_CONTAINER && isRequesterPod(pod)) return 'requester';
  if (c.name === NOTIFIER_CONTAINER || words.some((w) => w.endsWith('launcher_pod_notifier.py'))) return 'launcher-notifier';
  const launcherPod = pod.metadata.labels?.['app.kubernetes.io/component'] === 'launcher';
  if (words.some((w) => w === 'launcher.py' || w.endsWith('/launcher.py'))) return 'launcher';
  if (launcherPod && c.name === INFERENCE_SERVER_CONTAINER) return 'launcher';
  if (runsVllmServer(words)) return 'vllm';
  return 'generic';
}
