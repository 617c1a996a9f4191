/**
 * What the controller writes on the requester and the finalizers of both Pods (protocol
 * section 2.2 "FYI metadata the DPC writes on the requester"; `ensureReqState`,
 * `maybeRemoveRequesterFinalizer`, `addRequesterFinalizer`, `removeProviderFinalizer`):
 * annotation `status` = `{"Errors":[...]}` (`{"Errors":null}` when fine), annotation
 * `accelerators` = the GPU UUIDs, label `dual` = the provider's name and label `instance` = the
 * instance ID while bound, and finalizer `requester` while the provider's `inference-server`
 * container runs.
 */
import type { KObject } from '../../store-types.ts';
import type { DpcCore } from './controller-core.ts';
import { goStruct, type KLogger } from './klog.ts';
import type { ProcessResult } from './node-queue.ts';
import { containerStatus } from './pod-util.ts';
import type { ServerData } from './server-data.ts';

/** `ensureReqState`: one Update when anything differs. Always `retry == (err != undefined)`. */
export async function ensureReqState(core: DpcCore, log: KLogger, requester: KObject, sd: ServerData, addFinalizer: boolean, removeFinalizer: boolean, errors: string[] = []): Promise<ProcessResult> {
  const k = core.rt.keys;
  const status = { Errors: errors.length > 0 ? errors : null };
  const newStatus = JSON.stringify(status);
  const meta = requester.metadata;
  const finalizers = meta.finalizers ?? [];
  let newFinalizers = finalizers;
  if (removeFinalizer) {
    const i = finalizers.indexOf(k.requesterFinalizer);
    if (i >= 0) newFinalizers = [...finalizers.slice(0, i), ...finalizers.slice(i + 1)];
  } else if (addFinalizer) newFinalizers = [...finalizers, k.requesterFinalizer];
  const accelerators = sd.gpuIds?.join(',') ?? '';
  const boundName = sd.providingPodName ?? '';
  const instanceId = sd.providingPodName ? (sd.instanceId ?? '') : '';
  if (
    meta.annotations?.[k.status] === newStatus &&
    (meta.annotations?.[k.accelerators] ?? '') === accelerators &&
    newFinalizers.length === finalizers.length &&
    (meta.labels?.[k.dual] ?? '') === boundName &&
    (meta.labels?.[k.instance] ?? '') === instanceId
  ) {
    log.info(5, 'No need to update status, accelerators, boundName, instanceID, or finalizers', 'serverRequestingPod', meta.name, 'boundName', boundName);
    return {};
  }
  const updated = structuredClone(requester);
  updated.metadata.annotations = { ...(meta.annotations ?? {}), [k.status]: newStatus, [k.accelerators]: accelerators };
  updated.metadata.finalizers = newFinalizers;
  const labels = { ...(meta.labels ?? {}) };
  if (sd.providingPodName) {
    labels[k.dual] = sd.providingPodName;
    if (sd.instanceId) labels[k.instance] = sd.instanceId;
  } else {
    delete labels[k.dual];
    delete labels[k.instance];
  }
  updated.metadata.labels = labels;
  try {
    const { result, start } = await core.ops.update('pods', updated);
    log.info(2, 'Set status/finalizers', 'serverRequestingPod', meta.name, 'status', goStruct({ Errors: status.Errors ?? [] }), 'accelerators', accelerators, 'boundName', boundName, 'instanceID', instanceId, 'finalizers', newFinalizers, 'newResourceVersion', result.metadata.resourceVersion, 'k8sCallStartTime', start);
    return {};
  } catch (err) {
    log.info(2, 'Failed to set status/finalizers', 'serverRequestingPod', meta.name, 'err', (err as Error).message);
    return { err, retry: true };
  }
}

/** `ensureReqStatus`: status only. */
export function ensureReqStatus(core: DpcCore, log: KLogger, requester: KObject, sd: ServerData, ...errors: string[]): Promise<ProcessResult> {
  return ensureReqState(core, log, requester, sd, false, false, errors);
}

/**
 * `maybeRemoveRequesterFinalizer`: the finalizer is wanted while the provider's inference-server
 * container runs. Removes it when unwanted (returning `removed`), reports `shouldAdd` otherwise.
 */
export async function maybeRemoveRequesterFinalizer(core: DpcCore, log: KLogger, requester: KObject, provider: KObject | undefined): Promise<{ removed: boolean; shouldAdd: boolean; result?: ProcessResult }> {
  const k = core.rt.keys;
  const want = provider !== undefined && containerStatus(provider)?.state?.running !== undefined;
  const finalizers = requester.metadata.finalizers ?? [];
  const idx = finalizers.indexOf(k.requesterFinalizer);
  if (want === idx >= 0) return { removed: false, shouldAdd: false };
  if (want) return { removed: false, shouldAdd: !requester.metadata.deletionTimestamp };
  const updated = structuredClone(requester);
  updated.metadata.finalizers = [...finalizers.slice(0, idx), ...finalizers.slice(idx + 1)];
  try {
    const { result, start } = await core.ops.update('pods', updated);
    log.info(2, 'Removed requester finalizer', 'newResourceVersion', result.metadata.resourceVersion, 'k8sCallStartTime', start);
    return { removed: true, shouldAdd: false, result: {} };
  } catch (err) {
    return { removed: false, shouldAdd: false, result: { err: new Error(`failed to remove finalizer from server-requesting Pod: ${(err as Error).message}`), retry: true } };
  }
}

/** `addRequesterFinalizer` (with the `dual`/`instance` labels); returns the new resourceVersion. */
export async function addRequesterFinalizer(core: DpcCore, log: KLogger, requester: KObject, providerName: string, instanceId: string | undefined): Promise<string> {
  const k = core.rt.keys;
  const updated = structuredClone(requester);
  const labels = { ...(updated.metadata.labels ?? {}), [k.dual]: providerName };
  if (instanceId) labels[k.instance] = instanceId;
  updated.metadata.labels = labels;
  updated.metadata.finalizers = [...(updated.metadata.finalizers ?? []), k.requesterFinalizer];
  const { result, start } = await core.ops.update('pods', updated);
  log.info(2, 'Added requester finalizer', 'newResourceVersion', result.metadata.resourceVersion, 'k8sCallStartTime', start);
  return result.metadata.resourceVersion ?? '';
}

/** `removeProviderFinalizer`: lets a provider's deletion complete; returns whether it changed. */
export async function removeProviderFinalizer(core: DpcCore, log: KLogger, provider: KObject): Promise<boolean> {
  const k = core.rt.keys;
  const finalizers = provider.metadata.finalizers ?? [];
  const idx = finalizers.indexOf(k.providerFinalizer);
  if (idx < 0) return false;
  const updated = structuredClone(provider);
  updated.metadata.finalizers = [...finalizers.slice(0, idx), ...finalizers.slice(idx + 1)];
  const { result, start } = await core.ops.update('pods', updated);
  log.info(2, 'Removed finalizer from server-providing Pod', 'provider', provider.metadata.name, 'newResourceVersion', result.metadata.resourceVersion, 'k8sCallStartTime', start);
  return true;
}
