import type { ClusterClock } from '../clock.ts';
import { StoreError, type KObject, type Store } from '../store-types.ts';
import { ControllerEvents } from './controller-events.ts';
import { deploymentStatus, type DeploymentSpec } from './deployment-status.ts';
import { controllerRef } from './object-meta.ts';
import { fenceposts, planRecreate, planRollingUpdate, podTemplateHash, POD_TEMPLATE_HASH, templatesEqual, type RsCounts } from './rollout.ts';
import { objectKey, splitKey, WorkQueue } from './work-queue.ts';

/**
 * The Deployment controller of kube-controller-manager: one ReplicaSet per pod template, named
 * `<deployment>-<pod-template-hash>` and labelled and selected by `pod-template-hash`; a template
 * change creates a new ReplicaSet and moves replicas over by the strategy (RollingUpdate within
 * maxSurge/maxUnavailable, or Recreate); old ReplicaSets beyond `revisionHistoryLimit` are
 * deleted; status counters and the `Available`/`Progressing` conditions are kept (see
 * `deployment-status.ts`). Not modelled: proportional scaling of several live ReplicaSets
 * (the rollout converges instead), rollbacks through `rollbackTo`.
 */

const REVISION = 'deployment.kubernetes.io/revision';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';

function replicasOf(o: KObject): number {
  return ((o.spec ?? {}) as { replicas?: number }).replicas ?? 0;
}

function revisionOf(o: KObject): number {
  return Number(o.metadata.annotations?.[REVISION] ?? 0) || 0;
}

