/**
 * One reconcile of an inference server, keyed by the requester's UID (protocol section 9.3;
 * `infSvrItem.process`). Order of the decisions:
 * - both Pods gone: forget the server;
 * - requester finalizer: removed when the provider's container no longer runs;
 * - H: a provider deleted exogenously deletes its requester (and its finalizer is released);
 * - G: a requester gone or going unbinds its provider (see `unbind.ts`);
 * - A: preconditions `spec.nodeName` and `status.podIP` (and the node not departing);
 * - B: the GPU query (once), mapped to indices through `gpu-map` on the direct path;
 * - C: a bound provider is kept awake and its readiness relayed (see `reconcile-bound.ts`);
 * - D: on an unschedulable node a requester without provider is deleted;
 * - E / F: the direct or launcher path finds or makes a provider.
 */
import type { DpcCore } from './controller-core.ts';
import { doHttp } from './http-client.ts';
import { mapToGpuIndices } from './gpu-map.ts';
import { desiredInstance, type InstancePlan } from './instance-state.ts';
import { DEFAULT_ADMIN_PORT } from './keys.ts';
import { isNotFound } from './kube-ops.ts';
import type { ProcessResult } from './node-queue.ts';
import { StoppedError } from './runtime.ts';
import { isDeleting, isInTrouble, nodeNameOf, podIPOf } from './pod-util.ts';
import { ensureDuality } from './provider-ops.ts';
import { reconcileBound } from './reconcile-bound.ts';
import { reconcileDirect } from './reconcile-direct.ts';
import { reconcileLauncher } from './reconcile-launcher.ts';
import { addRequesterFinalizer, ensureReqState, ensureReqStatus, maybeRemoveRequesterFinalizer, removeProviderFinalizer } from './requester-state.ts';
import { ensureUnbound } from './unbind.ts';

