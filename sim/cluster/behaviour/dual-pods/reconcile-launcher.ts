/**
 * The launcher (Milestone 3) path for a requester without a provider (protocol section 9.3 F;
 * section 2.4 "Launcher-based provider"): find the launchers of the ISC's LauncherConfig on the
 * node by their node-specific hash, sync the usable ones, and decide (see `launcher-plan.ts`):
 * hot / warm bind the launcher (the instance is created or woken on the next reconcile,
 * `skipWake`); reclaim deletes the victim instances first; repair deletes a port-less instance
 * and retries; wait retries; cold creates a launcher already bound (so the populator cannot take
 * it) and marks the actuation `NeededNewLauncher`.
 */
import { StoreError, type KObject } from '../../store-types.ts';
import type { DpcCore } from './controller-core.ts';
import { instancePort } from './instance-id.ts';
import { applyInstanceMetadata, commitInstance, type InstancePlan } from './instance-state.ts';
import type { KLogger } from './klog.ts';
import { isInstanceNotFound, LauncherClient } from './launcher-client.ts';
import { holdsLiveInstance, isSelectable, planLauncherSelection, type LauncherCandidate } from './launcher-plan.ts';
import { buildLauncherTemplate, specializeLauncherToNode } from './launcher-template.ts';
import type { ProcessResult } from './node-queue.ts';
import { boundRequester, isDeleting, isPodReady, phaseOf, podIPOf } from './pod-util.ts';
import { bind, ensureDuality } from './provider-ops.ts';
import { ensureReqStatus } from './requester-state.ts';
import { launcherData, type ServerData } from './server-data.ts';
import { syncLauncher } from './launcher-sync.ts';

/** Syncs candidates in order, stopping after one that holds the target alive (as the Go loop returns). */
async function candidates(core: DpcCore, log: KLogger, sd: ServerData, node: string, pods: KObject[], targetId: string): Promise<LauncherCandidate[]> {
  const out: LauncherCandidate[] = [];
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    const c: LauncherCandidate = {
      name,
      failed: phaseOf(pod) === 'Failed',
      deleting: isDeleting(pod),
      bound: boundRequester(pod, core.rt.keys) !== undefined || Boolean(pod.metadata.annotations?.[core.rt.keys.requester]),
      ready: Boolean(podIPOf(pod)) && isPodReady(pod),
      lastUsed: new Map(),
    };
    if (isSelectable(c)) {
      try {
        const synced = await syncLauncher(core, log, node, pod, sd.instancesDeleted);
        if (synced) c.instances = synced.instances.map((i) => ({ id: i.instance_id, status: i.status, port: instancePort(i.annotations) }));
      } catch {
        // counted as not ready, as the controller does when a sync fails
      }
      c.lastUsed = new Map(launcherData(core.nodeData(node), name).instances);
    }
    out.push(c);
    if (holdsLiveInstance(c, targetId)) break;
  }
  return out;
}

