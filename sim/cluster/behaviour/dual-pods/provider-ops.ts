/**
 * Operations on a provider: query and wake its server, keep its `sleeping` label, bind it to a
 * requester (protocol section 2.4 "Hit test" and "Binding"; section 9.3 C and E.2; `bind`,
 * `wakeUp`, `querySleeping`, `ensureSleepingLabel`, `applyBoundLauncherLabels`,
 * `accelMemoryIsLowEnough`, `ensureDualityMetric`). FMA uses sleep level 1 only: `POST /wake_up`
 * without tags, `POST /sleep` without level (section 4.2).
 */
import type { KObject } from '../../store-types.ts';
import type { DpcCore } from './controller-core.ts';
import { doHttp } from './http-client.ts';
import { applyInstanceMetadata, commitInstance, type InstancePlan } from './instance-state.ts';
import { DEFAULT_ADMIN_PORT, INFERENCE_SERVER_CONTAINER } from './keys.ts';
import type { KLogger } from './klog.ts';
import type { ProcessResult } from './node-queue.ts';
import { nodeNameOf, podIPOf } from './pod-util.ts';
import { ensureReqState, ensureReqStatus } from './requester-state.ts';
import type { ServerData } from './server-data.ts';

/** The requester's ISC name ('' on the direct path), the `isc_name` metric label. */
export function iscNameOf(core: DpcCore, requester: KObject | undefined): string {
  return requester?.metadata.annotations?.[core.rt.keys.inferenceServerConfig] ?? '';
}

/** `GET <podIP>:<port>/is_sleeping` → `{"is_sleeping": bool}` (section 4.1). */
export async function querySleeping(core: DpcCore, log: KLogger, iscName: string, provider: KObject, port: number): Promise<boolean> {
  const res = await doHttp(core.rt, log, { purpose: 'query_sleeping', method: 'GET', url: `http://${podIPOf(provider)}:${port}/is_sleeping`, iscName, json: true });
  return (res.body as { is_sleeping?: boolean } | undefined)?.is_sleeping === true;
}

/** `accelMemoryIsLowEnough` (only with `--debug-accelerator-memory`, section 2.2). */
async function checkAcceleratorMemory(core: DpcCore, log: KLogger, requester: KObject, sd: ServerData): Promise<void> {
  const adminPort = requester.metadata.annotations?.[core.rt.keys.adminPort] || DEFAULT_ADMIN_PORT;
  const limitMiB = core.rt.options.sleeperLimit * 4096;
  const url = `http://${podIPOf(requester)}:${adminPort}/v1/dual-pods/accelerator-memory-usage`;
  const res = await doHttp(core.rt, log, { purpose: 'get_accel_memory_usage', method: 'GET', url, iscName: iscNameOf(core, requester), json: true });
  const usage = (res.body ?? {}) as Record<string, number>;
  for (const id of sd.gpuIds ?? []) {
    const used = usage[id];
    if (used === undefined) throw new Error(`no GPU usage information for GPU ${id}`);
    if (used > limitMiB) throw new Error(`accelerator ${id} is currently using ${used} MiB of memory, limit for sleeping total is ${limitMiB} MiB`);
  }
  log.info(4, 'AOK accelerator memory usage', 'node', nodeNameOf(requester), 'gpuIDs', sd.gpuIds);
}

/** `wakeUp`: `POST /wake_up` and remember the server as awake (the label is reconciled separately). */
export async function wakeUp(core: DpcCore, log: KLogger, sd: ServerData, requester: KObject, provider: KObject, port: number, description: 'freshly-bound' | 'discovered-bound'): Promise<void> {
  if (core.rt.options.debugAcceleratorMemory) await checkAcceleratorMemory(core, log, requester, sd);
  const endpoint = `${podIPOf(provider)}:${port}`;
  try {
    await doHttp(core.rt, log, { purpose: 'wake', method: 'POST', url: `http://${endpoint}/wake_up`, iscName: iscNameOf(core, requester) });
  } catch (err) {
    throw new Error(`failed to wake inference server at ${endpoint}: ${(err as Error).message}`);
  }
  log.info(2, 'Woke inference server', 'endpoint', endpoint, 'description', description);
  sd.sleeping = false;
}

/** `ensureSleepingLabel`: returns the current Pod (the update's echo, or the input). */
export async function ensureSleepingLabel(core: DpcCore, log: KLogger, provider: KObject, desired: boolean): Promise<KObject> {
  const k = core.rt.keys;
  const value = String(desired);
  if (provider.metadata.labels?.[k.sleeping] === value) return provider;
  const updated = structuredClone(provider);
  updated.metadata.labels = { ...(updated.metadata.labels ?? {}), [k.sleeping]: value };
  const { result, start } = await core.ops.update('pods', updated);
  log.info(2, 'Updated sleeping label on server-providing Pod', 'sleeping', value, 'newResourceVersion', result.metadata.resourceVersion, 'k8sCallStartTime', start);
  return result;
}

