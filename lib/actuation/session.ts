/**
 * One actuation measurement session against one cluster namespace: render and apply a
 * server-request template, scale its workload step by step, wait for the dual pods through a
 * pod watch, and clean up everything the run created, whatever happens (teardown, or Ctrl-C).
 */
import { BenchError, ConfigError } from '../errors/index.ts';
import { deleteRun, cleanupOnSignal, leftovers, type CleanupResult } from '../k8s/cleanup.ts';
import { checkPermissions, type ClusterConnection, type Permission } from '../k8s/connect.ts';
import { diagnose } from '../k8s/diagnose.ts';
import { dpcFacts, findDpcPod, parseDpcLog, readDpcLog, type DpcFacts, type DpcLocation } from '../k8s/dpc-log.ts';
import { DuoTracker } from '../k8s/duo-tracker.ts';
import { createObject, KINDS, scaleWorkload } from '../k8s/objects.ts';
import { key, LAUNCHER_COMPONENT_LABEL } from '../k8s/dual-pods.ts';
import { PodWatch, type PodObject } from '../k8s/pod-watch.ts';
import { renderTemplate, RUN_LABEL, type RenderedRequest } from '../k8s/template.ts';
import { firstToken, type FirstTokenResult } from './first-token.ts';
import { requesterRecord, type RequesterRecord } from './record.ts';

/** The verbs every actuation run needs in the namespace, whatever its template brings (the README lists them too). */
export const ACTUATION_PERMISSIONS: Permission[] = [
  { verb: 'list', resource: 'pods' },
  { verb: 'watch', resource: 'pods' },
  { verb: 'delete', resource: 'pods' },
  { verb: 'list', resource: 'events' },
];

/** The API resource (and group) of each kind a template may bring. */
const RESOURCE_OF: Readonly<Record<string, { resource: string; group?: string }>> = {
  Deployment: { resource: 'deployments', group: 'apps' },
  ReplicaSet: { resource: 'replicasets', group: 'apps' },
  Service: { resource: 'services' },
  ConfigMap: { resource: 'configmaps' },
  InferenceServerConfig: { resource: 'inferenceserverconfigs', group: 'fma.llm-d.ai' },
  LauncherConfig: { resource: 'launcherconfigs', group: 'fma.llm-d.ai' },
  LauncherPopulationPolicy: { resource: 'launcherpopulationpolicies', group: 'fma.llm-d.ai' },
  Pod: { resource: 'pods' },
};

/**
 * What a run of `rendered` needs: create, list and delete every kind the template brings (a
 * launcher template's InferenceServerConfig and LauncherConfig included), update the scale of its
 * workload (ReplicaSet or Deployment), and the common verbs. Throws a `ConfigError` for a kind
 * the tool cannot create, so such a template fails before anything is created.
 */
export function actuationPermissions(rendered: RenderedRequest): Permission[] {
  const needs: Permission[] = [];
  const add = (p: Permission) => {
    if (!needs.some((n) => n.verb === p.verb && n.resource === p.resource && n.subresource === p.subresource)) needs.push(p);
  };
  for (const [i, m] of rendered.objects.entries()) {
    const r = RESOURCE_OF[m.kind];
    if (!r || !KINDS[m.kind]) throw new ConfigError(rendered.source, `document ${i + 1} (${m.kind})`, `kind ${m.kind} is not supported in templates (supported: ${Object.keys(RESOURCE_OF).join(', ')})`);
    for (const verb of ['create', 'list', 'delete']) add({ verb, ...r });
  }
  add({ verb: 'update', ...RESOURCE_OF[rendered.workload.kind]!, subresource: 'scale' });
  for (const p of ACTUATION_PERMISSIONS) add(p);
  return needs;
}

export interface SessionOptions {
  template: string;
  /** Template variables (`REPLICASET_NAME`, `MODEL_REGISTRY`, ...). */
  vars?: Record<string, string | undefined>;
  runId: string;
  /** Cluster seconds to wait for a step's requesters to be Ready. */
  waitTimeoutS: number;
  dpc?: DpcLocation;
  /** Measure time to first token through each newly Ready provider. */
  firstToken?: { model: string; maxTokens: number } | null;
}

