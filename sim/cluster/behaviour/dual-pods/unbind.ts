/**
 * Unbinding when the requester is deleted (protocol section 9.3 G; `ensureUnbound`,
 * `maybeDeleteObsoleteInstance`). Invariant: unbound ⇒ asleep (section 4.2).
 * 1. Launcher: remove the ISC routing labels first, so the endpoint leaves the InferencePool
 *    while it can still serve.
 * 2. Put the server to sleep: `POST /sleep` (level 1, no parameter), unless it is known asleep or
 *    the Pod has no IP; a launcher instance made obsolete by an ISC change is deleted instead.
 * 3. One Update: `sleeping=true`, no `requester` annotation, no `dual` label, no provider
 *    finalizer, no ISC labels/annotations, no instance annotations.
 * The requester finalizer goes afterwards (the caller), and a provider "in trouble" is deleted
 * before all this as a favour (the caller).
 */
import type { KObject } from '../../store-types.ts';
import type { DpcCore } from './controller-core.ts';
import { doHttp } from './http-client.ts';
import { instanceId as computeInstanceId, type ModelServerConfig } from './instance-id.ts';
import { recoverInstance } from './instance-state.ts';
import { VLLM_ISC_NAME_ANNOTATION } from './keys.ts';
import type { KLogger } from './klog.ts';
import { isInstanceNotFound, LauncherClient } from './launcher-client.ts';
import { inferenceServerPort } from './nominal-pod.ts';
import { nodeNameOf, podIPOf } from './pod-util.ts';
import { ensureDuality } from './provider-ops.ts';
import type { ServerData } from './server-data.ts';

/** `maybeDeleteObsoleteInstance`: returns the ISC name found and whether the instance is gone. */
async function deleteIfObsolete(core: DpcCore, log: KLogger, sd: ServerData, node: string, provider: KObject): Promise<{ iscName: string; deleted: boolean }> {
  if (!sd.instanceId) return { iscName: '', deleted: false };
  const client = new LauncherClient(core.rt, log, podIPOf(provider), '');
  let state;
  try {
    state = await client.getInstanceState(sd.instanceId);
  } catch (err) {
    if (isInstanceNotFound(err)) {
      log.info(2, 'Now vLLM instance does not exist', 'instanceID', sd.instanceId);
      return { iscName: '', deleted: true };
    }
    return { iscName: '', deleted: false };
  }
  const iscName = state.annotations?.[VLLM_ISC_NAME_ANNOTATION] ?? '';
  const msc = (core.ops.get('inferenceserverconfigs', iscName)?.spec as { modelServerConfig?: ModelServerConfig } | undefined)?.modelServerConfig;
  if (!iscName || !msc || !state.gpu_uuids?.length) return { iscName, deleted: false };
  const current = computeInstanceId(msc, state.gpu_uuids);
  if (current === sd.instanceId) return { iscName, deleted: false };
  sd.instancesDeleted.add(sd.instanceId);
  try {
    await client.deleteInstance(sd.instanceId);
  } catch (err) {
    if (!isInstanceNotFound(err)) {
      log.error(err, 'Failed to delete obsolete instance during unbinding', 'instanceID', sd.instanceId);
      return { iscName, deleted: false };
    }
  }
  core.nodeData(node).launchers.get(provider.metadata.name ?? '')?.instances.delete(sd.instanceId);
  log.info(2, 'Deleted obsolete instance during unbinding', 'instanceID', sd.instanceId, 'currentHash', current, 'iscName', iscName);
  return { iscName, deleted: true };
}

/** `ensureUnbound`. Throws on failure (the caller retries). */
export async function ensureUnbound(core: DpcCore, log: KLogger, sd: ServerData, iscName: string, node: string, providerIn: KObject, launcherBased: boolean): Promise<void> {
  const k = core.rt.keys;
  let provider = providerIn;
  if (launcherBased) {
    recoverInstance(sd, provider, k);
    ensureDuality(core, log, sd, node, true);
    const present = Object.keys(sd.iscLabels ?? {}).filter((key) => key in (provider.metadata.labels ?? {}));
    if (present.length > 0) {
      const updated = structuredClone(provider);
      for (const key of present) delete updated.metadata.labels![key];
      const { result, start } = await core.ops.update('pods', updated);
      provider = result;
      log.info(2, 'Removed ISC routing labels from launcher Pod before sleeping', 'removed', present, 'newResourceVersion', result.metadata.resourceVersion, 'k8sCallStartTime', start);
    }
  }
  if (sd.sleeping !== true && podIPOf(provider)) {
    let deleted = false;
    if (launcherBased) {
      const found = await deleteIfObsolete(core, log, sd, node, provider);
      deleted = found.deleted;
      if (!iscName) iscName = found.iscName;
    }
    if (deleted) sd.sleeping = true;
    else {
      const port = launcherBased ? (sd.serverPort ?? 0) : inferenceServerPort(provider.spec as never).port;
      const endpoint = `${podIPOf(provider)}:${port}`;
      const url = `http://${endpoint}/sleep`;
      try {
        await doHttp(core.rt, log, { purpose: 'sleep', method: 'POST', url, iscName });
      } catch (err) {
        throw new Error(`failed to put provider "${sd.providingPodName ?? provider.metadata.name ?? ''}" to sleep, POST ${url}: ${(err as Error).message}`);
      }
      sd.sleeping = true;
      log.info(2, 'Put inference server to sleep', 'endpoint', endpoint);
    }
  }
  const updated = structuredClone(provider);
  const meta = updated.metadata;
  const labels = { ...(meta.labels ?? {}) };
  const annotations = { ...(meta.annotations ?? {}) };
  let changed = labels[k.sleeping] !== 'true';
  labels[k.sleeping] = 'true';
  const drop = (map: Record<string, string>, key: string) => {
    if (key in map) {
      delete map[key];
      changed = true;
    }
  };
  drop(annotations, k.requester);
  for (const key of Object.keys(sd.iscLabels ?? {})) drop(labels, key);
  for (const key of Object.keys(sd.iscAnnotations ?? {})) drop(annotations, key);
  for (const key of [k.instanceId, k.serverPort, k.vllmConfig, k.iscRoutingMetadata]) drop(annotations, key);
  const finalizers = meta.finalizers ?? [];
  if (finalizers.includes(k.providerFinalizer)) changed = true;
  if (!changed) {
    log.info(3, 'Server-providing Pod remains unbound', 'name', meta.name, 'resourceVersion', meta.resourceVersion);
    return;
  }
  delete labels[k.dual];
  meta.labels = labels;
  meta.annotations = annotations;
  meta.finalizers = finalizers.filter((f) => f !== k.providerFinalizer);
  const { result, start } = await core.ops.update('pods', updated);
  log.info(2, 'Unbound server-providing Pod', 'name', meta.name, 'node', nodeNameOf(provider), 'gpus', sd.gpuIds?.join(','), 'newResourceVersion', result.metadata.resourceVersion, 'k8sCallStartTime', start);
}