/** Section 9.3 F for one requester. */
export async function reconcileLauncher(core: DpcCore, log: KLogger, sd: ServerData, requester: KObject, node: string, isc: KObject, plan: InstancePlan): Promise<ProcessResult> {
  const k = core.rt.keys;
  const lcName = String((isc.spec as { launcherConfigName?: string } | undefined)?.launcherConfigName ?? '');
  const lc = core.ops.get('launcherconfigs', lcName);
  if (!lc) return ensureReqStatus(core, log, requester, sd, `failed to get LauncherConfig "${lcName}": launcherconfigs.fma.llm-d.ai "${lcName}" not found`);
  let desired: KObject;
  try {
    desired = specializeLauncherToNode(buildLauncherTemplate(lc, k, core.rt.namespace), node, k);
  } catch (err) {
    return { err: new Error(`failed to build launcher Pod from LauncherConfig "${lcName}": ${(err as Error).message}`), retry: true };
  }
  const maxInstances = Number((lc.spec as { maxInstances?: number } | undefined)?.maxInstances ?? 1);
  const pods = core.launchersWithHash(desired.metadata.annotations?.[k.launcherConfigHash] ?? '');
  if (pods.length > 0) {
    const decision = planLauncherSelection(await candidates(core, log, sd, node, pods, plan.instanceId), plan.instanceId, plan.serverPort, maxInstances);
    const pod = 'launcher' in decision ? pods.find((p) => p.metadata.name === decision.launcher) : undefined;
    switch (decision.kind) {
      case 'wait':
        log.info(4, 'Launcher Pod selection or reclaim requested retry');
        return { retry: true };
      case 'repair': {
        const client = new LauncherClient(core.rt, log, podIPOf(pod!), '');
        try {
          await client.deleteInstance(decision.instanceId);
        } catch (err) {
          if (!isInstanceNotFound(err)) return { err: new Error(`failed to delete instance "${decision.instanceId}" with no usable inference port from launcher Pod "${decision.launcher}": ${(err as Error).message}`), retry: true };
        }
        sd.instancesDeleted.add(decision.instanceId);
        launcherData(core.nodeData(node), decision.launcher).instances.delete(decision.instanceId);
        log.info(2, 'Ensured vLLM instance absent because it reports no usable port', 'launcherPod', decision.launcher, 'instanceID', decision.instanceId);
        return { retry: true };
      }
      case 'reclaim': {
        const client = new LauncherClient(core.rt, log, podIPOf(pod!), '');
        for (const victim of decision.victims) {
          sd.instancesDeleted.add(victim);
          try {
            await client.deleteInstance(victim);
          } catch (err) {
            if (!isInstanceNotFound(err)) return { err: new Error(`failed to delete instance "${victim}" from launcher Pod "${decision.launcher}": ${(err as Error).message}`), retry: true };
          }
          launcherData(core.nodeData(node), decision.launcher).instances.delete(victim);
          log.info(2, 'Ensured vLLM instance absent to reclaim launcher capacity', 'launcherPod', decision.launcher, 'instanceID', victim, 'maxOthers', maxInstances - 1);
        }
        log.info(5, 'Selected launcher Pod, binding first', 'name', decision.launcher, 'hasSleepingInstance', false);
        return bind(core, log, sd, requester, pod!, plan, plan.serverPort);
      }
      case 'hot':
      case 'warm':
        log.info(5, 'Selected launcher Pod, binding first', 'name', decision.launcher, 'hasSleepingInstance', decision.kind === 'hot');
        return bind(core, log, sd, requester, pod!, plan, plan.serverPort);
      case 'cold':
        break;
    }
  }
  return createLauncher(core, log, sd, requester, node, desired, lcName, plan);
}

/** The cold path: a new launcher Pod, created already bound (section 2.4). */
async function createLauncher(core: DpcCore, log: KLogger, sd: ServerData, requester: KObject, node: string, desired: KObject, lcName: string, plan: InstancePlan): Promise<ProcessResult> {
  const k = core.rt.keys;
  sd.neededNewLauncher = true;
  const meta = desired.metadata;
  meta.annotations = { ...(meta.annotations ?? {}), [k.requester]: `${requester.metadata.uid ?? ''} ${requester.metadata.name ?? ''}` };
  meta.labels = { ...(meta.labels ?? {}), [k.dual]: requester.metadata.name ?? '' };
  const problems = applyInstanceMetadata(desired, k, plan);
  if (problems.length > 0) return ensureReqStatus(core, log, requester, sd, ...problems);
  if (!(meta.finalizers ?? []).includes(k.providerFinalizer)) meta.finalizers = [...(meta.finalizers ?? []), k.providerFinalizer];
  const t0 = process.hrtime.bigint();
  let echo: KObject;
  let start: string;
  try {
    ({ result: echo, start } = await core.ops.create('pods', desired));
    core.rt.metrics.launcherCreate.observe([core.rt.namespace, lcName, 'true'], Number(process.hrtime.bigint() - t0) / 1e9 / core.rt.clock.timeScale);
  } catch (err) {
    core.rt.metrics.launcherCreate.observe([core.rt.namespace, lcName, 'false'], Number(process.hrtime.bigint() - t0) / 1e9 / core.rt.clock.timeScale);
    const msg = (err as Error).message;
    if (err instanceof StoreError && err.code === 422) return ensureReqStatus(core, log, requester, sd, `the desired launcher-based server-providing ${msg}`);
    await ensureReqStatus(core, log, requester, sd, `failed to create launcher-based server-providing Pod: ${msg}`);
    return { err: new Error(`failed to create launcher-based server-providing Pod: ${msg}`), retry: true };
  }
  sd.sleeping = undefined;
  commitInstance(sd, plan);
  sd.providingPodName = echo.metadata.name;
  ensureDuality(core, log, sd, node, true);
  log.info(2, 'Created launcher-based server-providing pod', 'name', echo.metadata.name, 'gpus', sd.gpuIds?.join(','), 'annotations', echo.metadata.annotations, 'labels', echo.metadata.labels, 'resourceVersion', echo.metadata.resourceVersion, 'k8sCallStartTime', start);
  return ensureReqStatus(core, log, requester, sd);
}
