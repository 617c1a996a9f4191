import type { ClusterClock } from '../clock.ts';
import type { KObject, Store, WatchEvent } from '../store-types.ts';
import { ControllerEvents } from './controller-events.ts';
import { formatIndexes, isTerminal, jobPod, type JobSpec, parseIndexes, podIndex } from './job-pods.ts';
import { controllerRef } from './object-meta.ts';
import { isPodReady, podPhase } from './pod-state.ts';
import { objectKey, splitKey, WorkQueue } from './work-queue.ts';

/**
 * The Job controller of kube-controller-manager (batch/v1, as Kubernetes 1.31 runs it with the
 * JobPodReplacementPolicy, JobBackoffLimitPerIndex and JobManagedBy behaviour on):
 * - pods from `spec.template` with a controller reference, `<job>-<5 random>` (NonIndexed) or
 *   `<job>-<index>-<5 random>` (Indexed: labels and annotation
 *   `batch.kubernetes.io/job-completion-index`, `spec.hostname: <job>-<index>`, env
 *   `JOB_COMPLETION_INDEX` from the annotation through the downward API in every container);
 * - at most `parallelism` active pods, `completions` successes (per index when Indexed), nothing
 *   while `suspend`; a replacement for a failed or terminating pod after the controller's back-off
 *   (10 s doubling, at most 10 min, cluster time);
 * - failure: more failed pods than `backoffLimit` (BackoffLimitExceeded), `activeDeadlineSeconds`
 *   since `startTime` (DeadlineExceeded), more failed indexes than `maxFailedIndexes`, and with
 *   `backoffLimitPerIndex` an index that failed more often than that is not retried (it goes to
 *   `status.failedIndexes`) while the others run on; when every index is done and some failed,
 *   FailedIndexes. The terminal condition follows its target condition (FailureTarget ->
 *   Failed, SuccessCriteriaMet -> Complete) once the Job's pods are gone or finished: active pods
 *   are deleted when the target is set;
 * - status: startTime, active, ready, terminating, succeeded, failed, completedIndexes and
 *   failedIndexes in the interval format (`0-2,4`), uncountedTerminatedPods, conditions,
 *   completionTime; Events `SuccessfulCreate`, `SuccessfulDelete`, `Completed`, and the failure
 *   reasons as warnings.
 * Pods are counted once each, when they reach a terminal phase or are removed before that (a pod
 * removed while running counts as failed, as the real controller's tracking finalizer makes it).
 * The tracking finalizer itself (`batch.kubernetes.io/job-tracking`) is not modelled: counts live
 * in this controller's memory and in the Job's status.
 */

/** The Job controller's pod failure back-off (`DefaultJobPodFailureBackOff`, `MaxJobPodFailureBackOff`). */
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 600_000;

interface JobCondition {
  type: string;
  status: string;
  lastProbeTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

interface JobStatus {
  startTime?: string;
  completionTime?: string;
  conditions?: JobCondition[];
  succeeded?: number;
  failed?: number;
}

/** What the controller remembers of one Job (by uid). */
interface Tracked {
  counted: Set<string>;
  succeededIndexes: Set<number>;
  succeeded: number;
  failed: number;
  /** Failures per index (Indexed), or under -1 (NonIndexed). */
  failures: Map<number, number>;
  lastFailureMs: Map<number, number>;
}

const TERMINAL_MESSAGES: Readonly<Record<string, string>> = {
  BackoffLimitExceeded: 'Job has reached the specified backoff limit',
  DeadlineExceeded: 'Job was active longer than specified deadline',
  FailedIndexes: 'Job has failed indexes',
  MaxFailedIndexesExceeded: 'Job has exceeded the specified maximal number of failed indexes',
};
const SUCCESS_REASON = 'CompletionsReached';
const SUCCESS_MESSAGE = 'Reached expected number of succeeded pods';

function backoffMs(failures: number): number {
  return failures <= 0 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
}

/** The Job controller over one store. */
export class JobController {
  private readonly queue: WorkQueue;
  private readonly events: ControllerEvents;
  private readonly stops: Array<() => void> = [];
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly store: Store,
    private readonly clock: ClusterClock,
  ) {
    this.queue = new WorkQueue(clock, (key) => this.sync(key));
    this.events = new ControllerEvents(store, clock, 'job-controller');
  }

