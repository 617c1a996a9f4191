import type { ClusterClock } from '../clock.ts';
import { StoreError, type KObject, type Store } from '../store-types.ts';
import { jsonEqual } from './json-patch.ts';
import { isPodReady, podIP, podNodeName, podPhase } from './pod-state.ts';
import { objectKey, splitKey, WorkQueue } from './work-queue.ts';

/**
 * The Endpoints controller: for every Service with a selector, an Endpoints object of the same
 * name listing the pods that match, ready ones under `addresses` and the others under
 * `notReadyAddresses`, with each Service port's target port resolved per pod (a named
 * `targetPort` is looked up in the pod's container ports). Pods without an IP, being deleted or
 * finished are left out, as on a cluster. Services without a selector keep hand-made Endpoints.
 */

/** A Service port as the controller reads it. */
export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

interface EndpointAddress {
  ip: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
}

interface Subset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports: Array<{ name?: string; port: number; protocol: string }>;
}

/** The container port a Service port targets on `pod`, or undefined when the pod has no such named port. */
export function resolveTargetPort(pod: KObject, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const containers = ((pod.spec ?? {}) as { containers?: Array<{ ports?: Array<{ name?: string; containerPort?: number }> }> }).containers ?? [];
  for (const c of containers) for (const p of c.ports ?? []) if (p.name === target && p.containerPort) return p.containerPort;
  return undefined;
}

function selects(selector: Record<string, string>, pod: KObject): boolean {
  return Object.entries(selector).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** The subsets of a Service over `pods` (grouped by resolved port set; addresses sorted by IP). */
export function endpointSubsets(service: KObject, pods: KObject[]): Subset[] {
  const spec = (service.spec ?? {}) as { selector?: Record<string, string>; ports?: ServicePort[]; publishNotReadyAddresses?: boolean };
  const selector = spec.selector ?? {};
  const groups = new Map<string, Subset>();
  for (const pod of pods) {
    const ip = podIP(pod);
    if (!ip || pod.metadata.deletionTimestamp || !selects(selector, pod)) continue;
    const phase = podPhase(pod);
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const ports = (spec.ports ?? [])
      .filter((p) => (p.protocol ?? 'TCP') === 'TCP')
      .map((p) => ({ name: p.name, port: resolveTargetPort(pod, p), protocol: 'TCP' }))
      .filter((p): p is { name: string | undefined; port: number; protocol: string } => p.port !== undefined)
      .map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol }));
    if (!ports.length && spec.ports?.length) continue;
    const sig = JSON.stringify(ports);
    let subset = groups.get(sig);
    if (!subset) {
      subset = { ports };
      groups.set(sig, subset);
    }
    const node = podNodeName(pod);
    const address: EndpointAddress = { ip, ...(node ? { nodeName: node } : {}), targetRef: { kind: 'Pod', namespace: pod.metadata.namespace as string, name: pod.metadata.name as string, uid: pod.metadata.uid as string } };
    const list = isPodReady(pod) || spec.publishNotReadyAddresses ? (subset.addresses ??= []) : (subset.notReadyAddresses ??= []);
    list.push(address);
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress): number => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);
  return [...groups.values()].map((s) => ({ ...(s.addresses ? { addresses: s.addresses.sort(byIp) } : {}), ...(s.notReadyAddresses ? { notReadyAddresses: s.notReadyAddresses.sort(byIp) } : {}), ports: s.ports }));
}

/** The Endpoints controller over one store. */
export class EndpointsController {
  private readonly queue: WorkQueue;
  private readonly stops: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    clock: ClusterClock,
  ) {
    this.queue = new WorkQueue(clock, (key) => this.sync(key));
  }

  /** Starts watching Services, pods and Endpoints. */
  start(): void {
    this.stops.push(this.store.watch('services', undefined, {}, (e) => this.queue.add(objectKey(e.object.metadata.namespace, e.object.metadata.name))));
    this.stops.push(this.store.watch('endpoints', undefined, {}, (e) => this.queue.add(objectKey(e.object.metadata.namespace, e.object.metadata.name))));
    this.stops.push(
      this.store.watch('pods', undefined, {}, (e) => {
        // A pod event can change any Service of its namespace (labels may have changed either way).
        for (const svc of this.store.list('services', e.object.metadata.namespace).items) {
          if ((svc.spec as { selector?: object } | undefined)?.selector) this.queue.add(objectKey(svc.metadata.namespace, svc.metadata.name));
        }
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
    const svc = this.store.get('services', namespace, name);
    const current = this.store.get('endpoints', namespace, name);
    if (!svc) {
      if (current) this.store.delete('endpoints', namespace, name);
      return;
    }
    const selector = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (!selector || svc.metadata.deletionTimestamp) return;
    const subsets = endpointSubsets(svc, this.store.list('pods', namespace).items);
    const labels = svc.metadata.labels ?? {};
    if (!current) {
      try {
        this.store.create('endpoints', namespace, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, ...(Object.keys(labels).length ? { labels: { ...labels } } : {}) }, ...(subsets.length ? { subsets } : {}) });
      } catch (err) {
        if (!(err instanceof StoreError && (err.code === 409 || err.code === 403))) throw err;
      }
      return;
    }
    if (jsonEqual(current.subsets ?? [], subsets) && jsonEqual(current.metadata.labels ?? {}, labels)) return;
    this.store.mutate('endpoints', namespace, name, (o) => {
      o.metadata.labels = { ...labels };
      if (subsets.length) o.subsets = subsets;
      else delete o.subsets;
    });
  }
}
