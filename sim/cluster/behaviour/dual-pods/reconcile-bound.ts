/**
 * A requester with a bound provider (protocol section 9.3 C): make sure the server is awake,
 * the labels and the requester's metadata are right, and relay readiness when it is news.
 * - Launcher: wait for the launcher Pod to be Ready; sync its instances; a stopped or vanished
 *   instance (after having existed) deletes the requester; an absent one is created (PUT, the
 *   "warm" flag); `/is_sleeping` is then polled, a refused connection retrying after a fixed 5 s.
 * - Both: a sleeping server is woken; the `sleeping` label (and, for a launcher, the ISC routing
 *   labels once serving) is set; ready = the provider Pod's Ready condition (direct) or
 *   `!sleeping` (launcher).
 * - Relay (section 3): only when the requester container's readiness differs (FMA PR #599); the
 *   first positive relay observes `fma_actuation_seconds` with path cold / warm / hot (direct
 *   providers never set the flags, so they are "hot").
 */
import type { KObject } from '../../store-types.ts';
import type { DpcCore } from './controller-core.ts';
import { doHttp } from './http-client.ts';
import { recoverInstance } from './instance-state.ts';
import { rfc3339Nano, type KLogger } from './klog.ts';
import { isNotFound } from './kube-ops.ts';
import { LauncherClient } from './launcher-client.ts';
import { syncLauncher } from './launcher-sync.ts';
import { inferenceServerPort } from './nominal-pod.ts';
import type { ProcessResult } from './node-queue.ts';
import { containerStatus, isPodReady, podIPOf, timeMs } from './pod-util.ts';
import { applyBoundLauncherLabels, ensureDuality, ensureSleepingLabel, querySleeping, wakeUp } from './provider-ops.ts';
import { ensureReqState, ensureReqStatus } from './requester-state.ts';
import { launcherData, type ServerData } from './server-data.ts';

/** The inputs of step C. */
export interface BoundContext {
  sd: ServerData;
  requester: KObject;
  provider: KObject;
  node: string;
  launcherBased: boolean;
  adminPort: string;
  iscName: string;
  shouldAddFinalizer: boolean;
}

/** Launcher-only part of C: returns a result to stop with, or undefined to continue. */
async function ensureInstance(core: DpcCore, log: KLogger, c: BoundContext): Promise<ProcessResult | undefined> {
  const { sd, requester, provider, node } = c;
  if (!podIPOf(provider) || !isPodReady(provider)) {
    log.info(5, 'Bound launcher pod not yet reachable, waiting', 'podIP', podIPOf(provider), 'ready', isPodReady(provider));
    return {};
  }
  let synced;
  try {
    synced = await syncLauncher(core, log, node, provider, sd.instancesDeleted);
  } catch (err) {
    return { err: new Error(`failed to sync launcher instances for bound launcher Pod: ${(err as Error).message}`), retry: true };
  }
  if (!synced) return { retry: true };
  const id = sd.instanceId ?? '';
  const present = synced.instances.some((i) => i.instance_id === id);
  const stopped = synced.stoppedBound.has(id);
  if (stopped || !present) {
    if (stopped || sd.instanceKnownToExist) {
      log.info(2, stopped ? 'Bound instance found stopped on launcher' : 'Bound instance not found in launcher, treating as dead');
      sd.sleeping = true; // a dead instance is not put to sleep on unbind
      try {
        const { start } = await core.ops.delete('pods', requester.metadata.name ?? '', { uid: requester.metadata.uid, resourceVersion: requester.metadata.resourceVersion });
        log.info(2, 'Requested deletion of server-requesting Pod because bound instance stopped', 'k8sCallStartTime', start);
      } catch (err) {
        if (!isNotFound(err)) return { err: new Error(`failed to delete server-requesting Pod for stopped instance: ${(err as Error).message}`), retry: true };
        log.info(2, 'The server-requesting Pod is already gone');
      }
      sd.requesterDeleteRequested = true;
      return {};
    }
    sd.neededNewInstance = true;
    const client = new LauncherClient(core.rt, log, podIPOf(provider), c.iscName);
    let created;
    try {
      created = await client.createNamedInstance(id, sd.instanceConfig ?? { options: '' });
    } catch (err) {
      return { err: new Error(`failed to create vLLM instance "${id}": ${(err as Error).message}`), retry: true };
    }
    launcherData(core.nodeData(node), provider.metadata.name ?? '').instances.set(id, core.rt.clock.nowMs());
    log.info(2, 'Created vLLM instance', 'instance_id', created.instance_id ?? id, 'status', created.status ?? '');
  }
  sd.instanceKnownToExist = true;
  return undefined;
}