  /** Starts watching Jobs and pods. */
  start(): void {
    this.stops.push(
      this.store.watch('jobs', undefined, {}, (e) => {
        if (e.type === 'DELETED') this.tracked.delete(e.object.metadata.uid as string);
        else if (e.type !== 'BOOKMARK') this.queue.add(objectKey(e.object.metadata.namespace, e.object.metadata.name));
      }),
    );
    this.stops.push(this.store.watch('pods', undefined, {}, (e) => this.onPod(e)));
  }

  private onPod(e: WatchEvent): void {
    if (e.type === 'BOOKMARK') return;
    const ref = controllerRef(e.object);
    if (ref?.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
    if (e.type === 'DELETED') {
      // Removed before the controller counted it: a failure (the tracking finalizer's accounting).
      const t = this.tracked.get(ref.uid);
      if (t) this.count(t, e.object, isTerminal(e.object) ? podPhase(e.object) : 'Failed');
    }
    this.queue.add(objectKey(e.object.metadata.namespace, ref.name));
  }

  /** Stops watching and cancels queued work. */
  stop(): void {
    for (const s of this.stops.splice(0)) s();
    this.queue.stop();
  }

  private state(job: KObject): Tracked {
    const uid = job.metadata.uid as string;
    let t = this.tracked.get(uid);
    if (!t) {
      const status = (job.status ?? {}) as JobStatus & { completedIndexes?: string };
      t = { counted: new Set(), succeededIndexes: parseIndexes(status.completedIndexes), succeeded: status.succeeded ?? 0, failed: status.failed ?? 0, failures: new Map(), lastFailureMs: new Map() };
      this.tracked.set(uid, t);
    }
    return t;
  }

  private count(t: Tracked, pod: KObject, phase: string): void {
    const uid = pod.metadata.uid as string;
    if (t.counted.has(uid)) return;
    t.counted.add(uid);
    const index = podIndex(pod);
    if (phase === 'Succeeded') {
      if (index === undefined) t.succeeded++;
      else t.succeededIndexes.add(index);
      return;
    }
    t.failed++;
    const key = index ?? -1;
    t.failures.set(key, (t.failures.get(key) ?? 0) + 1);
    t.lastFailureMs.set(key, this.clock.nowMs());
  }

  private ownedPods(job: KObject): KObject[] {
    return this.store.list('pods', job.metadata.namespace).items.filter((p) => controllerRef(p)?.uid === job.metadata.uid);
  }

  private sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const job = this.store.get('jobs', namespace, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const spec = (job.spec ?? {}) as JobSpec;
    const status = (job.status ?? {}) as JobStatus;
    const conditions = [...(status.conditions ?? [])];
    const has = (type: string): JobCondition | undefined => conditions.find((c) => c.type === type && c.status === 'True');
    const t = this.state(job);
    let pods = this.ownedPods(job);
    for (const p of pods) if (isTerminal(p)) this.count(t, p, podPhase(p));
    const nowMs = this.clock.nowMs();
    const now = this.clock.kubeTimestamp(nowMs);
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? undefined;
    const perIndex = indexed && typeof spec.backoffLimitPerIndex === 'number' ? spec.backoffLimitPerIndex : undefined;
    const failedIndexes = new Set<number>();
    if (perIndex !== undefined) for (const [i, n] of t.failures) if (i >= 0 && n > perIndex && !t.succeededIndexes.has(i)) failedIndexes.add(i);
    const next: Record<string, unknown> = {};
    let startTime = status.startTime;
    let completionTime = status.completionTime;
    const setCondition = (type: string, reason: string, message: string): void => {
      const i = conditions.findIndex((c) => c.type === type);
      const c: JobCondition = { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message };
      if (i >= 0) conditions[i] = conditions[i]!.status === 'True' && conditions[i]!.reason === reason ? conditions[i]! : c;
      else conditions.push(c);
    };

    if (!has('Complete') && !has('Failed')) {
      const active = (): KObject[] => pods.filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp);
      let target = has('FailureTarget') ? 'failure' : has('SuccessCriteriaMet') ? 'success' : undefined;
      if (!target && spec.suspend) {
        for (const p of active()) this.deletePod(job, p);
        if (!has('Suspended')) {
          setCondition('Suspended', 'JobSuspended', 'Job suspended');
          this.events.record(job, 'Normal', 'Suspended', 'Job suspended');
        }
      } else if (!target) {
        const suspended = conditions.findIndex((c) => c.type === 'Suspended' && c.status === 'True');
        if (suspended >= 0) {
          conditions[suspended] = { type: 'Suspended', status: 'False', lastProbeTime: now, lastTransitionTime: now, reason: 'JobResumed', message: 'Job resumed' };
          this.events.record(job, 'Normal', 'Resumed', 'Job resumed');
          startTime = now;
        }
        startTime ??= now;
        const succeeded = indexed ? t.succeededIndexes.size : t.succeeded;
        let failure: string | undefined;
        const deadline = typeof spec.activeDeadlineSeconds === 'number' ? Date.parse(startTime) + spec.activeDeadlineSeconds * 1000 : undefined;
        if (deadline !== undefined && nowMs >= deadline) failure = 'DeadlineExceeded';
        else if (t.failed > (spec.backoffLimit ?? 6)) failure = 'BackoffLimitExceeded';
        else if (typeof spec.maxFailedIndexes === 'number' && failedIndexes.size > spec.maxFailedIndexes) failure = 'MaxFailedIndexesExceeded';
        if (deadline !== undefined && !failure) this.queue.addAfter(key, Math.max(1, deadline - nowMs));
        let success = false;
        if (!failure) {
          if (indexed) {
            const done = t.succeededIndexes.size + failedIndexes.size >= (completions ?? 0);
            if (done && failedIndexes.size > 0) failure = 'FailedIndexes';
            else success = done;
          } else if (completions !== undefined) success = succeeded >= completions;
          else success = succeeded > 0 && active().length === 0;
        }
        if (failure) {
          target = 'failure';
          setCondition('FailureTarget', failure, TERMINAL_MESSAGES[failure]!);
          for (const p of active()) this.deletePod(job, p);
        } else if (success) {
          target = 'success';
          setCondition('SuccessCriteriaMet', SUCCESS_REASON, SUCCESS_MESSAGE);
          for (const p of active()) this.deletePod(job, p);
        } else {
          this.manage(job, spec, t, active(), pods, failedIndexes, key);
        }
        pods = this.ownedPods(job);
      }
      if (target) {
        const unfinished = pods.filter((p) => !isTerminal(p));
        if (unfinished.length === 0) {
          if (target === 'failure') {
            const reason = has('FailureTarget')?.reason ?? 'BackoffLimitExceeded';
            setCondition('Failed', reason, TERMINAL_MESSAGES[reason] ?? '');
            this.events.record(job, 'Warning', reason, TERMINAL_MESSAGES[reason] ?? '');
          } else {
            setCondition('Complete', SUCCESS_REASON, SUCCESS_MESSAGE);
            completionTime = now;
            this.events.record(job, 'Normal', 'Completed', 'Job completed');
          }
        }
      }
    }

    // Status as the API serialises it: zero `active`/`succeeded`/`failed` omitted, `ready` and `terminating` always.
    const live = pods.filter((p) => !isTerminal(p));
    const activeNow = live.filter((p) => !p.metadata.deletionTimestamp);
    const terminating = live.filter((p) => p.metadata.deletionTimestamp).length;
    const succeeded = indexed ? t.succeededIndexes.size : t.succeeded;
    if (conditions.length) next.conditions = conditions;
    if (startTime) next.startTime = startTime;
    if (completionTime) next.completionTime = completionTime;
    if (activeNow.length) next.active = activeNow.length;
    if (succeeded) next.succeeded = succeeded;
    if (t.failed) next.failed = t.failed;
    next.terminating = terminating;
    if (indexed && t.succeededIndexes.size) next.completedIndexes = formatIndexes(t.succeededIndexes);
    if (perIndex !== undefined) next.failedIndexes = formatIndexes(failedIndexes);
    next.uncountedTerminatedPods = {};
    next.ready = activeNow.filter(isPodReady).length;
    this.store.mutate('jobs', namespace, name, (o) => {
      o.status = next;
    });
  }

