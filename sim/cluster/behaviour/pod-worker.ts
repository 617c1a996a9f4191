/**
 * One pod on one node, from the kubelet taking it on until it is gone: admission (GPUs), the
 * sandbox and pod IP after `podIpMs`, each container running after `containerStartMs` with
 * `Pulled`/`Created`/`Started` events, probes, restarts after a failed liveness or startup probe
 * or a process that exited on its own (per `restartPolicy`), and graceful termination when the
 * pod gets a `deletionTimestamp` (containers stopped after `terminateMs`, capped by the grace
 * period; then the final delete, which the store completes once no finalizers remain).
 *
 * Longer than 300 lines: one state machine, every step reading and changing the same pod state.
 */
import type { KObject } from '../store-types.ts';
import { runContainer, type StartedContainer } from './container-runner.ts';
import { MountError, residentKib } from './harness-process.ts';
import { imageUnavailable, normalizedImageRef } from './image-pull.ts';
import type { PodIpAllocator } from './pod-ips.ts';
import { ContainerConfigError, podGpuRequest, viewPod, type ContainerSpec } from './pod-spec.ts';
import { containerStatuses, derivePhase, imageId, podStatus, setCondition, updateReadiness } from './pod-status.ts';
import { ProbeWorker, probeFailureText, type ProbeKind } from './probes.ts';
import type { ClusterRuntime, ContainerProcess } from './runtime.ts';

interface ContainerRun {
  spec: ContainerSpec;
  started?: StartedContainer;
  startedAtMs?: number;
  restarts: number;
  startupPassed: boolean;
  probes: ProbeWorker[];
}

/** The kubelet's handling of one pod. */
export class PodWorker {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  private readonly node: string;
  private readonly hostIP: string;
  private podIP: string | undefined;
  private readonly containers = new Map<string, ContainerRun>();
  private readonly cancels = new Set<() => void>();
  private terminating = false;
  private done = false;

  constructor(
    private readonly runtime: ClusterRuntime,
    private readonly ips: PodIpAllocator,
    pod: KObject,
  ) {
    const v = viewPod(pod);
    this.uid = v.uid;
    this.namespace = v.namespace;
    this.name = v.name;
    this.node = v.nodeName!;
    this.hostIP = runtime.nodes.find((n) => n.name === this.node)?.hostIP ?? '127.3.0.1';
    for (const c of v.containers) this.containers.set(c.name, { spec: c, restarts: 0, startupPassed: !c.startupProbe, probes: [] });
  }

  private after(ms: number, fn: () => void): void {
    const cancel = this.runtime.clock.after(ms, () => {
      this.cancels.delete(cancel);
      if (!this.done) fn();
    });
    this.cancels.add(cancel);
  }

