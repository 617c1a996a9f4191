/**
 * Path classification per requester (protocol sections 4.4 and 10.2): how its server became
 * available, from independent signals, with disagreements kept rather than hidden.
 *
 * Paths: `cold` (a new direct provider, or a plain pod: full model load), `cold_launcher` (a new
 * launcher pod was created for it), `warm` (a new vLLM instance in an existing launcher), `hot`
 * (an existing sleeping instance was bound and woken).
 *
 * Signals:
 * - `dpc_log`: what the controller logged for this requester (created a launcher or a provider,
 *   called `create_instance`, called `wake`); the most direct evidence when the log is readable.
 * - `provider_name` (direct only, the FMA legacy tool's rule): a provider whose name contains the
 *   requester's name was generated for it (cold); any other was born for an earlier requester (hot).
 * - `provider_age`: the provider (or launcher) existed before the requester was created: not
 *   cold. Whole-second API timestamps that are equal decide nothing.
 * - `launcher_age` (LDB's rule): a launcher created after the requester is a cold launcher start.
 * - `instance_seen` (launcher): the requester's instance id was already seen on that launcher
 *   during this run before the requester existed (hot), or not (warm).
 * Note the controller's own metric calls every direct-path actuation `hot` (section 3); it is
 * reported beside the verdict, never used as a signal for the direct path.
 */
import type { DpcFacts } from './dpc-log.ts';
import type { ProviderInfo, RequesterTimeline } from './duo-tracker.ts';
import { type ActuationPath, type Classification, PATHS, type Signal } from '../report/actuation.ts';

export { PATHS };
export type { ActuationPath, Classification, Signal };

function dpcSignal(f: DpcFacts | undefined): Signal | undefined {
  if (!f) return undefined;
  if (f.createdLauncher !== undefined) return { source: 'dpc_log', says: 'cold_launcher', detail: 'controller logged "Created launcher-based server-providing pod"' };
  if (f.createdProvider !== undefined) return { source: 'dpc_log', says: 'cold', detail: 'controller logged "Created server-providing pod"' };
  if (f.createInstance !== undefined) return { source: 'dpc_log', says: 'warm', detail: 'controller called create_instance' };
  if (f.wake !== undefined) return { source: 'dpc_log', says: 'hot', detail: 'controller called wake without creating anything' };
  return undefined;
}

function compatible(says: Signal['says'], path: ActuationPath): boolean {
  if (says === 'not_cold') return path === 'warm' || path === 'hot';
  return says === path;
}

/** Classifies one requester from its timeline, its provider, and the controller's log facts. */
export function classify(r: RequesterTimeline, provider: ProviderInfo | undefined, facts: DpcFacts | undefined): Classification {
  const signals: Signal[] = [];
  const fromLog = dpcSignal(facts);
  if (fromLog) signals.push(fromLog);
  if (provider && r.created !== undefined && provider.created !== undefined && provider.created !== r.created) {
    const older = provider.created < r.created;
    if (provider.launcher) {
      signals.push(older
        ? { source: 'launcher_age', says: 'not_cold', detail: 'launcher created before the requester' }
        : { source: 'launcher_age', says: 'cold_launcher', detail: 'launcher created after the requester' });
    } else {
      signals.push(older
        ? { source: 'provider_age', says: 'hot', detail: 'provider existed before the requester' }
        : { source: 'provider_age', says: 'cold', detail: 'provider created after the requester' });
    }
  }
  if (provider && !provider.launcher) {
    const own = provider.name.includes(r.name);
    signals.push({ source: 'provider_name', says: own ? 'cold' : 'hot', detail: own ? `provider ${provider.name} was generated for this requester` : `provider ${provider.name} was born for another requester` });
  }
  if (provider?.launcher && r.instance) {
    const seen = provider.instances.find((i) => i.id === r.instance);
    const seenEarlier = seen !== undefined && seen.at < r.firstSeen;
    if (provider.created !== undefined && r.created !== undefined && provider.created < r.created) {
      signals.push(seenEarlier
        ? { source: 'instance_seen', says: 'hot', detail: `instance ${r.instance} was on launcher ${provider.name} before` }
        : { source: 'instance_seen', says: 'warm', detail: `instance ${r.instance} was not seen on launcher ${provider.name} before` });
    }
  }
  const order: Signal['source'][] = ['dpc_log', 'instance_seen', 'provider_name', 'launcher_age', 'provider_age'];
  const decisive = order.map((s) => signals.find((x) => x.source === s && x.says !== 'not_cold')).find(Boolean);
  const path: Classification['path'] = decisive ? (decisive.says as ActuationPath) : 'unknown';
  const disagreements = path === 'unknown' ? [] : signals.filter((s) => !compatible(s.says, path)).map((s) => `${s.source} says ${s.says} (${s.detail}) but the verdict is ${path} (from ${decisive!.source})`);
  return { path, signals, disagreements, controllerMetricPath: facts?.metricPath };
}
