/**
 * Keeping the controller's view of launchers fresh (protocol section 2.4, section 5;
 * `syncLauncherInstances`, `unboundLauncherPodItem`, `instanceGCItem`):
 * - a sync lists a Ready launcher's instances, deletes stopped instances no requester is bound
 *   to (counting them in the actuation's `instancesDeleted`), reports stopped bound ones, and
 *   records each live instance's last-used time (first sight, or a create);
 * - any event on an unbound launcher syncs it and re-enqueues the node's unbound requesters;
 * - on an InferenceServerConfig change, sleeping instances of that ISC whose ID no longer
 *   matches the ISC are deleted (section 2, "Lifecycle rules").
 */
import type { KObject } from '../../store-types.ts';
import type { DpcCore } from './controller-core.ts';
import { instanceId as computeInstanceId, instancePort, type ModelServerConfig } from './instance-id.ts';
import { VLLM_ISC_NAME_ANNOTATION } from './keys.ts';
import type { KLogger } from './klog.ts';
import { isInstanceNotFound, LauncherClient, type InstanceState } from './launcher-client.ts';
import type { ProcessResult } from './node-queue.ts';
import { isDeleting, isPodReady, podIPOf } from './pod-util.ts';
import { querySleeping } from './provider-ops.ts';
import { launcherData } from './server-data.ts';

/** A launcher's live instances after a sync. */
export interface SyncResult {
  instances: InstanceState[];
  /** Bound instances found stopped (left for the requester's reconcile). */
  stoppedBound: Set<string>;
}

/**
 * `syncLauncherInstances`. Undefined when the launcher is not Ready or has no IP (a later Pod
 * event brings it back); throws when the listing fails.
 */
export async function syncLauncher(core: DpcCore, log: KLogger, node: string, launcher: KObject, instancesDeleted?: Set<string>): Promise<SyncResult | undefined> {
  if (!podIPOf(launcher) || !isPodReady(launcher)) {
    log.info(5, 'Launcher pod not ready yet, waiting for another Pod event', 'name', launcher.metadata.name);
    return undefined;
  }
  const name = launcher.metadata.name ?? '';
  const client = new LauncherClient(core.rt, log, podIPOf(launcher), '');
  const listed = await client.listInstances();
  const nd = core.nodeData(node);
  const ld = launcherData(nd, name);
  const bound = new Set([...nd.servers.values()].filter((s) => s.providingPodName === name && s.instanceId).map((s) => s.instanceId!));
  const now = core.rt.clock.nowMs();
  const fresh = new Map<string, number>();
  const instances: InstanceState[] = [];
  const stoppedBound = new Set<string>();
  for (const inst of listed.instances) {
    if (inst.status === 'stopped') {
      if (bound.has(inst.instance_id)) {
        stoppedBound.add(inst.instance_id);
        log.info(2, 'Found stopped bound instance, deferring cleanup', 'instanceID', inst.instance_id);
      } else {
        instancesDeleted?.add(inst.instance_id);
        try {
          await client.deleteInstance(inst.instance_id);
          log.info(2, 'Deleted stopped instance from launcher during sync', 'instanceID', inst.instance_id);
        } catch (err) {
          if (!isInstanceNotFound(err)) log.info(2, 'Failed to delete stopped instance from launcher during sync', 'instanceID', inst.instance_id, 'err', (err as Error).message);
        }
      }
      continue;
    }
    instances.push(inst);
    fresh.set(inst.instance_id, ld.instances.get(inst.instance_id) ?? now);
  }
  ld.instances = fresh;
  log.info(2, 'Synced launcher instances', 'launcherPod', name, 'totalInstances', instances.length, 'runningInstances', instances.filter((i) => i.status === 'running').length, 'instanceCount', fresh.size);
  return { instances, stoppedBound };
}

/** `unboundLauncherPodItem.process`. */
export async function processUnboundLauncher(core: DpcCore, node: string, launcherName: string): Promise<ProcessResult> {
  const log = core.logger.with('launcherPod', launcherName, 'node', node);
  const pod = core.ops.get('pods', launcherName);
  if (!pod) {
    log.info(2, 'Launcher pod deleted, cleaning up launcher data');
    core.nodeData(node).launchers.delete(launcherName);
    core.enqueueUnboundServers(node);
    return {};
  }
  let result: ProcessResult = {};
  try {
    await syncLauncher(core, log, node, pod);
  } catch (err) {
    result = { err: new Error(`failed to sync launcher instances: ${(err as Error).message}`), retry: true };
  }
  core.enqueueUnboundServers(node);
  return result;
}

/** `instanceGCItem.process`: deletes obsolete sleeping instances of an ISC on one node's launchers. */
export async function processInstanceGc(core: DpcCore, node: string, iscName: string): Promise<ProcessResult> {
  const log = core.logger.with('iscName', iscName);
  const isc = core.ops.get('inferenceserverconfigs', iscName);
  if (!isc) return {};
  const msc = (isc.spec as { modelServerConfig?: ModelServerConfig } | undefined)?.modelServerConfig;
  if (!msc) return {};
  for (const [launcherName, ld] of core.nodeData(node).launchers) {
    const pod = core.ops.get('pods', launcherName);
    if (!pod || isDeleting(pod) || !podIPOf(pod)) continue;
    const client = new LauncherClient(core.rt, log, podIPOf(pod), '');
    let listed;
    try {
      listed = await client.listInstances();
    } catch (err) {
      log.error(err, 'Failed to list instances during instance GC', 'launcherPod', launcherName);
      continue;
    }
    for (const inst of listed.instances) {
      if (inst.annotations?.[VLLM_ISC_NAME_ANNOTATION] !== iscName || !inst.gpu_uuids?.length) continue;
      const current = computeInstanceId(msc, inst.gpu_uuids);
      const port = instancePort(inst.annotations);
      if (inst.instance_id === current || port === undefined) continue;
      try {
        if (!(await querySleeping(core, log, iscName, pod, port))) continue;
        await client.deleteInstance(inst.instance_id);
      } catch (err) {
        if (!isInstanceNotFound(err)) log.error(err, 'Failed to delete obsolete sleeping instance during GC', 'launcherPod', launcherName, 'instanceID', inst.instance_id);
        continue;
      }
      ld.instances.delete(inst.instance_id);
      log.info(2, 'Deleted obsolete sleeping instance', 'launcherPod', launcherName, 'instanceID', inst.instance_id, 'currentHash', current);
    }
  }
  return {};
}
