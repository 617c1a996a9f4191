/**
 * Image pulls as the kubelet reports them: which images the simulated node cannot pull, and the
 * reference containerd resolves a name to (what its pull errors quote).
 */
import type { KObject } from '../store-types.ts';
import { isHarnessImage } from './container-kinds.ts';
import type { ContainerSpec } from './pod-spec.ts';
import type { ClusterRuntime } from './runtime.ts';

/** `docker.io/library/name:latest`: an image reference as containerd resolves it. */
export function normalizedImageRef(image: string): string {
  let ref = image;
  const first = ref.split('/')[0] ?? '';
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) ref = `docker.io/${ref.includes('/') ? ref : `library/${ref}`}`;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  if (!ref.includes('@') && !last.includes(':')) ref += ':latest';
  return ref;
}

/** Whether the kubelet cannot pull a container's image: listed in `missingImages`, or a Job's pod whose image is not the harness. */
export function imageUnavailable(runtime: ClusterRuntime, pod: KObject, c: ContainerSpec): boolean {
  if (runtime.harness.missingImages.has(c.image ?? '')) return true;
  const jobOwned = pod.metadata.ownerReferences?.some((r) => r.controller && r.kind === 'Job' && r.apiVersion === 'batch/v1') ?? false;
  return jobOwned && !isHarnessImage(c.image) && !runtime.processes.has(`${pod.metadata.namespace}/${pod.metadata.name}/${c.name}`);
}