/** `ensureDualityMetric`: `fma_duality` per GPU while bound to a launcher instance. */
export function ensureDuality(core: DpcCore, log: KLogger, sd: ServerData, node: string, on: boolean): void {
  if (sd.dualityAsserted === on) return;
  log.info(2, 'Setting duality metric', 'value', on ? 1 : 0, 'gpuUUIDs', sd.gpuIds);
  for (const uuid of sd.gpuIds ?? []) {
    core.rt.metrics.duality.set([core.rt.namespace, sd.requesterName, sd.providingPodName ?? '', INFERENCE_SERVER_CONTAINER, sd.instanceId ?? '', uuid, node], on ? 1 : 0);
  }
  sd.dualityAsserted = on;
}

/**
 * `bind`: one Update adding the `requester` annotation, the provider finalizer and the `dual`
 * label (and, for a launcher, the instance annotations). A direct provider is then woken at once
 * and labelled `sleeping=false`; a launcher's instance is created or woken on the next
 * reconcile (`skipWake`, section 2.4).
 */
export async function bind(core: DpcCore, log: KLogger, sd: ServerData, requester: KObject, provider: KObject, plan: InstancePlan | undefined, serverPort: number): Promise<ProcessResult> {
  const k = core.rt.keys;
  const updated = structuredClone(provider);
  const meta = updated.metadata;
  meta.annotations = { ...(meta.annotations ?? {}), [k.requester]: `${requester.metadata.uid ?? ''} ${requester.metadata.name ?? ''}` };
  if (!(meta.finalizers ?? []).includes(k.providerFinalizer)) meta.finalizers = [...(meta.finalizers ?? []), k.providerFinalizer];
  meta.labels = { ...(meta.labels ?? {}), [k.dual]: requester.metadata.name ?? '' };
  if (plan) {
    const problems = applyInstanceMetadata(updated, k, plan);
    if (problems.length > 0) return ensureReqStatus(core, log, requester, sd, ...problems);
  }
  sd.sleeping = undefined;
  let echo: KObject;
  try {
    const { result, start } = await core.ops.update('pods', updated);
    echo = result;
    sd.providingPodName = provider.metadata.name;
    if (plan) {
      commitInstance(sd, plan);
      ensureDuality(core, log, sd, nodeNameOf(requester), true);
    }
    log.info(2, 'Bound server-providing Pod', 'name', provider.metadata.name, 'node', nodeNameOf(requester), 'gpus', sd.gpuIds?.join(','), 'newResourceVersion', result.metadata.resourceVersion, 'instanceID', sd.instanceId ?? '', 'k8sCallStartTime', start);
  } catch (err) {
    return { err: new Error(`failed to bind server-providing Pod ${provider.metadata.name ?? ''}: ${(err as Error).message}`), retry: true };
  }
  if (!plan) {
    try {
      await wakeUp(core, log, sd, requester, echo, serverPort, 'freshly-bound');
      await ensureSleepingLabel(core, log, echo, false);
    } catch (err) {
      return { err, retry: true };
    }
  }
  return ensureReqState(core, log, requester, sd, !(requester.metadata.finalizers ?? []).includes(k.requesterFinalizer), false);
}

/**
 * `applyBoundLauncherLabels`: in one Update, the `sleeping` label and, once serving, the ISC
 * routing labels and annotations the instance was bound with. Returns the current Pod.
 */
export async function applyBoundLauncherLabels(core: DpcCore, log: KLogger, sd: ServerData, provider: KObject): Promise<KObject> {
  const k = core.rt.keys;
  const desired = String(sd.sleeping === true);
  const apply = !sd.labelsApplied;
  if (provider.metadata.labels?.[k.sleeping] === desired && !apply) return provider;
  const updated = structuredClone(provider);
  updated.metadata.labels = { ...(updated.metadata.labels ?? {}), [k.sleeping]: desired };
  if (apply) {
    Object.assign(updated.metadata.labels, sd.iscLabels ?? {});
    updated.metadata.annotations = { ...(updated.metadata.annotations ?? {}), ...(sd.iscAnnotations ?? {}) };
  }
  const { result, start } = await core.ops.update('pods', updated);
  if (apply) sd.labelsApplied = true;
  log.info(2, 'Reconciled bound launcher Pod labels and annotations', 'name', result.metadata.name, 'sleeping', desired, 'labelsApplied', sd.labelsApplied, 'instanceID', sd.instanceId ?? '', 'newResourceVersion', result.metadata.resourceVersion, 'k8sCallStartTime', start);
  return result;
}