/** The outcome of one scaling step. */
export interface StepResult {
  phase: string;
  replicas: number;
  /** Cluster ms when the scale request was sent. */
  t0: number;
  requesters: RequesterRecord[];
  /** Requesters already Ready before the step (counted, not timed). */
  preexisting: number;
  timedOut: boolean;
  diagnostic: string[];
  /** Why controller-side timings are missing, if they are. */
  dpcLog: string;
}

export class ActuationSession {
  readonly rendered: RenderedRequest;
  readonly tracker: DuoTracker;
  readonly notes: string[] = [];
  private readonly conn: ClusterConnection;
  private readonly options: SessionOptions;
  private readonly watch: PodWatch;
  private readonly signalHook: { release(): void };
  private cleaned: Promise<CleanupResult> | null = null;

  private constructor(conn: ClusterConnection, options: SessionOptions, rendered: RenderedRequest) {
    this.conn = conn;
    this.options = options;
    this.rendered = rendered;
    const selector = Object.fromEntries(rendered.selector.split(',').map((kv) => kv.split('=') as [string, string]));
    this.tracker = new DuoTracker(conn, { ...selector, [RUN_LABEL]: options.runId });
    this.watch = new PodWatch(conn, {
      onEvent: (e) => this.tracker.onEvent(e),
      onResume: (kind, detail) => this.notes.push(`pod watch ${kind === 'resume' ? 'resumed' : 'relisted'}: ${detail}`),
    });
    this.signalHook = cleanupOnSignal(() => deleteRun(conn, options.runId, 10_000));
  }