  /** Creates the missing pods (lowest indexes first, after the failure back-off) and deletes the surplus. */
  private manage(job: KObject, spec: JobSpec, t: Tracked, active: KObject[], pods: KObject[], failedIndexes: Set<number>, key: string): void {
    const parallelism = spec.parallelism ?? 1;
    const nowMs = this.clock.nowMs();
    const replaceTerminating = spec.podReplacementPolicy !== 'Failed';
    if (active.length > parallelism) {
      const surplus = [...active].sort((a, b) => (podIndex(b) ?? 0) - (podIndex(a) ?? 0)).slice(0, active.length - parallelism);
      for (const p of surplus) this.deletePod(job, p);
      return;
    }
    let room = parallelism - active.length;
    if (room <= 0) return;
    let wait = Infinity;
    if (spec.completionMode === 'Indexed') {
      const busy = new Set((replaceTerminating ? active : pods.filter((p) => !isTerminal(p))).map(podIndex));
      for (let i = 0; i < (spec.completions ?? 0) && room > 0; i++) {
        if (t.succeededIndexes.has(i) || failedIndexes.has(i) || busy.has(i)) continue;
        const failures = t.failures.get(i) ?? 0;
        const readyAt = (t.lastFailureMs.get(i) ?? 0) + backoffMs(failures);
        if (failures > 0 && readyAt > nowMs) {
          wait = Math.min(wait, readyAt - nowMs);
          continue;
        }
        if (!this.createPod(job, spec, i, failures)) return;
        room--;
      }
    } else {
      const inFlight = replaceTerminating ? active.length : pods.filter((p) => !isTerminal(p)).length;
      const completions = spec.completions ?? undefined;
      const want = completions !== undefined ? Math.min(parallelism, completions - t.succeeded) : t.succeeded > 0 ? 0 : parallelism;
      let missing = Math.min(room, want - inFlight);
      const failures = t.failures.get(-1) ?? 0;
      const readyAt = (t.lastFailureMs.get(-1) ?? 0) + backoffMs(failures);
      if (missing > 0 && failures > 0 && readyAt > nowMs) {
        wait = readyAt - nowMs;
        missing = 0;
      }
      for (; missing > 0; missing--) if (!this.createPod(job, spec, undefined, failures)) return;
    }
    if (wait !== Infinity) this.queue.addAfter(key, Math.max(1, wait));
  }

  private createPod(job: KObject, spec: JobSpec, index: number | undefined, failures: number): boolean {
    const pod = jobPod(job, spec, index, failures);
    try {
      const created = this.store.create('pods', job.metadata.namespace, pod);
      this.events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      return true;
    } catch (err) {
      this.events.record(job, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      return false;
    }
  }

  private deletePod(job: KObject, pod: KObject): void {
    try {
      if (this.store.delete('pods', pod.metadata.namespace, pod.metadata.name as string)) this.events.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch {
      // Gone meanwhile.
    }
  }
}