  private mutate(fn: (pod: KObject) => void): KObject | undefined {
    return this.runtime.store.mutate('pods', this.namespace, this.name, fn);
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void {
    const subject = { namespace: this.namespace, name: this.name, uid: this.uid, ...(container ? { fieldPath: `spec.containers{${container}}` } : {}) };
    this.runtime.events.kubelet(subject, this.node, type, reason, message);
  }

  /** Takes the pod on: GPU admission, initial status, probe workers, then the sandbox. */
  admit(pod: KObject): void {
    const need = podGpuRequest(viewPod(pod));
    if (need > 0 && !this.runtime.allocator.allocate(this.node, this.uid, `${this.namespace}/${this.name}`, need)) {
      const free = this.runtime.allocator.free(this.node).length;
      const message = `Allocate failed due to requested number of devices unavailable for nvidia.com/gpu. Requested: ${need}, Available: ${free}, which is unexpected`;
      this.mutate((p) => Object.assign(podStatus(p), { phase: 'Failed', reason: 'UnexpectedAdmissionError', message }));
      this.event('Warning', 'UnexpectedAdmissionError', message);
      this.done = true;
      return;
    }
    const now = this.runtime.clock.kubeTimestamp();
    this.mutate((p) => {
      const s = podStatus(p);
      Object.assign(s, { phase: 'Pending', hostIP: this.hostIP, hostIPs: [{ ip: this.hostIP }], startTime: now });
      setCondition(p, 'PodReadyToStartContainers', 'False', now);
      setCondition(p, 'Initialized', 'True', now);
      containerStatuses(p, [...this.containers.values()].map((c) => c.spec));
      updateReadiness(p, now);
      setCondition(p, 'PodScheduled', 'True', now);
    });
    for (const run of this.containers.values()) this.startProbes(run);
    this.after(this.runtime.timing.draw('podIpMs'), () => this.sandboxReady());
  }

  private sandboxReady(): void {
    this.podIP = this.ips.allocate(this.uid);
    const now = this.runtime.clock.kubeTimestamp();
    this.mutate((p) => {
      Object.assign(podStatus(p), { podIP: this.podIP, podIPs: [{ ip: this.podIP }] });
      setCondition(p, 'PodReadyToStartContainers', 'True', now);
    });
    for (const run of this.containers.values()) this.after(this.runtime.timing.draw('containerStartMs'), () => this.startContainer(run));
  }

  private waiting(run: ContainerRun, reason: string, message?: string): void {
    this.mutate((p) => {
      const st = containerStatuses(p, [...this.containers.values()].map((x) => x.spec)).find((x) => x.name === run.spec.name)!;
      st.state = { waiting: { reason, ...(message ? { message } : {}) } };
    });
  }

  /**
   * An image that cannot be pulled (`missingImages`, or a Job's pod whose image is not the
   * harness): ErrImagePull, then ImagePullBackOff until the next pull, which backs off from 10 s
   * doubling to 5 min, with the kubelet's events.
   */
  private pullFailed(run: ContainerRun, attempt: number): void {
    if (this.terminating) return;
    const image = run.spec.image ?? '';
    const ref = normalizedImageRef(image);
    const error = `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
    this.event('Normal', 'Pulling', `Pulling image "${image}"`, run.spec.name);
    this.event('Warning', 'Failed', `Failed to pull image "${image}": ${error}`, run.spec.name);
    this.event('Warning', 'Failed', 'Error: ErrImagePull', run.spec.name);
    this.waiting(run, 'ErrImagePull', error);
    this.after(1000, () => {
      const message = `Back-off pulling image "${image}"`;
      this.event('Normal', 'BackOff', message, run.spec.name);
      this.event('Warning', 'Failed', 'Error: ImagePullBackOff', run.spec.name);
      this.waiting(run, 'ImagePullBackOff', message);
    });
    this.after(Math.min(300_000, 10_000 * 2 ** attempt), () => this.pullFailed(run, attempt + 1));
  }

  private startContainer(run: ContainerRun): void {
    if (this.terminating || !this.podIP) return;
    const c = run.spec;
    const image = c.image ?? '';
    const pod = this.runtime.store.get('pods', this.namespace, this.name);
    if (!pod) return;
    if (imageUnavailable(this.runtime, pod, c)) return this.pullFailed(run, 0);
    this.event('Normal', 'Pulled', `Container image "${image}" already present on machine`, c.name);
    let started: StartedContainer;
    try {
      started = runContainer(this.runtime, pod, c, { nodeName: this.node, podIP: this.podIP, hostIP: this.hostIP }, (code, detail) => void this.exited(run, started, code, detail));
    } catch (err) {
      if (!(err instanceof ContainerConfigError) && !(err instanceof MountError)) throw err;
      // The kubelet retries on its next pod sync; the container waits meanwhile.
      if (err instanceof ContainerConfigError) {
        this.event('Warning', 'Failed', `Error: ${err.message}`, c.name);
        this.waiting(run, 'CreateContainerConfigError', err.message);
      } else {
        this.event('Warning', 'FailedMount', err.message);
        this.waiting(run, 'ContainerCreating');
      }
      this.after(this.runtime.timing.options.restartBackoffMs, () => this.startContainer(run));
      return;
    }
    this.event('Normal', 'Created', `Created container: ${c.name}`, c.name);
    run.started = started;
    run.startedAtMs = this.runtime.clock.nowMs();
    this.event('Normal', 'Started', `Started container ${c.name}`, c.name);
    const now = this.runtime.clock.kubeTimestamp(run.startedAtMs);
    this.mutate((p) => {
      const st = containerStatuses(p, [...this.containers.values()].map((x) => x.spec)).find((x) => x.name === c.name)!;
      st.state = { running: { startedAt: now } };
      st.started = run.startupPassed;
      st.ready = !c.readinessProbe && run.startupPassed;
      st.restartCount = run.restarts;
      st.imageID = imageId(image);
      st.containerID = `sim://${this.uid.slice(0, 8)}-${c.name}-${run.restarts}`;
      podStatus(p).phase = derivePhase(p);
      updateReadiness(p, now);
    });
  }

  private startProbes(run: ContainerRun): void {
    const kinds: Array<[ProbeKind, ContainerSpec['readinessProbe']]> = [
      ['startup', run.spec.startupProbe],
      ['readiness', run.spec.readinessProbe],
      ['liveness', run.spec.livenessProbe],
    ];
    for (const [kind, spec] of kinds) {
      if (!spec) continue;
      const worker = new ProbeWorker(this.runtime, kind, spec, run.spec, () => this.podIP ?? '', {
        startedAtMs: () => (run.started && !this.terminating ? run.startedAtMs : undefined),
        enabled: () => kind === 'startup' || run.startupPassed,
        onFailure: (message) => this.event('Warning', 'Unhealthy', probeFailureText(kind, message), run.spec.name),
        onChange: (success) => this.probeChanged(run, kind, success),
      });
      run.probes.push(worker);
      worker.start();
    }
  }

  private probeChanged(run: ContainerRun, kind: ProbeKind, success: boolean): void {
    if (this.terminating || !run.started) return;
    const now = this.runtime.clock.kubeTimestamp();
    if (kind === 'readiness') {
      this.mutate((p) => {
        const st = containerStatuses(p, [...this.containers.values()].map((x) => x.spec)).find((x) => x.name === run.spec.name);
        if (st) st.ready = success;
        updateReadiness(p, now);
      });
      return;
    }
    if (success) {
      if (kind === 'startup') {
        run.startupPassed = true;
        this.mutate((p) => {
          const st = containerStatuses(p, [...this.containers.values()].map((x) => x.spec)).find((x) => x.name === run.spec.name);
          if (st) Object.assign(st, { started: true, ready: !run.spec.readinessProbe });
          updateReadiness(p, now);
        });
      }
      return;
    }
    this.event('Normal', 'Killing', `Container ${run.spec.name} failed ${kind} probe, will be restarted`, run.spec.name);
    void this.restart(run);
  }

  /** The container's process ended by itself: record it, then restart per `restartPolicy`. */
  private async exited(run: ContainerRun, which: StartedContainer, code: number, detail?: { reason: string; message: string }): Promise<void> {
    if (this.terminating || run.started !== which) return;
    const pod = this.runtime.store.get('pods', this.namespace, this.name);
    const policy = String((pod?.spec as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always');
    const ended = { exitCode: code, reason: detail?.reason ?? (code === 0 ? 'Completed' : 'Error'), ...(detail ? { message: detail.message } : {}) };
    if (policy === 'Always' || (policy === 'OnFailure' && code !== 0)) return this.restart(run, ended);
    const startedAt = run.startedAtMs;
    run.started = undefined;
    for (const w of run.probes) w.stop();
    await which.process.stop();
    which.log.end();
    const now = this.runtime.clock.kubeTimestamp();
    this.mutate((p) => {
      const st = containerStatuses(p, [...this.containers.values()].map((x) => x.spec)).find((x) => x.name === run.spec.name)!;
      st.state = { terminated: { ...ended, startedAt: this.runtime.clock.kubeTimestamp(startedAt), finishedAt: now } };
      Object.assign(st, { ready: false, started: false });
      podStatus(p).phase = derivePhase(p);
      updateReadiness(p, now);
    });
  }

  private async restart(run: ContainerRun, ended: { exitCode: number; reason: string; message?: string } = { exitCode: 137, reason: 'Error' }): Promise<void> {
    const started = run.started;
    const startedAt = run.startedAtMs;
    run.started = undefined;
    run.restarts++;
    run.startupPassed = !run.spec.startupProbe;
    for (const w of run.probes) w.reset();
    if (started?.process.kill && started.process.exitCode?.() === undefined) await started.process.kill();
    else await started?.process.stop();
    started?.log.end();
    const now = this.runtime.clock.kubeTimestamp();
    this.mutate((p) => {
      const st = containerStatuses(p, [...this.containers.values()].map((x) => x.spec)).find((x) => x.name === run.spec.name)!;
      st.lastState = { terminated: { ...ended, startedAt: this.runtime.clock.kubeTimestamp(startedAt), finishedAt: now } };
      st.state = { waiting: { reason: run.restarts > 1 ? 'CrashLoopBackOff' : 'ContainerCreating' } };
      Object.assign(st, { ready: false, started: false, restartCount: run.restarts });
      podStatus(p).phase = derivePhase(p) === 'Pending' ? 'Running' : derivePhase(p);
      updateReadiness(p, now);
    });
    // The first restart is immediate; later ones back off 10 s, 20 s, ... up to 5 minutes.
    const backoff = run.restarts <= 1 ? 0 : Math.min(300_000, this.runtime.timing.options.restartBackoffMs * 2 ** (run.restarts - 2));
    if (backoff > 0) this.event('Warning', 'BackOff', `Back-off restarting failed container ${run.spec.name} in pod ${this.name}_${this.namespace}(${this.uid})`, run.spec.name);
    this.after(backoff, () => this.startContainer(run));
  }

  /** The pod got a `deletionTimestamp`: stop its containers, then complete the delete. */
  terminate(pod: KObject): void {
    if (this.terminating || this.done) return;
    this.terminating = true;
    for (const c of this.cancels) c();
    this.cancels.clear();
    const grace = Number(pod.metadata.deletionGracePeriodSeconds ?? 30);
    for (const run of this.containers.values()) {
      for (const w of run.probes) w.stop();
      if (run.started) this.event('Normal', 'Killing', `Stopping container ${run.spec.name}`, run.spec.name);
    }
    // Real processes get SIGTERM now and SIGKILL when the grace period ends; simulated ones stop after terminateMs.
    const real = [...this.containers.values()].filter((r) => r.started?.process.terminate);
    for (const r of real) this.exitCodes.set(r.spec.name, r.started!.process);
    const realDone = Promise.all(real.map((r) => r.started!.process.terminate!(Math.max(0, grace) * 1000)));
    const wait = real.length && real.length === this.containers.size ? 0 : Math.min(this.runtime.timing.draw('terminateMs'), Math.max(0, grace) * 1000);
    const cancel = this.runtime.clock.after(wait, () => void realDone.then(() => this.finishTermination()));
    this.cancels.add(cancel);
  }

  /** Processes whose exit code the final status reports (real processes that were running at termination). */
  private readonly exitCodes = new Map<string, ContainerProcess>();

  private async finishTermination(): Promise<void> {
    if (this.done) return;
    this.cancels.clear();
    await this.stopProcesses();
    const now = this.runtime.clock.kubeTimestamp();
    this.mutate((p) => {
      const statuses = containerStatuses(p, [...this.containers.values()].map((x) => x.spec));
      for (const st of statuses) {
        const run = this.containers.get(st.name);
        if (st.state.terminated && !this.exitCodes.has(st.name)) continue; // finished before the deletion
        const startedAt = run?.startedAtMs !== undefined ? this.runtime.clock.kubeTimestamp(run.startedAtMs) : undefined;
        const code = this.exitCodes.get(st.name)?.exitCode?.() ?? 0;
        // A container that never started: what the kubelet reports for it (exit code 137), so the pod is Failed, never Succeeded.
        st.state = startedAt ? { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt, finishedAt: now } } : { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: now } };
        Object.assign(st, { ready: false, started: false });
      }
      podStatus(p).phase = derivePhase(p);
      updateReadiness(p, now);
    });
    // The device plugin frees the GPUs once the containers are gone.
    this.runtime.allocator.release(this.uid);
    this.done = true;
    this.runtime.store.delete('pods', this.namespace, this.name, { gracePeriodSeconds: 0 });
  }

  private async stopProcesses(): Promise<void> {
    const runs = [...this.containers.values()];
    for (const r of runs) for (const w of r.probes) w.stop();
    await Promise.all(
      runs.map(async (r) => {
        const started = r.started;
        r.started = undefined;
        await started?.process.stop();
        started?.log.end();
      }),
    );
  }

  /**
   * Node-pressure eviction (the admin route `/sim/evict`): the kubelet's eviction manager kills
   * every container at once (grace period 0: exit code 137), and the pod stays, `Failed` with
   * `reason: Evicted`, the eviction manager's message and a `DisruptionTarget` condition.
   */
  async evict(): Promise<void> {
    if (this.done) return;
    this.terminating = true;
    for (const c of this.cancels) c();
    this.cancels.clear();
    const runs = [...this.containers.values()];
    const usage = runs.filter((r) => r.started).map((r) => {
      const requested = r.spec.resources?.requests?.memory;
      return `Container ${r.spec.name} was using ${residentKib(r.started?.process.pid) || 1024}Ki, request is ${requested ?? 0}, has larger consumption of memory. `;
    });
    const available = 51_200 + Math.floor(this.runtime.timing.uniform() * 40_000);
    const message = `The node was low on resource: memory. Threshold quantity: 100Mi, available: ${available}Ki. ${usage.join('')}`;
    this.event('Warning', 'Evicted', message);
    for (const r of runs) {
      for (const w of r.probes) w.stop();
      if (r.started) this.event('Normal', 'Killing', `Stopping container ${r.spec.name}`, r.spec.name);
    }
    await Promise.all(
      runs.map(async (r) => {
        const started = r.started;
        r.started = undefined;
        if (started?.process.kill) await started.process.kill();
        else await started?.process.stop();
        started?.log.end();
      }),
    );
    this.done = true;
    const now = this.runtime.clock.kubeTimestamp();
    this.mutate((p) => {
      for (const st of containerStatuses(p, runs.map((x) => x.spec))) {
        const run = this.containers.get(st.name);
        if (st.state.terminated) continue;
        const startedAt = run?.startedAtMs !== undefined ? this.runtime.clock.kubeTimestamp(run.startedAtMs) : undefined;
        st.state = startedAt ? { terminated: { exitCode: 137, reason: 'Error', startedAt, finishedAt: now } } : { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: now } };
        Object.assign(st, { ready: false, started: false });
      }
      Object.assign(podStatus(p), { phase: 'Failed', reason: 'Evicted', message });
      setCondition(p, 'DisruptionTarget', 'True', now, 'TerminationByKubelet', message);
      updateReadiness(p, now);
    });
    this.runtime.allocator.release(this.uid);
  }

  /** The pod is gone from the store (deleted, or force-deleted): stop everything now. */
  async gone(): Promise<void> {
    this.terminating = true;
    this.done = true;
    for (const c of this.cancels) c();
    this.cancels.clear();
    await this.stopProcesses();
    this.runtime.allocator.release(this.uid);
    this.ips.release(this.uid);
    this.runtime.logs.forget(this.namespace, this.name);
    this.runtime.events.forget(this.uid);
  }

  /** The pod's IP, once assigned. */
  get ip(): string | undefined {
    return this.podIP;
  }
}