  /**
   * Renders the template and checks permissions before anything is created (a template that
   * does not parse, has no requester annotation or brings an unsupported kind, or a missing
   * permission for any of its objects, fails here), then starts the pod watch and creates the
   * template's objects (and, with a LauncherPopulationPolicy, waits for its launchers).
   */
  static async open(conn: ClusterConnection, options: SessionOptions): Promise<ActuationSession> {
    const rendered = renderTemplate({ file: options.template, vars: options.vars, runId: options.runId });
    await checkPermissions(conn, actuationPermissions(rendered));
    const session = new ActuationSession(conn, options, rendered);
    try {
      // Said up front: without a controller the requesters never get providers and every step
      // runs into its timeout.
      const dpc = await findDpcPod(conn, options.dpc);
      if (dpc.pod === null) session.notes.push(`${dpc.reason}: controller-side timings will be missing, and without a controller watching namespace ${conn.namespace} no requester gets a provider`);
      await session.watch.start();
      for (const object of rendered.objects) {
        const { created } = await createObject(conn, object, RUN_LABEL);
        if (!created) session.notes.push(`${object.kind} ${object.metadata.name} already existed; used as it is and left in place`);
      }
      await session.awaitPopulatedLaunchers();
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  /**
   * When the template brings a LauncherPopulationPolicy, waits until the launchers it asks for
   * exist and are all Ready before the first step, so the requesters find Ready launchers (the
   * warm path) rather than waiting for them (which the controller still calls warm, while the
   * launcher's age says cold: protocol 4.4). Bounded by the step timeout.
   */
  private async awaitPopulatedLaunchers(): Promise<void> {
    const wanted = new Map<string, number>();
    for (const m of this.rendered.objects) {
      if (m.kind !== 'LauncherPopulationPolicy') continue;
      for (const rule of (m.spec as { countForLauncher?: Array<{ launcherConfigName?: string; launcherCount?: number }> } | undefined)?.countForLauncher ?? []) {
        if (rule.launcherConfigName && (rule.launcherCount ?? 0) > 0) wanted.set(rule.launcherConfigName, Math.max(wanted.get(rule.launcherConfigName) ?? 0, rule.launcherCount!));
      }
    }
    if (wanted.size === 0) return;
    const lcLabel = key(this.rendered.convention, 'launcher-config-name');
    const launchers = (lc: string) =>
      [...this.watch.pods().values()].filter((p) => p.metadata.labels?.[LAUNCHER_COMPONENT_LABEL] === 'launcher' && p.metadata.labels?.[lcLabel] === lc && !p.metadata.deletionTimestamp);
    const isReady = (p: PodObject) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const populated = () => [...wanted].every(([lc, count]) => {
      const pods = launchers(lc);
      return pods.length >= count && pods.every(isReady);
    });
    const started = this.conn.time.nowMs();
    if (await this.waitFor(populated, this.options.waitTimeoutS)) {
      const counts = [...wanted.keys()].map((lc) => `${launchers(lc).length} of LauncherConfig ${lc}`).join(', ');
      this.notes.push(`waited ${((this.conn.time.nowMs() - started) / 1000).toFixed(1)} s for the populated launchers (${counts}) to be Ready before the first step`);
      return;
    }
    const state = [...wanted].map(([lc, count]) => {
      const pods = launchers(lc);
      return `LauncherConfig ${lc}: ${pods.length} launcher(s) of ${count} wanted${pods.length ? ` (${pods.map((p) => `${p.metadata.name} ${isReady(p) ? 'Ready' : (p.status?.phase ?? 'Pending')}`).join(', ')})` : ''}`;
    });
    throw new BenchError('ACTUATION_TIMEOUT', [`the launcher population policy's launchers were not Ready after ${this.options.waitTimeoutS} s (cluster time):`, ...state.map((l) => `  ${l}`)].join('\n'));
  }

  get workloadName(): string {
    return this.rendered.workload.metadata.name ?? '';
  }

  /**
   * Scales the workload to `replicas` and waits until that many requesters are Ready (or the
   * timeout passes: then the step carries the diagnostic and `timedOut`). Requesters already
   * Ready before the step count toward the total but are not timed.
   */
  async scaleTo(replicas: number, phase: string): Promise<StepResult> {
    this.tracker.beginStep();
    const preexisting = [...this.tracker.requesters.values()].filter((r) => r.preexisting && r.deleted === undefined).length;
    const t0 = this.conn.time.nowMs();
    // Time to first token is measured the moment each requester is seen Ready, not after the step.
    const firstTokens = new Map<string, Promise<FirstTokenResult | null>>();
    const stopProbing = this.options.firstToken ? this.tracker.subscribe(() => this.probeNewlyReady(firstTokens)) : () => {};
    let timedOut: boolean;
    try {
      await scaleWorkload(this.conn, this.rendered.workload.kind, this.workloadName, replicas);
      timedOut = !(await this.waitFor(() => this.readyCount() >= replicas, this.options.waitTimeoutS));
    } finally {
      stopProbing();
    }
    const diagnostic = timedOut ? await diagnose(this.conn, this.tracker, this.watch.pods()) : [];
    const { facts, reason } = await this.controllerFacts();
    const stepRequesters = this.tracker.stepRequesters();
    const requesters = stepRequesters.map((r) => requesterRecord(r, this.tracker.providerOf(r), facts.get(r.name), t0));
    for (const [i, r] of stepRequesters.entries()) {
      const res = await firstTokens.get(r.uid);
      const rec = requesters[i]!;
      if (!res || r.ready.client === undefined) continue;
      if (res.firstTokenHr === null) {
        this.notes.push(`first token through ${rec.provider} (${res.url}) failed: ${res.error ?? `HTTP ${res.status}`}`);
        continue;
      }
      const at = this.conn.time.fromHrtime(res.firstTokenHr);
      rec.timings.firstTokenAfterReady = { seconds: (at - r.ready.client) / 1000, source: 'client' };
      rec.timings.scaleToFirstToken = { seconds: (at - t0) / 1000, source: 'client' };
      if (res.sentHr !== null) rec.timings.firstTokenTtft = { seconds: (at - this.conn.time.fromHrtime(res.sentHr)) / 1000, source: 'client' };
    }
    return { phase, replicas, t0, requesters, preexisting, timedOut, diagnostic, dpcLog: reason };
  }

  private probeNewlyReady(started: Map<string, Promise<FirstTokenResult | null>>): void {
    const ft = this.options.firstToken!;
    for (const r of this.tracker.stepRequesters()) {
      if (r.ready.client === undefined || started.has(r.uid)) continue;
      const provider = this.tracker.providerOf(r)?.name ?? r.bound.provider;
      const url = provider ? this.providerUrl(provider) : undefined;
      if (!url) {
        started.set(r.uid, Promise.resolve(null));
        this.notes.push(`first token: no address for the provider of ${r.name}`);
        continue;
      }
      started.set(r.uid, firstToken(url, ft.model, { maxTokens: ft.maxTokens, timeoutMs: Math.max(5000, this.conn.time.toRealMs(60_000)) }));
    }
  }

  /**
   * Scales down to `replicas` and waits until only that many requester pods remain: a terminating
   * requester still holds its GPUs (and the controller puts its server to sleep before letting
   * it go), so the next step must not start before it is gone, or its requesters land on other
   * GPUs and miss the sleeping servers.
   */
  async scaleDownTo(replicas: number): Promise<boolean> {
    await scaleWorkload(this.conn, this.rendered.workload.kind, this.workloadName, replicas);
    return this.waitFor(() => this.liveCount() <= replicas, this.options.waitTimeoutS);
  }

  /** Waits `seconds` of cluster time. */
  pause(seconds: number): Promise<void> {
    return new Promise((r) => setTimeout(r, this.conn.time.toRealMs(seconds * 1000)));
  }

  private readyCount(): number {
    let n = 0;
    for (const r of this.tracker.requesters.values()) if (r.deleted === undefined && r.ready.client !== undefined) n++;
    return n;
  }

  /** Requester pods still present, terminating ones included. */
  private liveCount(): number {
    const pods = this.watch.pods();
    let n = 0;
    for (const r of this.tracker.requesters.values()) if (pods.get(r.name)?.metadata.uid === r.uid) n++;
    return n;
  }

  private waitFor(done: () => boolean, timeoutS: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), this.conn.time.toRealMs(timeoutS * 1000));
      const unsubscribe = this.tracker.subscribe(() => {
        if (done()) finish(true);
      });
      function finish(ok: boolean): void {
        clearTimeout(timer);
        unsubscribe();
        resolve(ok);
      }
    });
  }

  private async controllerFacts(): Promise<{ facts: Map<string, DpcFacts>; reason: string }> {
    const log = await readDpcLog(this.conn, this.options.dpc);
    if (log.text === null) return { facts: new Map(), reason: log.reason };
    return { facts: dpcFacts(parseDpcLog(log.text)), reason: `read from pod ${log.pod}` };
  }

  /** `http://<podIP>:<port>` of a provider: the launcher's `server-port` annotation, else the inference container's readiness probe port. */
  providerUrl(name: string): string | undefined {
    const pod = this.watch.pods().get(name) as unknown as { status?: { podIP?: string }; metadata: { annotations?: Record<string, string> }; spec?: { containers?: Array<{ name: string; readinessProbe?: { httpGet?: { port?: number | string } }; ports?: Array<{ containerPort: number }> }> } } | undefined;
    const ip = pod?.status?.podIP;
    if (!pod || !ip) return undefined;
    const annotated = pod.metadata.annotations?.['dual-pods.llm-d.ai/server-port'];
    const container = pod.spec?.containers?.find((c) => c.name === 'inference-server') ?? pod.spec?.containers?.[0];
    const probePort = container?.readinessProbe?.httpGet?.port;
    const port = annotated ?? (typeof probePort === 'number' ? probePort : probePort === 'http' ? 80 : undefined) ?? container?.ports?.[0]?.containerPort;
    return port === undefined ? undefined : `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
  }

  /** Deletes everything the run created and checks nothing is left; idempotent. */
  close(): Promise<CleanupResult> {
    this.cleaned ??= (async () => {
      const result = await deleteRun(this.conn, this.options.runId, this.conn.time.toRealMs(120_000) + 5_000);
      this.watch.stop();
      this.signalHook.release();
      return result;
    })();
    return this.cleaned;
  }

  /** What of the run is still in the cluster (the tests' leftover check). */
  leftovers(): Promise<string[]> {
    return leftovers(this.conn, this.options.runId);
  }
}

/** Thrown by a step that timed out, with the diagnostic. */
export function stepTimeoutError(step: StepResult, waitS: number): BenchError {
  const ready = step.requesters.filter((r) => r.ready).length;
  return new BenchError('ACTUATION_TIMEOUT', [`${step.phase}: ${ready + step.preexisting} of ${step.replicas} requesters Ready after ${waitS} s (cluster time)`, ...step.diagnostic].join('\n'));
}
