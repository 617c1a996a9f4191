/**
 * The direct (Milestone 2) path for a requester without a provider (protocol section 9.3 E;
 * section 2.4 "Direct provider"):
 * 1. build the nominal provider and its hash (cached per requester);
 * 2. hit test: an unbound provider with the same nominal hash (same patched spec, node and GPU
 *    indices) is bound, then woken at once (a hot start);
 * 3. otherwise enforce the sleeper budget on each assigned GPU, deleting the oldest providers
 *    beyond `sleeperLimit` and retrying until they are gone; then create the provider already
 *    bound (`Sleeping=false`).
 */
import { StoreError, type KObject } from '../../store-types.ts';
import type { DpcCore } from './controller-core.ts';
import type { KLogger } from './klog.ts';
import { isNotFound } from './kube-ops.ts';
import { buildNominalProvider } from './nominal-pod.ts';
import type { ProcessResult } from './node-queue.ts';
import { isDeleting } from './pod-util.ts';
import { bind } from './provider-ops.ts';
import { ensureReqStatus } from './requester-state.ts';
import type { ServerData } from './server-data.ts';
import { planSleeperBudget } from './sleeper-budget.ts';

/** `enforceSleeperBudget`: returns a retry while providers had to go. */
async function enforceSleeperBudget(core: DpcCore, log: KLogger, sd: ServerData, node: string): Promise<ProcessResult | undefined> {
  const limit = core.rt.options.sleeperLimit;
  const victims = planSleeperBudget((sd.gpuIndices ?? []).map((i) => `${node} ${i}`), core.directProvidersByGpu(), limit);
  if (victims.length === 0) return undefined;
  for (const v of victims) {
    const pod = core.ops.get('pods', v.name);
    if (!pod || isDeleting(pod)) continue; // already going: wait for it to be gone
    try {
      const { start } = await core.ops.delete('pods', v.name, { uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion });
      log.info(2, 'Deleted server-providing Pod with sleeping server, to respect sleeper-limit', 'idx', v.idx, 'total', v.total, 'limit', limit, 'name', v.name, 'resourceVersion', pod.metadata.resourceVersion, 'k8sCallStartTime', start);
    } catch (err) {
      if (isNotFound(err)) log.info(2, 'Server-providing Pod was concurrently deleted', 'name', v.name);
      else return { err: new Error(`unable to delete server-providing Pod ${v.name} (RV=${pod.metadata.resourceVersion ?? ''}): ${(err as Error).message}`), retry: true };
    }
  }
  return { retry: true };
}

/** Section 9.3 E for one requester. */
export async function reconcileDirect(core: DpcCore, log: KLogger, sd: ServerData, requester: KObject, node: string): Promise<ProcessResult> {
  const k = core.rt.keys;
  if (!requester.metadata.annotations?.[k.serverPatch]) return ensureReqStatus(core, log, requester, sd, `the ${k.serverPatch} annotation is missing`);
  if (!sd.nominalPod || !sd.nominalHash) {
    try {
      const built = buildNominalProvider({ requester, keys: k, gpuIndices: sd.gpuIndices ?? [], gpuUUIDs: sd.gpuIds ?? [] });
      sd.nominalPod = built.pod;
      sd.nominalHash = built.hash;
      sd.serverPort = built.serverPort;
      log.info(5, 'Computed nominalHash', 'nominalHash', built.hash, 'gpus', (sd.gpuIndices ?? []).join(','), 'node', node);
    } catch (err) {
      return ensureReqStatus(core, log, requester, sd, `failed to construct the nominal server-providing Pod: ${(err as Error).message}`);
    }
  }
  const sleepers = core.sleepersWithHash(sd.nominalHash);
  if (sleepers.length > 0) {
    if (sleepers.length > 1) log.info(2, 'Unexpected: multiple sleeping Pods match; using the first', 'requesterName', requester.metadata.name);
    return bind(core, log, sd, requester, sleepers[0]!, undefined, sd.serverPort ?? 0);
  }
  const budget = await enforceSleeperBudget(core, log, sd, node);
  if (budget) return budget;
  const gpus = (sd.gpuIndices ?? []).join(',');
  log.info(3, 'Creating server-providing pod', 'node', node, 'gpus', gpus, 'labels', sd.nominalPod.metadata.labels);
  try {
    const { result, start } = await core.ops.create('pods', sd.nominalPod);
    sd.sleeping = false;
    log.info(2, 'Created server-providing pod', 'name', result.metadata.name, 'gpus', gpus, 'annotations', result.metadata.annotations, 'labels', result.metadata.labels, 'resourceVersion', result.metadata.resourceVersion, 'k8sCallStartTime', start);
  } catch (err) {
    const msg = (err as Error).message;
    if (err instanceof StoreError && err.code === 422) {
      log.info(2, 'Failed to create server-providing Pod', 'node', node, 'gpus', gpus, 'err', msg);
      return ensureReqStatus(core, log, requester, sd, `the nominal server-providing ${msg}`);
    }
    const inner = await ensureReqStatus(core, log, requester, sd, `failed to create server-providing Pod: ${msg}`);
    return { err: new Error(`failed to create server-providing Pod: ${msg}${inner.err ? `; ${(inner.err as Error).message}` : ''}`), retry: true };
  }
  return ensureReqStatus(core, log, requester, sd);
}
