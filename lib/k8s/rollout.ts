/**
 * Waiting for a Deployment's rollout with a watch (not polling): done when the controller has
 * observed the current generation and `status.availableReplicas` (and `updatedReplicas`) equal
 * `spec.replicas`. A watch that ends is resumed from the last resourceVersion; one the server
 * refuses as too old (410) restarts from a fresh read. The timeout is in cluster time (scaled on
 * the embedded simulator); when it passes, the error carries the diagnostic: the Deployment's
 * counters and conditions, each of its pods (phase, conditions not True, containers waiting and
 * why) and the namespace's last events.
 */
import { Watch } from '@kubernetes/client-node';
import type { ClusterConnection } from './connect.ts';
import { lastEvents, podLine } from './diagnose.ts';
import { ClusterError, clusterError } from './errors.ts';
import type { PodObject } from './pod-watch.ts';

/** The Deployment fields the wait reads. */
interface DeploymentView {
  metadata?: { generation?: number; resourceVersion?: string };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

/** What to wait for. */
export interface RolloutWait {
  /** Deployment name (in the connection's namespace). */
  name: string;
  /** Label selector of its pods, for the diagnostic. */
  selector: string;
  /** Give up after this much cluster time, in ms. */
  timeoutMs: number;
}

/** A finished rollout. */
export interface RolloutResult {
  replicas: number;
  /** Real ms from the call to the watch event that completed it. */
  realMs: number;
  /** The same interval in cluster seconds. */
  clusterSeconds: number;
  /** Watches resumed after the connection ended. */
  resumes: number;
}

/** Whether the Deployment has rolled out: current generation observed, every replica updated and available. */
export function rolledOut(d: DeploymentView): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return false;
  return (s.availableReplicas ?? 0) === want && (s.updatedReplicas ?? 0) === want;
}

/** Lines describing why a Deployment is not available; never throws. */
export async function diagnoseRollout(c: ClusterConnection, name: string, selector: string): Promise<string[]> {
  const lines: string[] = [];
  try {
    const d = (await c.apps.readNamespacedDeployment({ namespace: c.namespace, name })) as DeploymentView;
    const s = d.status ?? {};
    const conds = (s.conditions ?? []).map((x) => `${x.type}=${x.status}${x.reason ? ` (${x.reason}${x.message ? `: ${x.message}` : ''})` : ''}`);
    lines.push(`Deployment ${name}: ${s.availableReplicas ?? 0} of ${d.spec?.replicas ?? 1} available, ${s.readyReplicas ?? 0} ready, ${s.updatedReplicas ?? 0} updated${conds.length ? `; ${conds.join(', ')}` : ''}`);
  } catch (err) {
    lines.push(`Deployment ${name} could not be read: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    const pods = (await c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: selector })).items as unknown as PodObject[];
    lines.push(`${pods.length} pod(s) (${selector}):`);
    for (const p of pods) lines.push(podLine(p));
  } catch (err) {
    lines.push(`pods could not be listed: ${(err as Error).message.split('\n')[0]}`);
  }
  lines.push(...(await lastEvents(c)));
  return lines;
}

/**
 * Resolves when the Deployment has rolled out; rejects with a `ClusterError` (code
 * `PROVISION_TIMEOUT`, the diagnostic on the lines after the first) when `timeoutMs` of cluster
 * time pass first, or (`CLUSTER_WATCH`) when the Deployment cannot be read.
 */
export async function waitForRollout(c: ClusterConnection, wait: RolloutWait): Promise<RolloutResult> {
  const started = performance.now();
  const where = `in namespace ${c.namespace} on ${c.server}`;
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(c.namespace)}/deployments`;
  let resourceVersion = '';
  let resumes = 0;
  let controller: AbortController | undefined;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;

  const read = async (): Promise<DeploymentView> => {
    try {
      const d = (await c.apps.readNamespacedDeployment({ namespace: c.namespace, name: wait.name })) as DeploymentView;
      resourceVersion = d.metadata?.resourceVersion ?? '';
      return d;
    } catch (err) {
      throw clusterError('CLUSTER_WATCH', `reading Deployment ${wait.name}`, where, err);
    }
  };

  return new Promise<RolloutResult>((resolve, reject) => {
    const finish = (err: Error | null, d?: DeploymentView): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      if (err) return reject(err);
      const realMs = performance.now() - started;
      resolve({ replicas: d?.spec?.replicas ?? 1, realMs, clusterSeconds: c.time.toClusterMs(realMs) / 1000, resumes });
    };
    const check = (d: DeploymentView): void => {
      if (rolledOut(d)) finish(null, d);
    };
    const watch = async (): Promise<void> => {
      if (settled) return;
      let expired = false;
      try {
        controller = await new Watch(c.kc).watch(
          path,
          { fieldSelector: `metadata.name=${wait.name}`, resourceVersion, allowWatchBookmarks: true },
          (type, obj) => {
            if (type === 'ERROR') {
              if ((obj as { code?: number }).code === 410) expired = true;
              return;
            }
            const rv = (obj as DeploymentView).metadata?.resourceVersion;
            if (rv) resourceVersion = rv;
            if (type === 'ADDED' || type === 'MODIFIED') check(obj as DeploymentView);
            if (type === 'DELETED') finish(new ClusterError('PROVISION_DELETED', `Deployment ${wait.name} ${where} was deleted while waiting for its rollout`));
          },
          (err) => {
            if (settled) return;
            resumes += 1;
            const again = expired || (err as { statusCode?: number } | null)?.statusCode === 410 ? () => read().then(check).then(watch) : watch;
            setTimeout(() => void again().catch((e: Error) => finish(e)), 20);
          },
        );
        if (settled) controller.abort();
      } catch {
        // The watch request itself failed (connection refused, reset): try again shortly; the timeout bounds it.
        if (!settled) setTimeout(() => void watch(), 200);
      }
    };
    timer = setTimeout(() => {
      const seconds = wait.timeoutMs / 1000;
      void diagnoseRollout(c, wait.name, wait.selector).then((lines) =>
        finish(new ClusterError('PROVISION_TIMEOUT', [`Deployment ${wait.name} ${where}: not available after ${seconds} s (cluster time)`, ...lines].join('\n'))),
      );
    }, c.time.toRealMs(wait.timeoutMs));
    read()
      .then((d) => {
        check(d);
        return watch();
      })
      .catch((err: Error) => finish(err));
  });
}