/** `infSvrItem.process`. */
export async function processServer(core: DpcCore, node: string, uid: string, requesterName: string): Promise<ProcessResult> {
  const k = core.rt.keys;
  // The `requesterName` value is relied upon by the log parser in benchmarking (section 3).
  let log = core.logger.with('node', node, 'serverUID', uid, 'requesterName', requesterName);
  const sd = core.serverData(node, requesterName, uid);
  if (sd.instanceId) log = log.with('instanceID', sd.instanceId);
  const found = core.ops.get('pods', requesterName);
  const requester = found && found.metadata.uid === uid ? found : undefined;
  const iscName = requester?.metadata.annotations?.[k.inferenceServerConfig] ?? '';
  const providers = core.providersOf(uid);
  if (providers.length > 1) return { err: new Error(`found multiple bound server-running Pods: [${providers.map((p) => p.metadata.name).join(' ')}]`) };
  const provider = providers[0];
  if (provider) {
    log = log.with('providerName', provider.metadata.name);
    sd.providingPodName = provider.metadata.name;
  }
  log.info(5, 'Processing inference server', 'requesterResourceVersion', requester?.metadata.resourceVersion ?? '(non existent)', 'providerResourceVersion', provider?.metadata.resourceVersion ?? '(non existent)', 'GPUIDs', sd.gpuIds);

  if (!requester && !provider) {
    core.nodeData(node).servers.delete(uid);
    log.info(2, 'End of life of inference server');
    if (sd.instanceId) ensureDuality(core, log, sd, node, false);
    return {};
  }

  let shouldAddFinalizer = false;
  if (requester) {
    const fin = await maybeRemoveRequesterFinalizer(core, log, requester, provider);
    if (fin.removed || fin.result?.err) return fin.result ?? {};
    shouldAddFinalizer = fin.shouldAdd;
  }

  // H. The provider is being deleted by someone else: delete the requester too.
  if (provider && isDeleting(provider)) {
    if (requester && !isDeleting(requester)) {
      try {
        let rv = requester.metadata.resourceVersion;
        if (shouldAddFinalizer) rv = await addRequesterFinalizer(core, log, requester, provider.metadata.name ?? '', sd.instanceId);
        const { start } = await core.ops.delete('pods', requesterName, { uid, resourceVersion: rv });
        log.info(2, 'Requested deletion of server-requesting Pod because of deletion of server-providing Pod', 'k8sCallStartTime', start);
      } catch (err) {
        if (!isNotFound(err)) return { err: new Error(`failed to delete server-requesting Pod: ${(err as Error).message}`), retry: true };
        log.info(2, 'The server-requesting Pod is already gone');
      }
      sd.requesterDeleteRequested = true;
    }
    try {
      if (!(await removeProviderFinalizer(core, log, provider))) log.info(5, 'Finalizer is absent from server-providing Pod, waiting for deletions to finish');
    } catch (err) {
      return { err, retry: true };
    }
    return {};
  }

  // G. The requester is gone or going: unbind.
  if ((!requester || isDeleting(requester)) && provider) {
    if (isInTrouble(provider)) {
      try {
        const { start } = await core.ops.delete('pods', provider.metadata.name ?? '', { uid: provider.metadata.uid, resourceVersion: provider.metadata.resourceVersion });
        log.info(2, 'Deleted server-providing Pod because it is in trouble', 'providerName', provider.metadata.name, 'status', provider.status, 'k8sCallStartTime', start);
        return {};
      } catch (err) {
        log.info(2, isNotFound(err) ? 'Troubled server-providing Pod was concurrently deleted' : 'Failed to delete troubled server-providing Pod', 'providerName', provider.metadata.name, 'err', (err as Error).message);
      }
    }
    try {
      await ensureUnbound(core, log, sd, iscName, node, provider, k.launcherConfigName in (provider.metadata.labels ?? {}));
    } catch (err) {
      return { err, retry: true };
    }
    return requester ? ensureReqState(core, log, requester, sd, false, true) : {};
  }
  if (!requester) return {};

  // A. Preconditions.
  if (!nodeNameOf(requester)) return ensureReqStatus(core, log, requester, sd, 'not scheduled yet');
  if (isDeleting(requester) || sd.requesterDeleteRequested) {
    log.info(5, 'Waiting for deletion of server-requesting Pod to finish');
    return {};
  }
  const nodeObj = core.rt.store.get('nodes', undefined, nodeNameOf(requester));
  if (!nodeObj || isDeleting(nodeObj)) {
    log.info(3, 'Ignoring inference server on absent or departing Node');
    return {};
  }
  const ip = podIPOf(requester);
  if (!ip) return ensureReqState(core, log, requester, sd, shouldAddFinalizer, false, ['no IP assigned yet']);
  const adminPort = requester.metadata.annotations?.[k.adminPort] || DEFAULT_ADMIN_PORT;
  const launcherBased = k.inferenceServerConfig in (requester.metadata.annotations ?? {});

  // B. The GPUs, once.
  if (!sd.gpuIds) {
    const url = `http://${ip}:${adminPort}/v1/dual-pods/accelerators`;
    let uuids: unknown;
    try {
      uuids = (await doHttp(core.rt, log, { purpose: 'get_gpu_uuids', method: 'GET', url, iscName, json: true })).body;
    } catch (err) {
      if (err instanceof StoppedError) throw err;
      const queryErr = new Error(`GET "${url}" fails: ${(err as Error).message}`);
      const out = await ensureReqStatus(core, log, requester, sd, queryErr.message);
      return { err: out.err ? new Error(`${queryErr.message}\n${(out.err as Error).message}`) : queryErr, retry: true };
    }
    if (!Array.isArray(uuids) || uuids.length === 0) return ensureReqStatus(core, log, requester, sd, 'the assigned set of GPUs is empty');
    sd.gpuIds = uuids.map(String);
    log.info(5, 'Found GPUs', 'gpuUUIDs', sd.gpuIds);
  }
  if (!launcherBased && !sd.gpuIndices) {
    try {
      sd.gpuIndices = mapToGpuIndices(core.gpuMap, node, sd.gpuIds, core.rt.options.gpuMapFallback);
    } catch (err) {
      return ensureReqStatus(core, log, requester, sd, (err as Error).message);
    }
  }

  let plan: InstancePlan | undefined;
  const isc = iscName ? core.ops.get('inferenceserverconfigs', iscName) : undefined;
  if (launcherBased && !provider) {
    if (!iscName) return ensureReqStatus(core, log, requester, sd, `empty value for annotation "${k.inferenceServerConfig}"`);
    if (!isc) return ensureReqStatus(core, log, requester, sd, `failed to get InferenceServerConfig "${iscName}": inferenceserverconfigs.fma.llm-d.ai "${iscName}" not found`);
    try {
      plan = desiredInstance(isc, sd.gpuIds);
    } catch (err) {
      return ensureReqStatus(core, log, requester, sd, `failed to configure inference server: ${(err as Error).message}`);
    }
  }

  // C. Bound: keep awake, relay readiness.
  if (provider) return reconcileBound(core, log, { sd, requester, provider, node, launcherBased, adminPort, iscName, shouldAddFinalizer });

  // D. Unschedulable node and no provider: reflect the inability to serve.
  if ((nodeObj.spec as { unschedulable?: boolean } | undefined)?.unschedulable) {
    log.info(2, 'Deleting server-requesting Pod because it is bound to an unschedulable Node and has no server-providing Pod');
    try {
      const { start } = await core.ops.delete('pods', requesterName);
      log.info(2, 'Deleted server-requesting Pod on unschedulable Node', 'k8sCallStartTime', start);
    } catch (err) {
      return { err: new Error(`failed to delete server-requesting Pod on unschedulable Node: ${(err as Error).message}`) };
    }
    return {};
  }

  // E / F.
  if (!launcherBased) return reconcileDirect(core, log, sd, requester, node);
  return reconcileLauncher(core, log, sd, requester, node, isc!, plan!);
}
