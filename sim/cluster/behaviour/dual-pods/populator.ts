/**
 * The launcher populator (protocol section 5 "Proactive population", section 9.3 I;
 * `FMA:pkg/controller/launcher-populator`): for each (node, LauncherConfig) a policy selects,
 * keep `launcherCount` launchers, the largest count over the policies, never touching launchers
 * bound to a requester (they count, so the effective target is at least what requesters use).
 * Per node: unbound launchers built from an outdated template are deleted and replaced; excess
 * unbound ones are deleted, not-Ready ones first; creations wait until no deletion is in flight.
 * Launchers stuck scheduling or starting past a threshold are labelled `launcher-stuck=true`
 * with a `LauncherStuck` Warning Event, and kept; the label goes when they recover. Nothing is
 * done for a LauncherConfig that is missing or malformed.
 */
import type { KObject } from '../../store-types.ts';
import { COMPONENT_LABEL, LAUNCHER_COMPONENT, POPULATOR_NAME } from './keys.ts';
import { KLogger, KlogBuffer } from './klog.ts';
import { KubeOps } from './kube-ops.ts';
import { buildLauncherTemplate, specializeLauncherToNode, type LauncherTemplate } from './launcher-template.ts';
import { selectNodes, type EnhancedNodeSelector } from './node-selector.ts';
import { condition, isDeleting, isPodReady, timeMs } from './pod-util.ts';
import { StoppedError, type Runtime } from './runtime.ts';

interface Desired {
  node: string;
  count: number;
  template: LauncherTemplate;
}

/** A running populator. */
export class LauncherPopulator {
  readonly log: KlogBuffer;
  private readonly logger: KLogger;
  private readonly ops: KubeOps;
  private running = false;
  private again = false;
  private cancelRetry: (() => void) | undefined;

  constructor(private readonly rt: Runtime) {
    this.log = new KlogBuffer(rt.options.logLimitLines, rt.options.verbosity, () => rt.clock.nowMs());
    this.logger = new KLogger(this.log, 'populator.go:1');
    this.ops = new KubeOps(rt, POPULATOR_NAME);
  }