/** Relays readiness when it is news and observes the actuation on the first positive relay. */
async function relayReadiness(core: DpcCore, log: KLogger, c: BoundContext, provider: KObject): Promise<ProcessResult> {
  const { sd, requester } = c;
  const ready = c.launcherBased ? sd.sleeping === false : isPodReady(provider);
  const alreadyReady = containerStatus(requester)?.ready === true;
  if (sd.readinessRelayed !== undefined && ready === sd.readinessRelayed) return {};
  if (ready === alreadyReady) {
    sd.readinessRelayed = ready;
    if (ready) sd.firstReadyRelayed = true;
    return {};
  }
  const readiness = ready ? 'ready' : 'unready';
  const url = `http://${podIPOf(requester)}:${c.adminPort}/v1/become-${readiness}`;
  try {
    await doHttp(core.rt, log, { purpose: `relay_${readiness}`, method: 'POST', url, iscName: c.iscName });
  } catch (err) {
    log.error(err, 'Failed to relay the readiness', 'name', provider.metadata.name, 'readiness', readiness, 'url', url);
    return { err, retry: true };
  }
  sd.readinessRelayed = ready;
  if (ready && !sd.firstReadyRelayed) {
    const startedAt = timeMs(containerStatus(requester)?.state?.running?.startedAt);
    if (startedAt !== undefined) {
      const path = sd.neededNewLauncher ? 'cold' : sd.neededNewInstance ? 'warm' : 'hot';
      sd.firstReadyRelayed = true;
      const actuationSecs = (core.rt.clock.nowMs() - startedAt) / 1000;
      core.rt.metrics.actuation.observe([core.rt.namespace, path, String(sd.instancesDeleted.size), c.iscName], actuationSecs);
      log.info(5, 'Observed actuation latency', 'path', path, 'actuationSecs', actuationSecs);
    } else log.info(5, 'Unable to observe actuation latency due to requester container being either missing or not running');
  }
  log.info(2, 'Successfully relayed the readiness', 'readiness', readiness, 'url', url, 'requesterCreateTime', rfc3339Nano(timeMs(requester.metadata.creationTimestamp) ?? 0));
  return {};
}

/** Section 9.3 C. */
export async function reconcileBound(core: DpcCore, log: KLogger, c: BoundContext): Promise<ProcessResult> {
  const { sd, requester } = c;
  let provider = c.provider;
  let port: number;
  if (c.launcherBased) {
    try {
      recoverInstance(sd, provider, core.rt.keys);
    } catch (err) {
      return ensureReqStatus(core, log, requester, sd, (err as Error).message);
    }
    port = sd.serverPort ?? 0;
    ensureDuality(core, log, sd, c.node, true);
    const stop = await ensureInstance(core, log, c);
    if (stop) return stop;
  } else {
    try {
      port = inferenceServerPort(provider.spec as never).port;
    } catch (err) {
      return { err: new Error(`unable to wake up server because port not known: ${(err as Error).message}`), retry: true };
    }
  }
  try {
    if (sd.sleeping === undefined) {
      try {
        sd.sleeping = await querySleeping(core, log, c.iscName, provider, port);
      } catch (err) {
        return { err, retry: true, retryAfterMs: core.rt.options.sleepingRetryMs };
      }
      log.info(2, 'Determined whether provider is sleeping', 'isSleeping', sd.sleeping);
    }
    if (sd.sleeping) await wakeUp(core, log, sd, requester, provider, port, 'discovered-bound');
    provider = c.launcherBased ? await applyBoundLauncherLabels(core, log, sd, provider) : await ensureSleepingLabel(core, log, provider, sd.sleeping);
  } catch (err) {
    return { err, retry: true };
  }
  const out = await ensureReqState(core, log, requester, sd, c.shouldAddFinalizer, false);
  if (out.err) return { err: out.err, retry: true };
  const relayed = await relayReadiness(core, log, c, provider);
  if (relayed.err) return relayed;
  log.info(5, 'Nothing more to do');
  return {};
}