/** The Deployment controller over one store. */
export class DeploymentController {
  private readonly queue: WorkQueue;
  private readonly events: ControllerEvents;
  private readonly stops: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    private readonly clock: ClusterClock,
  ) {
    this.queue = new WorkQueue(clock, (key) => this.sync(key));
    this.events = new ControllerEvents(store, clock, 'deployment-controller');
  }

  /** Starts watching Deployments, their ReplicaSets and those ReplicaSets' pods. */
  start(): void {
    const enqueueOwner = (o: KObject): void => {
      const ref = controllerRef(o);
      if (ref?.kind === 'Deployment') this.queue.add(objectKey(o.metadata.namespace, ref.name));
    };
    this.stops.push(this.store.watch('deployments', undefined, {}, (e) => this.queue.add(objectKey(e.object.metadata.namespace, e.object.metadata.name))));
    this.stops.push(this.store.watch('replicasets', undefined, {}, (e) => enqueueOwner(e.object)));
    this.stops.push(
      this.store.watch('pods', undefined, {}, (e) => {
        // Recreate waits for the old pods to be gone, which changes no ReplicaSet status.
        const ref = controllerRef(e.object);
        if (e.type !== 'DELETED' || ref?.kind !== 'ReplicaSet') return;
        const rs = this.store.get('replicasets', e.object.metadata.namespace, ref.name);
        if (rs) enqueueOwner(rs);
      }),
    );
  }

  /** Stops watching and cancels queued work. */
  stop(): void {
    for (const s of this.stops.splice(0)) s();
    this.queue.stop();
  }

  private sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const d = this.store.get('deployments', namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const spec = d.spec as DeploymentSpec;
    const owned = this.store.list('replicasets', namespace).items.filter((rs) => controllerRef(rs)?.uid === d.metadata.uid);
    let newRs = owned.find((rs) => templatesEqual((rs.spec as DeploymentSpec).template, spec.template));
    const old = owned.filter((rs) => rs !== newRs).sort((a, b) => revisionOf(a) - revisionOf(b));
    const desired = spec.replicas ?? 1;
    const { surge, unavailable } = fenceposts(spec.strategy?.rollingUpdate?.maxSurge, spec.strategy?.rollingUpdate?.maxUnavailable, desired);
    const maxOldRevision = Math.max(0, ...old.map(revisionOf));
    let created = false;
    if (!spec.paused) {
      const counts = (rs: KObject): RsCounts => ({ name: rs.metadata.name as string, replicas: replicasOf(rs), available: ((rs.status ?? {}) as { availableReplicas?: number }).availableReplicas ?? 0 });
      const pendingNew: RsCounts = newRs ? counts(newRs) : { name: '', replicas: 0, available: 0 };
      const recreate = spec.strategy?.type === 'Recreate';
      const oldPodsLeft = recreate && old.some((rs) => this.store.list('pods', namespace).items.some((p) => controllerRef(p)?.uid === rs.metadata.uid));
      const plan = recreate ? planRecreate(desired, pendingNew, old.map(counts), oldPodsLeft) : planRollingUpdate(desired, surge, unavailable, pendingNew, old.map(counts));
      if (!newRs) {
        newRs = this.createReplicaSet(d, plan.get('') ?? 0, maxOldRevision + 1, desired + surge);
        created = true;
      } else if (revisionOf(newRs) <= maxOldRevision) {
        newRs = this.store.mutate('replicasets', namespace, newRs.metadata.name as string, (o) => {
          o.metadata.annotations = { ...o.metadata.annotations, [REVISION]: String(maxOldRevision + 1) };
        }) ?? newRs;
      }
      for (const rs of [newRs, ...old]) {
        const target = plan.get(rs === newRs && created ? '' : (rs.metadata.name as string));
        if (target !== undefined) this.scale(d, rs, target, desired, desired + surge);
      }
      this.cleanup(old, spec.revisionHistoryLimit ?? 10);
    }
    this.updateStatus(d, newRs, old, created, unavailable);
  }

  private createReplicaSet(d: KObject, replicas: number, revision: number, maxReplicas: number): KObject {
    const spec = d.spec as DeploymentSpec & { selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] }; minReadySeconds?: number };
    const collision = ((d.status ?? {}) as { collisionCount?: number }).collisionCount ?? 0;
    const hash = podTemplateHash(spec.template, collision);
    const template = structuredClone(spec.template ?? {}) as { metadata?: { labels?: Record<string, string> } };
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } };
    const name = `${d.metadata.name}-${hash}`;
    try {
      const rs = this.store.create('replicasets', d.metadata.namespace, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name,
          namespace: d.metadata.namespace,
          labels: { ...template.metadata.labels },
          annotations: { [DESIRED]: String(replicasOf(d)), [MAX]: String(maxReplicas), [REVISION]: String(revision) },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name as string, uid: d.metadata.uid as string, controller: true, blockOwnerDeletion: true }],
        },
        spec: {
          replicas,
          ...(spec.minReadySeconds ? { minReadySeconds: spec.minReadySeconds } : {}),
          selector: { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, [POD_TEMPLATE_HASH]: hash } },
          template,
        },
      });
      if (replicas > 0) this.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`);
      return rs;
    } catch (err) {
      if (err instanceof StoreError && err.code === 409) {
        // A ReplicaSet of that name with another template: bump collisionCount and hash again.
        this.store.mutate('deployments', d.metadata.namespace, d.metadata.name as string, (o) => {
          o.status = { ...(o.status as object), collisionCount: collision + 1 };
        });
      }
      throw err;
    }
  }

  private scale(d: KObject, rs: KObject, target: number, desired: number, maxReplicas: number): void {
    const from = replicasOf(rs);
    const a = rs.metadata.annotations ?? {};
    if (from === target && a[DESIRED] === String(desired) && a[MAX] === String(maxReplicas)) return;
    this.store.mutate('replicasets', rs.metadata.namespace, rs.metadata.name as string, (o) => {
      o.spec = { ...(o.spec as object), replicas: target };
      o.metadata.annotations = { ...o.metadata.annotations, [DESIRED]: String(desired), [MAX]: String(maxReplicas) };
    });
    if (from !== target) this.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${target > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${target}`);
  }

  /** Deletes the oldest fully scaled-down old ReplicaSets beyond the history limit. */
  private cleanup(oldestFirst: KObject[], limit: number): void {
    const idle = oldestFirst.filter((rs) => {
      const current = this.store.get('replicasets', rs.metadata.namespace, rs.metadata.name as string);
      return current && replicasOf(current) === 0 && (((current.status ?? {}) as { replicas?: number }).replicas ?? 0) === 0 && !current.metadata.deletionTimestamp;
    });
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) this.store.delete('replicasets', rs.metadata.namespace, rs.metadata.name as string);
  }

  private updateStatus(d: KObject, newRs: KObject | undefined, old: KObject[], created: boolean, unavailable: number): void {
    const fresh = (rs: KObject): KObject | undefined => this.store.get('replicasets', rs.metadata.namespace, rs.metadata.name as string);
    const newNow = newRs ? fresh(newRs) : undefined;
    const oldNow = old.map(fresh).filter((x): x is KObject => x !== undefined);
    const result = deploymentStatus(d, newNow, oldNow, { created, unavailable, clock: this.clock });
    this.store.mutate('deployments', d.metadata.namespace, d.metadata.name as string, (o) => {
      o.status = result.status;
      if (newNow) o.metadata.annotations = { ...o.metadata.annotations, [REVISION]: String(revisionOf(newNow)) };
    });
    if (result.recheckInMs !== undefined) this.queue.addAfter(objectKey(d.metadata.namespace, d.metadata.name), result.recheckInMs);
  }
}
