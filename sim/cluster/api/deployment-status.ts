import type { ClusterClock } from '../clock.ts';
import type { KObject } from '../store-types.ts';

/**
 * A Deployment's status as the deployment controller computes it: the counters summed over its
 * ReplicaSets, and the `Available` and `Progressing` conditions with the reasons and messages a
 * cluster writes (`MinimumReplicasAvailable`, `NewReplicaSetCreated`, `ReplicaSetUpdated`,
 * `NewReplicaSetAvailable`, `ProgressDeadlineExceeded`, `DeploymentPaused`).
 */

/** The Deployment spec fields the controller reads. */
export interface DeploymentSpec {
  replicas?: number;
  paused?: boolean;
  template?: unknown;
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  minReadySeconds?: number;
}

interface Condition {
  type: string;
  status: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

interface RsStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
}

interface DeploymentStatusView extends RsStatus {
  updatedReplicas?: number;
  observedGeneration?: number;
  conditions?: Condition[];
  collisionCount?: number;
}

function st(rs: KObject | undefined): RsStatus {
  return (rs?.status ?? {}) as RsStatus;
}

function setCondition(prev: Condition[] | undefined, next: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>, now: string, touch: boolean): Condition {
  const old = prev?.find((c) => c.type === next.type);
  const same = old && old.status === next.status && old.reason === next.reason && old.message === next.message;
  return {
    ...next,
    lastUpdateTime: same && !touch ? old.lastUpdateTime : now,
    lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime : now,
  };
}

/** The status to write, and when to look again (the progress deadline) if the rollout is not done. */
export function deploymentStatus(
  d: KObject,
  newRs: KObject | undefined,
  old: KObject[],
  opts: { created: boolean; unavailable: number; clock: ClusterClock },
): { status: Record<string, unknown>; recheckInMs?: number } {
  const spec = d.spec as DeploymentSpec;
  const prev = (d.status ?? {}) as DeploymentStatusView;
  const desired = spec.replicas ?? 1;
  const all = [...(newRs ? [newRs] : []), ...old];
  const sum = (f: (s: RsStatus) => number | undefined): number => all.reduce((n, rs) => n + (f(st(rs)) ?? 0), 0);
  const specTotal = all.reduce((n, rs) => n + (((rs.spec ?? {}) as { replicas?: number }).replicas ?? 0), 0);
  const replicas = sum((s) => s.replicas);
  const updated = st(newRs).replicas ?? 0;
  const ready = sum((s) => s.readyReplicas);
  const available = sum((s) => s.availableReplicas);
  const unavailableReplicas = Math.max(0, specTotal - available);
  const now = opts.clock.kubeTimestamp();
  const rsName = newRs?.metadata.name ?? '';

  const availableCond = setCondition(
    prev.conditions,
    available >= desired - opts.unavailable
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
    now,
    false,
  );

  const complete = Boolean(newRs) && updated === desired && replicas === desired && available === desired;
  const progressed = updated > (prev.updatedReplicas ?? 0) || ready > (prev.readyReplicas ?? 0) || available > (prev.availableReplicas ?? 0) || replicas - updated < (prev.replicas ?? 0) - (prev.updatedReplicas ?? 0);
  const oldProgressing = prev.conditions?.find((c) => c.type === 'Progressing');
  const deadlineMs = (spec.progressDeadlineSeconds ?? 600) * 1000;
  let progressing: Condition;
  let recheckInMs: number | undefined;
  if (spec.paused) {
    progressing = setCondition(prev.conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, now, false);
  } else if (complete) {
    progressing = setCondition(prev.conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }, now, false);
  } else if (opts.created) {
    progressing = setCondition(prev.conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }, now, true);
  } else if (progressed || !oldProgressing || oldProgressing.reason === 'NewReplicaSetAvailable' || oldProgressing.reason === 'DeploymentPaused') {
    progressing = setCondition(prev.conditions, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` }, now, true);
  } else if (oldProgressing.status === 'True' && Date.parse(oldProgressing.lastUpdateTime) + deadlineMs <= opts.clock.nowMs()) {
    progressing = setCondition(prev.conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }, now, false);
  } else {
    progressing = oldProgressing;
  }
  if (!spec.paused && !complete && progressing.status === 'True') {
    recheckInMs = Math.max(1, Date.parse(progressing.lastUpdateTime) + deadlineMs - opts.clock.nowMs() + 1000);
  }

  // Zero counters are omitted, as the API serialises DeploymentStatus (omitempty).
  const status: Record<string, unknown> = { observedGeneration: d.metadata.generation };
  if (replicas) status.replicas = replicas;
  if (updated) status.updatedReplicas = updated;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (unavailableReplicas) status.unavailableReplicas = unavailableReplicas;
  status.conditions = [availableCond, progressing];
  if (prev.collisionCount) status.collisionCount = prev.collisionCount;
  return { status, ...(recheckInMs !== undefined ? { recheckInMs } : {}) };
}