  /** Asks for a reconcile (any LPP, LC, node or launcher event). */
  trigger(delayMs = 0): void {
    if (this.rt.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.cancelRetry?.();
    this.cancelRetry = this.rt.after(delayMs, () => void this.run());
  }

  private async run(): Promise<void> {
    this.cancelRetry = undefined;
    if (this.running || this.rt.signal.aborted) return;
    this.running = true;
    let retryMs: number | undefined;
    try {
      retryMs = await this.reconcile();
    } catch (err) {
      if (err instanceof StoppedError || this.rt.signal.aborted) return;
      this.logger.error(err, 'Failed to reconcile launchers');
      retryMs = 1000;
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      this.trigger();
    } else if (retryMs !== undefined) this.trigger(retryMs);
  }

  /** `buildDesiredStateFromPolicies`. */
  private desired(): Map<string, Desired> {
    const k = this.rt.keys;
    const nodes = this.rt.store.list('nodes', undefined).items;
    const out = new Map<string, Desired>();
    for (const lpp of this.ops.list('launcherpopulationpolicies')) {
      const spec = (lpp.spec ?? {}) as { enhancedNodeSelector?: EnhancedNodeSelector; countForLauncher?: Array<{ launcherConfigName: string; launcherCount: number }> };
      let selected: KObject[];
      try {
        selected = selectNodes(nodes, spec.enhancedNodeSelector);
      } catch (err) {
        this.logger.info(0, 'Invalid node selector in LauncherPopulationPolicy', 'policy', lpp.metadata.name, 'err', (err as Error).message);
        continue;
      }
      for (const rule of spec.countForLauncher ?? []) {
        const lc = this.ops.get('launcherconfigs', rule.launcherConfigName);
        if (!lc) {
          this.logger.info(0, 'LauncherConfig referenced in policy does not exist, skipping', 'config', rule.launcherConfigName, 'policy', lpp.metadata.name);
          continue;
        }
        let template: LauncherTemplate;
        try {
          template = buildLauncherTemplate(lc, k, this.rt.namespace);
        } catch (err) {
          this.logger.info(0, 'Invalid PodTemplate in LC, reporting in Status', 'config', rule.launcherConfigName, 'err', (err as Error).message);
          continue;
        }
        for (const node of selected) {
          const key = `${node.metadata.name ?? ''}\u0000${rule.launcherConfigName}`;
          const prev = out.get(key);
          if (!prev || rule.launcherCount > prev.count) out.set(key, { node: node.metadata.name ?? '', count: rule.launcherCount, template });
        }
      }
    }
    return out;
  }

  /** One pass; returns a retry delay when deletions must finish first or a launcher may become stuck. */
  private async reconcile(): Promise<number | undefined> {
    const k = this.rt.keys;
    const pods = this.ops.list('pods').filter((p) => p.metadata.labels?.[COMPONENT_LABEL] === LAUNCHER_COMPONENT);
    const byNode = new Map<string, Desired[]>();
    for (const d of this.desired().values()) byNode.set(d.node, [...(byNode.get(d.node) ?? []), d]);
    let retry: number | undefined;
    for (const [node, entries] of byNode) {
      let deleting = false;
      const creations: Array<{ d: Desired; n: number }> = [];
      for (const d of entries) {
        const mine = pods.filter((p) => p.metadata.labels?.[k.launcherConfigName] === d.template.lcName && p.metadata.labels?.[k.nodeName] === node);
        let bound = 0;
        const live: KObject[] = [];
        for (const p of mine) {
          if (isDeleting(p)) deleting = true;
          else if (p.metadata.annotations?.[k.requester]) bound++;
          else if (p.metadata.annotations?.[k.launcherPopulatorTemplateHash] !== d.template.templateHash) {
            if (await this.remove(p, 'Deleted stale launcher pod (spec changed)', node, d)) deleting = true;
          } else live.push(p);
        }
        const diff = d.count - (bound + live.length);
        live.sort((a, b) => Number(isPodReady(b)) - Number(isPodReady(a)));
        for (let i = 0; i < -diff && live.length > 0; i++) if (await this.remove(live.pop()!, 'Deleted excess launcher pod', node, d)) deleting = true;
        if (diff > 0) creations.push({ d, n: diff });
        retry = minDefined(retry, await this.reportStuck(live));
      }
      if (deleting) {
        this.logger.info(0, 'Requeuing for creation later', 'node', node, 'deletionInProgress', true);
        retry = minDefined(retry, 1000);
        continue;
      }
      for (const { d, n } of creations) {
        for (let i = 0; i < n; i++) {
          const { result } = await this.ops.create('pods', specializeLauncherToNode(d.template, node, k));
          this.logger.info(0, 'Created launcher pod', 'pod', result.metadata.name, 'uid', result.metadata.uid, 'resourceVersion', result.metadata.resourceVersion, 'node', node);
        }
      }
    }
    return retry;
  }

  private async remove(pod: KObject, message: string, node: string, d: Desired): Promise<boolean> {
    try {
      await this.ops.delete('pods', pod.metadata.name ?? '', { uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion });
      this.logger.info(0, message, 'pod', pod.metadata.name, 'node', node, 'config', d.template.lcName);
      return true;
    } catch (err) {
      this.logger.info(0, 'Launcher pod was modified or deleted since read, skipping deletion', 'pod', pod.metadata.name, 'err', (err as Error).message);
      return false;
    }
  }

  /** Labels stuck launchers and clears recovered ones; returns when the next one may become stuck. */
  private async reportStuck(pods: readonly KObject[]): Promise<number | undefined> {
    const k = this.rt.keys;
    const { stuckSchedulingMs, stuckStartingMs } = this.rt.options.populator;
    const now = this.rt.clock.nowMs();
    let next: number | undefined;
    for (const pod of pods) {
      const scheduled = condition(pod, 'PodScheduled');
      let reason: string | undefined;
      if (!isPodReady(pod)) {
        const since = scheduled.true ? timeMs(scheduled.lastTransitionTime) : timeMs(pod.metadata.creationTimestamp);
        const limit = scheduled.true ? stuckStartingMs : stuckSchedulingMs;
        if (since !== undefined && now - since >= limit) reason = scheduled.true ? 'stuck_starting' : 'stuck_scheduling';
        else if (since !== undefined) next = minDefined(next, since + limit - now);
      }
      const labelled = pod.metadata.labels?.[k.launcherStuck] === 'true';
      if (Boolean(reason) === labelled) continue;
      const updated = structuredClone(pod);
      const labels = { ...(updated.metadata.labels ?? {}) };
      if (reason) labels[k.launcherStuck] = 'true';
      else delete labels[k.launcherStuck];
      updated.metadata.labels = labels;
      try {
        await this.ops.update('pods', updated);
      } catch {
        continue; // changed meanwhile; the next pass looks again
      }
      if (reason) {
        this.logger.info(0, 'Launcher is stuck', 'pod', pod.metadata.name, 'reason', reason);
        await this.ops.event(pod, 'Warning', 'LauncherStuck', `Launcher Pod ${pod.metadata.name ?? ''} is ${reason}; keeping it`, POPULATOR_NAME);
      }
    }
    return next;
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
